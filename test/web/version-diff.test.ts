import { describe, expect, it } from 'vitest';
import { diffBetween, type VersionInfo } from '../../web/src/pages/version-diff.js';

// Versions as /versions lists them: each diff is against the version before it.
const versions: VersionInfo[] = [
  { seq: 3, diff: { added: ['c'], removed: ['a'], changed: ['b'] } },
  { seq: 2, diff: { added: [], removed: [], changed: ['a'] } },
  { seq: 1, diff: { added: ['a', 'b'], removed: [], changed: [] } },
];

describe('tool diff between two connector versions', () => {
  it('replays the per-version diffs to compare any two versions', () => {
    expect(diffBetween(versions, 1, 3)).toEqual({ added: ['c'], removed: ['a'], changed: ['b'] });
    expect(diffBetween(versions, 2, 3)).toEqual({ added: ['c'], removed: ['a'], changed: ['b'] });
    expect(diffBetween(versions, 1, 2)).toEqual({ added: [], removed: [], changed: ['a'] });
  });

  it('reads the other way round when going back (what a rollback would change)', () => {
    expect(diffBetween(versions, 3, 1)).toEqual({ added: ['a'], removed: ['c'], changed: ['b'] });
    expect(diffBetween(versions, 2, 2)).toEqual({ added: [], removed: [], changed: [] });
  });
});
