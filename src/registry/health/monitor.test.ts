import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHealthMonitor, type HealthMonitor, type HealthTarget } from './monitor.js';

/** A host recording when each connector was checked; checks take `checkMs` of (fake) time. */
function createHost(targets: HealthTarget[], checkMs = 0) {
  const calls: { name: string; at: number }[] = [];
  let running = 0;
  let maxRunning = 0;
  return {
    calls,
    maxRunning: () => maxRunning,
    healthTargets: () => targets,
    async checkHealth(_t: string, _p: string, name: string) {
      calls.push({ name, at: Date.now() });
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      if (checkMs > 0) await new Promise((r) => setTimeout(r, checkMs));
      running -= 1;
    },
  };
}

const leader = { withLeaderLock: async (_name: string, fn: () => Promise<void>) => (await fn(), true) };
const target = (name: string, intervalMs?: number): HealthTarget => ({
  tenantId: 't',
  projectId: 'p',
  name,
  ...(intervalMs ? { intervalMs } : {}),
});

describe('HealthMonitor scheduling', () => {
  let monitor: HealthMonitor | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(async () => {
    await monitor?.stop();
    monitor = undefined;
    vi.useRealTimers();
  });

  it('checks every target once per interval', async () => {
    const host = createHost([target('a'), target('b')]);
    monitor = createHealthMonitor({ host, store: leader, intervalMs: 10_000, jitter: 0, pollMs: 1_000 });
    monitor.start();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(host.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(host.calls.map((c) => c.name).sort()).toEqual(['a', 'b']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(host.calls).toHaveLength(4);
    expect(host.calls.slice(2).every((c) => c.at === 20_000)).toBe(true);
  });

  it('honours a per-connector interval override', async () => {
    const host = createHost([target('slow'), target('fast', 2_000)]);
    monitor = createHealthMonitor({ host, store: leader, intervalMs: 10_000, jitter: 0 });
    monitor.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(host.calls.filter((c) => c.name === 'fast')).toHaveLength(5);
    expect(host.calls.filter((c) => c.name === 'slow')).toHaveLength(1);
  });

  it('keeps jitter within ±10% of the interval', async () => {
    for (const [random, expected] of [
      [0, 9_000],
      [0.5, 10_000],
      [0.999_999, 11_000],
    ] as const) {
      vi.setSystemTime(0);
      const host = createHost([target('a')]);
      monitor = createHealthMonitor({ host, store: leader, intervalMs: 10_000, random: () => random, pollMs: 500 });
      monitor.start();
      await vi.advanceTimersByTimeAsync(12_000);
      expect(host.calls[0]?.at).toBe(expected);
      await monitor.stop();
    }
    // Real randomness: every first check lands inside the band.
    const host = createHost(Array.from({ length: 50 }, (_, i) => target(`c${i}`)));
    vi.setSystemTime(0);
    monitor = createHealthMonitor({ host, store: leader, intervalMs: 10_000, concurrency: 50, pollMs: 100 });
    monitor.start();
    await vi.advanceTimersByTimeAsync(11_000);
    expect(host.calls).toHaveLength(50);
    for (const call of host.calls) {
      expect(call.at).toBeGreaterThanOrEqual(9_000);
      expect(call.at).toBeLessThanOrEqual(11_000);
    }
    expect(new Set(host.calls.map((c) => c.at)).size).toBeGreaterThan(1);
  });

  it('never runs more checks at once than the concurrency cap', async () => {
    const host = createHost(
      Array.from({ length: 10 }, (_, i) => target(`c${i}`)),
      1_000,
    );
    monitor = createHealthMonitor({ host, store: leader, intervalMs: 10_000, jitter: 0, concurrency: 3 });
    monitor.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(host.maxRunning()).toBe(3);
    expect(monitor.stats().running).toBe(3);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(host.calls).toHaveLength(10);
    expect(monitor.stats().maxRunning).toBe(3);
  });

  it('skips the batch when another node holds the leader lock', async () => {
    const host = createHost([target('a')]);
    let leaderNow = false;
    const names: string[] = [];
    const store = {
      withLeaderLock: async (name: string, fn: () => Promise<void>) => {
        names.push(name);
        if (!leaderNow) return false;
        await fn();
        return true;
      },
    };
    monitor = createHealthMonitor({ host, store, intervalMs: 10_000, jitter: 0 });
    monitor.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(host.calls).toHaveLength(0);
    expect(monitor.stats().skipped).toBe(3);
    expect(names.every((n) => n === 'toolport-health')).toBe(true);
    leaderNow = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(host.calls).toHaveLength(1);
  });

  it('checks a connector once per interval across nodes that take turns with the lock', async () => {
    // Two nodes sharing a lock (taken per batch) and a health history, started 3 s apart.
    const history: { checked_at: string }[] = [];
    const calls: string[] = [];
    let held = false;
    const store = {
      withLeaderLock: async (_name: string, fn: () => Promise<void>) => {
        if (held) return false;
        held = true;
        try {
          await fn();
        } finally {
          held = false;
        }
        return true;
      },
      listHealthChecks: async () => history.slice(-1).map((h) => ({ ...h }) as never),
    };
    const node = (id: string) =>
      createHealthMonitor({
        host: {
          healthTargets: () => [target('a')],
          checkHealth: async () => {
            calls.push(id);
            history.push({ checked_at: new Date(Date.now()).toISOString() });
          },
        },
        store,
        intervalMs: 10_000,
        jitter: 0,
        pollMs: 1_000,
      });
    const a = node('a');
    const b = node('b');
    a.start();
    await vi.advanceTimersByTimeAsync(3_000);
    b.start();
    await vi.advanceTimersByTimeAsync(57_000);
    await Promise.all([a.stop(), b.stop()]);
    // 60 s at a 10 s interval: node a at 10, 20 … 60 s; node b finds each of those checks in the history.
    expect(calls).toEqual(['a', 'a', 'a', 'a', 'a', 'a']);
  });

  it('stops checking a connector once it is no longer a target, and after stop()', async () => {
    const targets = [target('a'), target('b')];
    const host = createHost(targets);
    monitor = createHealthMonitor({ host, store: leader, intervalMs: 1_000, jitter: 0 });
    monitor.start();
    await vi.advanceTimersByTimeAsync(1_000);
    targets.pop();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(host.calls.filter((c) => c.name === 'b')).toHaveLength(1);
    expect(host.calls.filter((c) => c.name === 'a')).toHaveLength(4);
    await monitor.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(host.calls).toHaveLength(5);
  });

  it('survives a check that throws and a lock that fails', async () => {
    let failLock = true;
    const store = {
      withLeaderLock: async (_n: string, fn: () => Promise<void>) => {
        if (failLock) throw new Error('store down');
        await fn();
        return true;
      },
    };
    const calls: string[] = [];
    const host = {
      healthTargets: () => [target('a')],
      checkHealth: async () => {
        calls.push('a');
        throw new Error('not_found');
      },
    };
    monitor = createHealthMonitor({ host, store, intervalMs: 1_000, jitter: 0 });
    monitor.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toHaveLength(0);
    failLock = false;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls.length).toBeGreaterThanOrEqual(1);
  });
});
