import { compileLinearRegExp, type ToolCallResult } from '../../core/index.js';
import type { ProbeExpectation } from '../../manifest/types.js';

/** Resolves an RFC 6901 JSON pointer inside a value; undefined when the path does not exist. */
export function resolvePointer(value: unknown, pointer: string): unknown {
  if (pointer === '' || pointer === '/') return value;
  let current = value;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[token];
  }
  return current;
}

function resultDocument(result: ToolCallResult): unknown {
  if (result.structuredContent) return result.structuredContent;
  const text = result.content.find((c) => c.type === 'text');
  if (!text || text.type !== 'text') return undefined;
  try {
    return JSON.parse(text.text);
  } catch {
    return text.text;
  }
}

/** Checks a probe result against its expectations; returns the first failure as a sentence, or null. */
export function evaluateProbe(result: ToolCallResult, elapsedMs: number, expect: ProbeExpectation): string | null {
  if (expect.no_error !== false && result.isError) {
    const text = result.content.find((c) => c.type === 'text');
    const excerpt = text && text.type === 'text' ? `: ${text.text.slice(0, 200)}` : '';
    return `probe returned an error${excerpt}`;
  }
  if (expect.within_ms !== undefined && elapsedMs > expect.within_ms) {
    return `probe took ${Math.round(elapsedMs)} ms, expected within ${expect.within_ms} ms`;
  }
  const doc = resultDocument(result);
  for (const { pointer, value } of expect.equals ?? []) {
    const actual = resolvePointer(doc, pointer);
    if (JSON.stringify(actual) !== JSON.stringify(value)) {
      return `probe ${pointer} is ${JSON.stringify(actual) ?? 'missing'}, expected ${JSON.stringify(value)}`;
    }
  }
  for (const { pointer, pattern } of expect.matches ?? []) {
    const actual = resolvePointer(doc, pointer);
    if (typeof actual !== 'string' || !matchesLinear(pattern, actual)) {
      return `probe ${pointer} does not match /${pattern}/`;
    }
  }
  return null;
}

/** Probe patterns run on the linear-time engine; one it cannot run (stored before that rule) never matches. */
function matchesLinear(pattern: string, input: string): boolean {
  try {
    return compileLinearRegExp(pattern).test(input);
  } catch {
    return false;
  }
}
