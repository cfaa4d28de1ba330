import type { ValidateFunction } from 'ajv';
import { markUnavailable, MAX_RESULT_DEPTH, nestsDeeperThan, type ToolCallResult } from '../../../core/index.js';
import type { Redactor } from './redactor.js';
import type { WireResponse } from './transport.js';

/**
 * How deep a JSON response may nest: two levels less than a tool result may (MAX_RESULT_DEPTH), since the result
 * carries it at most two levels down (`structuredContent.result`). Thousands of levels overflow the stack.
 */
export const MAX_RESPONSE_DEPTH = MAX_RESULT_DEPTH - 2;
/** Longest body excerpt quoted in an HTTP error result. */
export const EXCERPT_CHARS = 500;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;
const MEDIA_BLOCK = /^(image|audio)\//i;

/** How to turn responses of one tool into results. */
export interface ResponseOptions {
  maxBytes: number;
  /** Compiled output schema of the tool, when it declares one. */
  validate?: ValidateFunction;
  redactor: Redactor;
}

function errorResult(text: string): ToolCallResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** A short, single-line, secret-free excerpt of a body for error messages. */
export function bodyExcerpt(body: Buffer, redactor: Redactor): string {
  // Decode a little more than needed so multi-byte characters at the cut are not mangled.
  const text = redactor
    .text(body.subarray(0, EXCERPT_CHARS * 4).toString('utf8'))
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS - 1)}…` : text;
}

/** Converts a complete (or cut) HTTP response into an MCP tool result. */
export function toToolResult(res: WireResponse, options: ResponseOptions): ToolCallResult {
  const { redactor } = options;
  if (res.tooLarge) return errorResult(`response exceeded ${options.maxBytes} bytes`);
  const statusLine = `HTTP ${res.status} ${res.statusText}`.trim();
  if (res.status >= 400) {
    const excerpt = bodyExcerpt(res.body, redactor);
    const result = errorResult(excerpt === '' ? statusLine : `${statusLine}: ${excerpt}`);
    // A 5xx says the service is failing; a 4xx is about this call (the circuit breaker counts only the former).
    return res.status >= 500 ? markUnavailable(result) : result;
  }
  if (res.status >= 300) return errorResult(`${statusLine}: redirects are not followed`);

  const contentType = String(res.headers['content-type'] ?? '');
  if (res.body.length === 0) {
    if (options.validate) return errorResult(`${statusLine} had no body, but the tool declares an output schema`);
    return { content: [{ type: 'text', text: statusLine }] };
  }
  if (JSON_TYPE.test(contentType)) {
    let parsed: unknown;
    const raw = res.body.toString('utf8');
    // Much deeper JSON parses, but the walks after it (redaction, schema checks, serialising) overflow the stack.
    if (nestsDeeperThan(raw, MAX_RESPONSE_DEPTH)) {
      return errorResult(`${statusLine}: the response nests JSON more than ${MAX_RESPONSE_DEPTH} levels deep`);
    }
    try {
      parsed = JSON.parse(raw);
    } catch {
      return errorResult(`${statusLine}: the response claims to be JSON but does not parse`);
    }
    const value = redactor.jsonOf(raw, parsed);
    const structured =
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : { result: value };
    if (options.validate && !options.validate(structured)) {
      // Ajv messages name the location and the rule, never the offending value.
      const problems = (options.validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
        .join('; ');
      return errorResult(`response does not match the output schema: ${problems}`);
    }
    return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: structured };
  }
  if (options.validate)
    return errorResult(`response is ${contentType || 'untyped'}, not JSON, but the tool declares an output schema`);
  const media = MEDIA_BLOCK.exec(contentType);
  if (media) {
    const mimeType = contentType.split(';')[0]?.trim() ?? contentType;
    const kind = media[1]?.toLowerCase() === 'audio' ? 'audio' : 'image';
    return { content: [{ type: kind, data: res.body.toString('base64'), mimeType }] };
  }
  return { content: [{ type: 'text', text: redactor.text(res.body.toString('utf8')) }] };
}
