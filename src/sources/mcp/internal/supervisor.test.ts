import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../core/index.js';
import type { UpstreamConnection } from './connection.js';
import { Supervisor, type ConnectionHooks } from './supervisor.js';

/** A scripted upstream: each open() succeeds or fails per `plan`; hooks let the test drop a connection. */
function createHarness(plan: boolean[]) {
  const opened: { hooks: ConnectionHooks; conn: UpstreamConnection; closed: boolean }[] = [];
  let attempts = 0;
  const reconnected: UpstreamConnection[] = [];
  const supervisor = new Supervisor({
    open: async (hooks) => {
      const ok = plan[attempts] ?? true;
      attempts += 1;
      if (!ok) throw new Error('spawn failed');
      const entry = { hooks, closed: false, conn: undefined as unknown as UpstreamConnection };
      entry.conn = {
        client: {} as never,
        transport: 'stdio',
        pid: 1000 + attempts,
        close: async () => void (entry.closed = true),
      };
      opened.push(entry);
      return entry.conn;
    },
    restart: { baseMs: 100, maxMs: 1_000 },
    killGraceMs: 10,
    logger: silentLogger,
    onToolsChanged: () => undefined,
    onNotification: () => undefined,
    onClientRequest: () => Promise.reject(new Error('no client')),
    onReconnected: (conn) => reconnected.push(conn),
  });
  return { supervisor, opened, reconnected, attempts: () => attempts };
}

describe('Supervisor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shares one connect attempt between concurrent callers', async () => {
    const h = createHarness([true]);
    const [a, b, c] = await Promise.all([h.supervisor.connect(), h.supervisor.connect(), h.supervisor.connect()]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(h.attempts()).toBe(1);
  });

  it('backs off exponentially up to the cap while restarts fail, then reconnects', async () => {
    const h = createHarness([true, false, false, false, false, false, true]);
    await h.supervisor.connect();
    h.opened[0]!.hooks.onClose();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const info = h.supervisor.info();
      expect(info.connected).toBe(false);
      delays.push(info.restartInMs!);
      await vi.advanceTimersByTimeAsync(info.restartInMs!);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(h.supervisor.info()).toMatchObject({ connected: true, restarts: 1, pid: 1007 });
    expect(h.reconnected).toHaveLength(1);
  });

  it('fails fast while waiting and names the remaining delay', async () => {
    const h = createHarness([true]);
    await h.supervisor.connect();
    h.opened[0]!.hooks.onClose();
    expect(h.supervisor.downReason()).toBe('upstream not connected (restarting in 100 ms)');
    await expect(h.supervisor.connect()).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(h.attempts()).toBe(1);
  });

  it('names why the upstream ended (a limit it hit) while waiting and in its info', async () => {
    const h = createHarness([true]);
    await h.supervisor.connect();
    h.opened[0]!.hooks.onClose('the upstream exceeded its memory limit (64 MB; TOOLPORT_MCP_MAX_MEMORY_MB)');
    expect(h.supervisor.downReason()).toBe(
      'upstream not connected (restarting in 100 ms): the upstream exceeded its memory limit (64 MB; TOOLPORT_MCP_MAX_MEMORY_MB)',
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(h.supervisor.info()).toMatchObject({ connected: true, lastExit: expect.stringContaining('64 MB') });
  });

  it('resets the backoff after a connection that stayed up, keeps doubling in a crash loop', async () => {
    const h = createHarness([]);
    await h.supervisor.connect();
    h.opened[0]!.hooks.onClose();
    await vi.advanceTimersByTimeAsync(100);
    h.opened[1]!.hooks.onClose(); // crashed right away: the next delay doubles
    expect(h.supervisor.info().restartInMs).toBe(200);
    await vi.advanceTimersByTimeAsync(200);
    await vi.advanceTimersByTimeAsync(5_000); // stable for a while
    h.opened[2]!.hooks.onClose();
    expect(h.supervisor.info()).toMatchObject({ restartInMs: 100, restarts: 3 });
  });

  it('ignores the close callback of a replaced connection and closes everything on close()', async () => {
    const h = createHarness([]);
    await h.supervisor.connect();
    h.supervisor.markLost(h.opened[0]!.conn);
    expect(h.opened[0]!.closed).toBe(true);
    h.opened[0]!.hooks.onClose(); // late callback from the old child
    expect(h.supervisor.info().restarts).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    await h.supervisor.close();
    expect(h.opened[1]!.closed).toBe(true);
    expect(h.supervisor.downReason()).toBe('upstream source is closed');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.attempts()).toBe(2);
  });
});
