import { describe, expect, it } from 'vitest';
import {
  MAX_JSON_DEPTH,
  nestsDeeperThan,
  screenedJsonParser,
  valueNestsDeeperThan,
  type ParseDone,
} from './json-depth.js';

const deep = (depth: number, open = '[', close = ']'): string => `${open.repeat(depth)}${close.repeat(depth)}`;

describe('nestsDeeperThan', () => {
  it('counts arrays and objects nested in each other, not side by side', () => {
    expect(nestsDeeperThan(deep(5), 5)).toBe(false);
    expect(nestsDeeperThan(deep(6), 5)).toBe(true);
    expect(nestsDeeperThan('[[1],[2],[3],[4],[5],[6],[7]]', 2)).toBe(false);
    expect(nestsDeeperThan('{"a":{"b":{"c":[1]}}}', 3)).toBe(true);
    expect(nestsDeeperThan('{"a":{"b":{"c":[1]}}}', 4)).toBe(false);
  });

  it('skips brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(`["${'['.repeat(50)}"]`, 2)).toBe(false);
    expect(nestsDeeperThan(`["\\"${'{'.repeat(50)}"]`, 2)).toBe(false);
    expect(nestsDeeperThan(`["\\\\", ${deep(3)}]`, 3)).toBe(true);
  });

  it('judges invalid JSON by its brackets only, and short text never', () => {
    expect(nestsDeeperThan('['.repeat(10), 9)).toBe(true);
    expect(nestsDeeperThan(']]]]][[[', 2)).toBe(false);
    expect(nestsDeeperThan('[[[', 3)).toBe(false);
  });
});

describe('screenedJsonParser', () => {
  const run = (body: string): { err: Error | null; value: unknown; parsed: boolean } => {
    let parsed = false;
    const out = { err: null as Error | null, value: undefined as unknown };
    const parser = screenedJsonParser((_req: null, text: string, done: ParseDone) => {
      parsed = true;
      done(null, JSON.parse(text));
    });
    parser(null, body, (err, value) => Object.assign(out, { err, value }));
    return { ...out, parsed };
  };

  it('passes an empty body as absent, a body at the limit to the parser, and refuses one past it', () => {
    expect(run('  ')).toEqual({ err: null, value: undefined, parsed: false });
    expect(run(deep(MAX_JSON_DEPTH, '[', ']')).parsed).toBe(true);
    const refused = run(deep(MAX_JSON_DEPTH + 1));
    expect(refused.parsed).toBe(false);
    expect(refused.err).toMatchObject({ code: 'bad_request', status: 400, details: { max_depth: MAX_JSON_DEPTH } });
  });
});

describe('valueNestsDeeperThan', () => {
  /** `1` inside `depth` arrays, built without recursion. */
  const arrays = (depth: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  };

  it('counts arrays and objects inside each other, at any depth without overflowing', () => {
    expect(valueNestsDeeperThan(arrays(5), 5)).toBe(false);
    expect(valueNestsDeeperThan(arrays(6), 5)).toBe(true);
    expect(valueNestsDeeperThan({ a: { b: [1, { c: 2 }] } }, 4)).toBe(false);
    expect(valueNestsDeeperThan({ a: { b: [1, { c: {} }] } }, 4)).toBe(true);
    expect(valueNestsDeeperThan([[1], [2], [3], [4], [5]], 2)).toBe(false);
    expect(valueNestsDeeperThan(arrays(100_000), 1_000)).toBe(true);
  });

  it('does not count strings and other scalars', () => {
    for (const scalar of ['[[[[', 7, null, true, undefined]) expect(valueNestsDeeperThan(scalar, 0)).toBe(false);
  });
});
