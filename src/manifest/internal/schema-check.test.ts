import { describe, expect, it } from 'vitest';
import { distinctSchema, heapGrowthMb } from '../../../test/helpers/heap.js';
import { createSchemaChecker, type SchemaChecker } from './schema-check.js';

const schema = distinctSchema;

/** Heap growth (MB) of checking `count` distinct schemas and using each validator once. */
function growthMb(checker: SchemaChecker, count: number): number {
  return heapGrowthMb(() => {
    for (let i = 0; i < count; i++) checker.check(schema(i)).validate?.({});
  });
}

describe('the manifest schema checker', () => {
  it('judges schemas, and its validators keep working after their engine was replaced', () => {
    const checker = createSchemaChecker({ compilesPerEngine: 2 });
    const first = checker.check(schema(0)).validate!;
    for (let i = 1; i <= 4; i++) expect(checker.check(schema(i)).validate!({ [`f${i}`]: `a${i}` })).toBe(true);
    expect(first({ f0: 'a0' })).toBe(true);
    expect(first({ f0: 'b' })).toBe(false);
    expect(checker.check({ type: 'object', properties: { x: { type: 'nope' } } }).problems).toEqual([
      { pointer: '/properties/x/type', message: expect.stringContaining('invalid JSON Schema') },
    ]);
  });

  it('stays bounded in memory while new schemas keep coming (one engine for all grows by ~15 KB each)', () => {
    // Positive control: the verdicts are bounded the same, but one engine compiles every schema.
    const held = growthMb(createSchemaChecker({ maxEntries: 100, compilesPerEngine: 1e9 }), 1_500);
    const kept = growthMb(createSchemaChecker({ maxEntries: 100, compilesPerEngine: 100 }), 1_500);
    expect(held).toBeGreaterThan(10);
    expect(kept).toBeLessThan(held / 4);
  });
});
