/** Conformance: several instances on one database — migrations, change notices, leader lock. */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { ChangeNotice, Store } from '../../src/store/index.js';
import { seed } from './conformance-connectors.js';
import type { StoreDriverFixture } from './drivers.js';
import type { StoreTest } from './drivers.js';

/** A notice unique to this test run (other suites may share the PostgreSQL channel). */
const notice = (node: string): ChangeNotice => ({
  node,
  tenant_id: 't1',
  project_id: 'p1',
  connector_name: 'weather',
  event: `connector.updated.${randomBytes(4).toString('hex')}`,
});

/** Resolves with the notice once `store` hears `n` (subscribed now, so call it before publishing). */
function heard(store: Store, n: ChangeNotice, timeoutMs = 10_000): Promise<ChangeNotice> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`notice ${n.event} not received within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = store.onChange((r) => {
      if (r.event !== n.event) return;
      clearTimeout(timer);
      off();
      resolve(r);
    });
  });
}

/** A promise with its resolver exposed. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function defineClusterTests(it: StoreTest, fixture: StoreDriverFixture): void {
  it('migrates safely when two instances start at once on a fresh database', async () => {
    const fresh = await fixture.setup({ migrated: false });
    try {
      const a = fresh.store;
      const b = fresh.openUnmigrated();
      await Promise.all([a.migrate(), b.migrate(), a.migrate()]);
      const rows = await fresh.raw('SELECT version FROM schema_migrations');
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.version)).size).toBe(rows.length);
      await seed(a);
      expect((await b.listProjects('t1')).map((p) => p.id)).toEqual(['p1']);
    } finally {
      await fresh.cleanup();
    }
  });

  if (fixture.name === 'postgres') {
    it('delivers notices between two instances over LISTEN/NOTIFY', async ({ h }) => {
      const { store: a, open } = h;
      const b = await open();
      const n = notice('node-a');
      const atB = heard(b, n);
      // The sender hears its own notice too; nodes filter on `node`.
      const atA = heard(a, n);
      // LISTEN comes up asynchronously: a notice published before it is active would be lost.
      await Promise.all([a.listening(), b.listening()]);
      await a.notify(n);
      expect(await atB).toEqual(n);
      expect(await atA).toEqual(n);
    });

    it('keeps listening after its listener connection is killed', async ({ h }) => {
      const { store: a, open, raw } = h;
      const b = await open();
      const first = notice('node-a');
      const firstAtB = heard(b, first);
      await b.listening();
      await a.notify(first);
      await firstAtB;
      const resynced = new Promise<void>((resolve) => {
        const off = b.onResync(() => {
          off();
          resolve();
        });
      });
      const [{ schema }] = (await raw('SELECT current_schema() AS schema')) as [{ schema: string }];
      const killed = await raw(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'toolport:listen:${schema}'`,
      );
      expect(killed.length).toBeGreaterThan(0);
      // The listener reports LISTEN active again on its new connection; a notice sent after that arrives.
      await resynced;
      const second = notice('node-a');
      const secondAtB = heard(b, second);
      await a.notify(second);
      expect(await secondAtB).toEqual(second);
    });

    it('gives the leader lock to one instance at a time and frees it after fn, even when fn throws', async ({ h }) => {
      const { store: a, open } = h;
      const b = await open();
      const lock = `health-${randomBytes(4).toString('hex')}`;
      const holding = deferred();
      const release = deferred();
      const first = a.withLeaderLock(lock, async () => {
        holding.resolve();
        await release.promise;
      });
      await holding.promise;
      let ranOnB = false;
      expect(await b.withLeaderLock(lock, async () => void (ranOnB = true))).toBe(false);
      expect(ranOnB).toBe(false);
      // Even the holder's own second attempt (another connection) is refused while held.
      expect(await a.withLeaderLock(lock, async () => undefined)).toBe(false);
      release.resolve();
      expect(await first).toBe(true);
      await expect(b.withLeaderLock(lock, async () => Promise.reject(new Error('job failed')))).rejects.toThrow(
        'job failed',
      );
      expect(await a.withLeaderLock(lock, async () => void (ranOnB = true))).toBe(true);
      expect(ranOnB).toBe(true);
    });
  } else {
    it('delivers notices to local listeners only and stops after unsubscribe (known gap: no cross-process notices)', async ({
      h,
    }) => {
      const { store: a, open } = h;
      const b = await open();
      const atA: ChangeNotice[] = [];
      const atB: ChangeNotice[] = [];
      const off = a.onChange((n) => atA.push(n));
      b.onChange((n) => atB.push(n));
      const n = notice('node-a');
      await a.notify(n);
      // Positive control for B: its own notice, published after A's, reaches it; delivery is in order, so A's
      // would have arrived first.
      const own = notice('node-b');
      const ownAtB = heard(b, own);
      await b.notify(own);
      await ownAtB;
      expect(atA).toEqual([n]);
      expect(atB).toEqual([own]);
      off();
      // Positive control for the unsubscribed listener: one subscribed after it hears the next notice, and
      // listeners are called in subscription order.
      const next = notice('node-a');
      const nextAtA = heard(a, next);
      await a.notify(next);
      await nextAtA;
      expect(atA).toEqual([n]);
    });

    it('always runs the leader-lock function (a single process is its own leader)', async ({ h }) => {
      const { store } = h;
      let runs = 0;
      const results = await Promise.all([
        store.withLeaderLock('health', async () => void runs++),
        store.withLeaderLock('health', async () => void runs++),
      ]);
      expect(results).toEqual([true, true]);
      expect(runs).toBe(2);
    });
  }
}
