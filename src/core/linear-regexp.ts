import { RE2JS } from 're2js';
import type { JsonSchema } from './tool-source.js';

/**
 * Regular expressions from tenants and upstream servers (JSON Schema `pattern`, `patternProperties`, probe
 * `matches`) run on RE2 — linear in the input, no catastrophic backtracking — never on V8's RegExp.
 * RE2 has no backreferences and no lookaround; such patterns are refused (manifests) or dropped (discovered
 * schemas), never run on the backtracking engine.
 */

/** A compiled pattern with the one method Ajv and the probes use: an unanchored search. */
export interface LinearRegExp {
  test(input: string): boolean;
  toString(): string;
}

/** Longest pattern accepted; compiling is linear in the pattern, but it should still stay small. */
export const MAX_PATTERN_LENGTH = 4096;

const compiled = new Map<string, LinearRegExp>();
const CACHE_LIMIT = 5000;

/** Why the linear-time engine cannot run `pattern` (JavaScript syntax), or undefined when it can. */
export function linearRegExpProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    // Compiled into the memo: a pattern that is checked is usually run next.
    compileLinearRegExp(pattern);
    return undefined;
  } catch (err) {
    const detail = (err as Error).message.replace(/^error parsing regexp: /, '');
    return `not supported by the linear-time regular expression engine (no backreferences or lookaround): ${detail}`;
  }
}

/** Compiles a JavaScript-syntax pattern on RE2; throws when the engine cannot run it. */
export function compileLinearRegExp(pattern: string): LinearRegExp {
  const hit = compiled.get(pattern);
  if (hit) return hit;
  if (pattern.length > MAX_PATTERN_LENGTH) throw new Error(`pattern longer than ${MAX_PATTERN_LENGTH} characters`);
  const re = RE2JS.compile(RE2JS.translateRegExp(pattern));
  const wrapped: LinearRegExp = {
    test: (input) => re.test(input),
    // Ajv keys its per-schema pattern cache on this text.
    toString: () => `re2:/${pattern}/`,
  };
  if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string);
  compiled.set(pattern, wrapped);
  return wrapped;
}

/**
 * The engine for Ajv's `code.regExp` option (`new Ajv({code: {regExp: linearRegExpEngine}})`): every
 * `pattern` and `patternProperties` key of a compiled schema runs on RE2. Ajv passes the `u` flag; RE2 always
 * matches by code point, so it is ignored.
 */
export const linearRegExpEngine: ((pattern: string, flags: string) => LinearRegExp) & { code: string } = Object.assign(
  (pattern: string) => compileLinearRegExp(pattern),
  { code: 'linearRegExp' },
);

/**
 * A copy of a discovered schema (an upstream MCP tool's or a Python function's) without the patterns the
 * linear-time engine cannot run, and the pointers of what was dropped. A dropped `patternProperties` entry
 * also drops its object's `additionalProperties`/`unevaluatedProperties`, so nothing valid is refused: the
 * upstream still validates its own input.
 */
export function withoutUnsupportedPatterns(schema: JsonSchema): { schema: JsonSchema; dropped: string[] } {
  const dropped: string[] = [];
  const visit = (node: unknown, pointer: string): unknown => {
    if (Array.isArray(node)) return node.map((item, i) => visit(item, `${pointer}/${i}`));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    let loosen = false;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const at = `${pointer}/${escape(key)}`;
      if (key === 'const' || key === 'enum' || key === 'default' || key === 'examples') out[key] = value;
      else if (key === 'pattern' && typeof value === 'string' && linearRegExpProblem(value) !== undefined)
        dropped.push(at);
      else if (key === 'patternProperties' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const kept: Record<string, unknown> = {};
        for (const [name, sub] of Object.entries(value as Record<string, unknown>)) {
          if (linearRegExpProblem(name) === undefined) kept[name] = visit(sub, `${at}/${escape(name)}`);
          else {
            dropped.push(`${at}/${escape(name)}`);
            loosen = true;
          }
        }
        out[key] = kept;
      } else out[key] = visit(value, at);
    }
    if (loosen) {
      delete out.additionalProperties;
      delete out.unevaluatedProperties;
    }
    return out;
  };
  const result = visit(schema, '') as JsonSchema;
  return { schema: dropped.length > 0 ? result : schema, dropped };
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
