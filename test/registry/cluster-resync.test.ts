/**
 * A node whose LISTEN connection drops misses the notices sent meanwhile; when the connection is back it
 * must re-read everything (issue 10, defect 4). Two registries share one PostgreSQL schema.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/index.js';
import { Registry } from '../../src/registry/index.js';
import { createHttpSource } from '../../src/sources/http/index.js';
import { createSecretBox, type Store } from '../../src/store/index.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { echoManifest, startEchoApi, waitUntil } from '../helpers/registry-harness.js';
import { PG_URL, PG_URL_REDACTED, isPostgresReachable } from '../store/drivers.js';

const reachable = await isPostgresReachable();
const skip = !reachable && process.env.CI !== 'true';
if (skip) console.warn(`[skip] cluster resync tests: no PostgreSQL at ${PG_URL_REDACTED}`);

/** A logger that resolves waiters when a message is logged. */
function watchingLogger(): Logger & { next(msg: RegExp): Promise<void> } {
  const waiters: { msg: RegExp; resolve: () => void }[] = [];
  const log = (_obj: Record<string, unknown>, msg?: string): void => {
    for (const w of [...waiters]) {
      if (msg !== undefined && w.msg.test(msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const logger = {
    debug: log,
    info: log,
    warn: log,
    error: log,
    child: () => logger,
    next: (msg: RegExp) => new Promise<void>((resolve) => waiters.push({ msg, resolve })),
  };
  return logger;
}

describe.skipIf(skip)('a node whose change listener reconnects', () => {
  const schema = `t_resync_${randomBytes(6).toString('hex')}`;
  const box = createSecretBox({ key: randomBytes(32).toString('base64') });
  const admin = new pg.Client({ connectionString: PG_URL });
  const stores: Store[] = [];
  const nodes: Registry[] = [];
  let upstream: Awaited<ReturnType<typeof startEchoApi>>;

  const listenerPids = async (): Promise<number[]> =>
    (
      await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
        `toolport:listen:${schema}`,
      ])
    ).rows.map((r) => r.pid);

  const startNode = async (id: string, logger?: Logger, listenerRetryMs?: number): Promise<Registry> => {
    const store = createPostgresStore({
      url: PG_URL,
      schema,
      secretBox: box,
      ...(logger ? { logger } : {}),
      ...(listenerRetryMs ? { listenerRetryMs } : {}),
    });
    await store.migrate();
    stores.push(store);
    const registry = new Registry({
      store,
      sources: { http: ({ manifest, config }) => createHttpSource({ manifest, config, allowPrivateNetworks: true }) },
      nodeId: id,
    });
    await registry.start();
    nodes.push(registry);
    return registry;
  };

  beforeAll(async () => {
    upstream = await startEchoApi();
    await admin.connect();
  });

  afterAll(async () => {
    for (const n of nodes) await n.close();
    for (const s of stores) await s.close();
    await upstream?.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
  });

  it('re-reads the whole registry after its LISTEN connection is terminated', async () => {
    const a = await startNode('node-a');
    await stores[0]!.createTenant({ id: 'default', name: 'Default', created_at: new Date().toISOString() });
    await a.ensureTenantDefaults('default');
    const pidsOfA = await listenerPids();
    // Node b retries its listener after 1.5 s, so the change below surely lands while it is disconnected.
    const logB = watchingLogger();
    const b = await startNode('node-b', logB, 1_500);
    const [pidOfB] = (await listenerPids()).filter((p) => !pidsOfA.includes(p));
    expect(pidOfB).toBeDefined();

    await a.install({ tenantId: 'default', projectId: 'default', manifest: echoManifest(upstream.url) });
    await waitUntil(b, () => b.getSnapshot('default', 'default')!.tools.length === 1, 'install seen on node b');

    const lost = logB.next(/lost its connection/);
    await admin.query('SELECT pg_terminate_backend($1)', [pidOfB]);
    await lost;
    await a.install({
      tenantId: 'default',
      projectId: 'default',
      manifest: echoManifest(upstream.url, '2.0.0', ['get_item', 'get_two']),
    });
    await a.createProject('default', { id: 'made-while-away' });
    // The precondition of this test: node b was not listening when the change was announced.
    expect((await listenerPids()).filter((p) => !pidsOfA.includes(p))).toEqual([]);

    await waitUntil(b, () => b.getSnapshot('default', 'default')!.tools.length === 2, 'new version seen on node b');
    await waitUntil(b, () => b.getSnapshot('default', 'made-while-away') !== undefined, 'new project seen on node b');
    const out = await b.invokeTool('default', 'default', 'echo__get_two', { id: 'x' });
    expect(out.isError).toBeFalsy();
  });
});
