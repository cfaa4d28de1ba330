import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.js';
import { SessionTable } from './sessions.js';

const A1 = { tenantId: 'a', keyId: 'k1' };
const A2 = { tenantId: 'a', keyId: 'k2' };
const B1 = { tenantId: 'b', keyId: 'k3' };

describe('SessionTable slots', () => {
  it('refuses a key past its cap and a tenant past its cap, and frees slots on release', async () => {
    const table = new SessionTable(60_000, silentLogger, { perKey: 2, perTenant: 3 });
    const a = [table.reserve(A1), table.reserve(A1)];
    expect(a.every((s) => !('refused' in s))).toBe(true);
    expect(table.reserve(A1)).toEqual({ refused: 'key', limit: 2 });
    const third = table.reserve(A2);
    expect('refused' in third).toBe(false);
    expect(table.reserve(A2)).toEqual({ refused: 'tenant', limit: 3 });
    expect('refused' in table.reserve(B1)).toBe(false);
    const first = a[0]!;
    if ('refused' in first) throw new Error('unreachable');
    first.release();
    first.release(); // twice is harmless: it must not free a second slot
    expect('refused' in table.reserve(A1)).toBe(false);
    expect(table.reserve(A1)).toEqual({ refused: 'key', limit: 2 });
    await table.closeAll();
  });

  it('does not cap with limits of 0', async () => {
    const table = new SessionTable(60_000, silentLogger, { perKey: 0, perTenant: 0 });
    for (let i = 0; i < 1000; i++) expect('refused' in table.reserve(A1)).toBe(false);
    await table.closeAll();
  });

  it('answers Retry-After within the sweep period, at most a minute', async () => {
    const short = new SessionTable(400, silentLogger);
    const long = new SessionTable(30 * 60_000, silentLogger);
    expect(short.retryAfterSeconds).toBe(1);
    expect(long.retryAfterSeconds).toBe(60);
    await Promise.all([short.closeAll(), long.closeAll()]);
  });
});
