import { describe, expect, it } from 'vitest';
import { compileLinearRegExp, linearRegExpProblem, withoutUnsupportedPatterns } from './linear-regexp.js';
import { createLinearSchemaValidator } from './linear-schema-validator.js';

const EVIL = `${'a'.repeat(5000)}!`;

describe('linear-time regular expressions', () => {
  it('runs a catastrophic-backtracking pattern on a long input and answers', () => {
    expect(compileLinearRegExp('^(a+)+$').test(EVIL)).toBe(false);
    expect(compileLinearRegExp('^(a+)+$').test('aaaa')).toBe(true);
    // Unanchored search, as JSON Schema `pattern` means.
    expect(compileLinearRegExp('b+').test('aaabbb')).toBe(true);
    expect(compileLinearRegExp('^(?<word>\\w+)$').test('héllo')).toBe(false);
  });

  it('names the patterns it cannot run: backreferences and lookaround', () => {
    expect(linearRegExpProblem('^(a)\\1$')).toMatch(/linear-time/);
    expect(linearRegExpProblem('^(?=a)')).toMatch(/lookaround/);
    expect(linearRegExpProblem('a'.repeat(5000))).toMatch(/longer than/);
    expect(linearRegExpProblem('^[a-z0-9_-]+$')).toBeUndefined();
    expect(() => compileLinearRegExp('(?!a)')).toThrow();
  });

  it('drops only the unsupported patterns of a discovered schema, loosening what they guarded', () => {
    const { schema, dropped } = withoutUnsupportedPatterns({
      type: 'object',
      properties: {
        a: { type: 'string', pattern: '^(?=x)' },
        b: { type: 'string', pattern: '^b+$' },
        c: { type: 'object', patternProperties: { '^(a)\\1$': { type: 'number' } }, additionalProperties: false },
        d: { const: { pattern: '(?=kept as data)' } },
      },
    });
    expect(dropped).toEqual(['/properties/a/pattern', '/properties/c/patternProperties/^(a)\\1$']);
    expect(schema).toEqual({
      type: 'object',
      properties: {
        a: { type: 'string' },
        b: { type: 'string', pattern: '^b+$' },
        c: { type: 'object', patternProperties: {} },
        d: { const: { pattern: '(?=kept as data)' } },
      },
    });
  });

  it('gives the MCP SDK a validator that checks structuredContent with linear-time patterns', () => {
    const validator = createLinearSchemaValidator();
    const check = validator.getValidator<{ w: string }>({
      type: 'object',
      properties: { w: { type: 'string', pattern: '^(a+)+$' }, x: { type: 'string', pattern: '(?<=a)b' } },
    });
    const bad = check({ w: EVIL, x: 'zzz' });
    expect(bad.valid).toBe(false);
    expect(bad.errorMessage).toContain('/w');
    expect(check({ w: 'aaa', x: 'zzz' }).valid).toBe(true);
  });
});
