import { describe, expect, it } from 'vitest';
import { distinctSchema, heapGrowthMb } from '../../../test/helpers/heap.js';
import { ValidatorCache } from './validators.js';

const schema = distinctSchema;

/** Heap growth (MB, after full collections) of compiling and calling `count` distinct schemas through `cache`. */
function growthMb(cache: ValidatorCache, count: number): number {
  return heapGrowthMb(() => {
    for (let i = 0; i < count; i++) cache.compile(schema(i))({});
  });
}

describe('ValidatorCache', () => {
  it('validates, and serves one validator per distinct schema', () => {
    const cache = new ValidatorCache();
    const validate = cache.compile(schema(1));
    expect(cache.compile(schema(1))).toBe(validate);
    expect(validate({ f1: 'a1' })).toBeNull();
    expect(validate({ f1: 'b' })).toEqual([{ pointer: '/f1', message: 'must match pattern "^a1$"' }]);
    expect(validate({})).toEqual([{ pointer: '/f1', message: "must have required property 'f1'" }]);
  });

  it('forgets the least recently used schema past its bound, and keeps validating with every engine', () => {
    const cache = new ValidatorCache({ maxEntries: 3, compilesPerEngine: 2 });
    const first = cache.compile(schema(0));
    for (let i = 1; i <= 2; i++) cache.compile(schema(i));
    expect(cache.compile(schema(0))).toBe(first); // used again: now the most recent
    cache.compile(schema(3)); // evicts schema 1, the least recently used
    expect(cache.size).toBe(3);
    expect(cache.compile(schema(0))).toBe(first);
    expect(cache.compile(schema(1))).not.toBe(first);
    // Validators compiled by an engine that has since been replaced still work.
    expect(first({ f0: 'a0' })).toBeNull();
    for (let i = 0; i <= 3; i++) expect(cache.compile(schema(i))({ [`f${i}`]: 'x' })).toHaveLength(1);
  });

  it('stays bounded in memory while schemas keep coming (one engine for all of them grows by ~16 KB each)', () => {
    // Positive control: the same 1,500 schemas kept by one cache with one engine (nothing evicted, nothing rotated).
    const unbounded = new ValidatorCache({ maxEntries: 1e9, compilesPerEngine: 1e9 });
    const held = growthMb(unbounded, 1_500);
    expect(unbounded.size).toBe(1_500);
    const bounded = new ValidatorCache({ maxEntries: 100, compilesPerEngine: 100 });
    const kept = growthMb(bounded, 1_500);
    expect(bounded.size).toBe(100);
    expect(held).toBeGreaterThan(10);
    expect(kept).toBeLessThan(held / 4);
  });
});
