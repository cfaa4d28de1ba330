import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { JsonSchema } from '../../src/core/index.js';

// A real full collection: V8 hands out `gc` to a new context once the flag is set.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap growth in MB, after full collections, of running `work` (whatever it still holds afterwards counts). */
export function heapGrowthMb(work: () => void): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  work();
  gc();
  gc();
  return (process.memoryUsage().heapUsed - before) / 1e6;
}

/** Schema `i` of a stream of distinct ones, each with its own pattern: what tenants' new tools keep bringing. */
export function distinctSchema(i: number): JsonSchema {
  return {
    type: 'object',
    properties: { [`f${i}`]: { type: 'string', pattern: `^a${i}$` }, n: { type: 'integer', minimum: i } },
    required: [`f${i}`],
  };
}
