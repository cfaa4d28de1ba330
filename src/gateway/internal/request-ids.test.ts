import { describe, expect, it } from 'vitest';

import { InFlightIds, requestIds } from './request-ids.js';

describe('requestIds', () => {
  it('takes the ids of requests only, from one message or a batch', () => {
    expect(requestIds({ jsonrpc: '2.0', id: 1, method: 'ping' })).toEqual([1]);
    expect(
      requestIds([
        { jsonrpc: '2.0', id: 'a', method: 'tools/list' },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, result: {} },
        { jsonrpc: '2.0', id: null, method: 'ping' },
        'junk',
      ]),
    ).toEqual(['a']);
    expect(requestIds(undefined)).toEqual([]);
  });
});

describe('InFlightIds', () => {
  it('reports an id in flight until it is released, and keeps 1 and "1" apart', () => {
    const ids = new InFlightIds();
    const release = ids.claim([1]);
    expect(ids.conflict([1])).toBe(1);
    expect(ids.conflict(['1', 2])).toBeUndefined();
    release();
    release();
    expect(ids.conflict([1])).toBeUndefined();
    ids.claim(['x']);
    ids.release('x');
    expect(ids.conflict(['x'])).toBeUndefined();
  });

  it('refuses a batch that repeats an id within itself', () => {
    expect(new InFlightIds().conflict([3, 4, 3])).toBe(3);
  });
});
