import { createError } from './errors.js';

/**
 * How deep JSON may nest in a request body. Parsing deeper JSON works, but the recursive walks after it (JSON-RPC
 * and schema validation, copies) overflow the stack at a few thousand levels; no tool argument needs a hundred.
 */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether JSON text opens more than `max` arrays or objects inside one another. One pass over the text, skipping
 * strings; the text need not be valid JSON (the parser judges that). Text shorter than `max` cannot nest deeper.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote closing the string opened at `open` (the text's length when none does). */
function closingQuote(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at !== -1; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return text.length;
}

/**
 * How deep a tool's result may nest (far above any real answer). Serialising a result thousands of levels deep
 * overflows the stack (JSON.stringify is recursive), so deeper results are refused where every call passes.
 */
export const MAX_RESULT_DEPTH = 1_000;

/** Whether a parsed value nests arrays or objects more than `max` levels deep. Iterative: safe at any depth. */
export function valueNestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  // Two parallel stacks (node, its depth): no allocation per node on the call path.
  const nodes: object[] = [value];
  const depths: number[] = [1];
  const visit = (child: unknown, depth: number): void => {
    if (child !== null && typeof child === 'object') {
      nodes.push(child);
      depths.push(depth);
    }
  };
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > max) return true;
    if (Array.isArray(node)) {
      for (const child of node) visit(child, depth + 1);
    } else {
      for (const key in node) visit((node as Record<string, unknown>)[key], depth + 1);
    }
  }
  return false;
}

/** The callback an HTTP framework's body parser takes (Fastify's `done`). */
export type ParseDone = (err: Error | null, value?: unknown) => void;

/**
 * Wraps a JSON body parser: an empty body counts as absent (clients send `Content-Type: application/json` on bodiless
 * POSTs), and a body nesting deeper than MAX_JSON_DEPTH is refused with `bad_request` before anything walks it.
 */
export function screenedJsonParser<R>(
  parse: (request: R, body: string, done: ParseDone) => void,
): (request: R, body: string, done: ParseDone) => void {
  return (request, body, done) => {
    if (body.trim() === '') {
      done(null, undefined);
    } else if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
      const message = `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`;
      done(createError('bad_request', message, { max_depth: MAX_JSON_DEPTH }));
    } else {
      parse(request, body, done);
    }
  };
}
