import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/index.js';
import { createHttpSource } from '../../src/sources/http/index.js';
import { createSecretBox, openStore, type Store } from '../../src/store/index.js';
import { echoManifest, startEchoApi, waitUntil } from '../helpers/registry-harness.js';
import { PG_URL, PG_URL_REDACTED, isPostgresReachable } from '../store/drivers.js';

const reachable = await isPostgresReachable();
if (!reachable && process.env.CI !== 'true') {
  console.warn(`[skip] scale-out tests: no PostgreSQL at ${PG_URL_REDACTED} (set TOOLPORT_TEST_DATABASE_URL)`);
}

describe.skipIf(!reachable && process.env.CI !== 'true')('two nodes sharing PostgreSQL', () => {
  const schema = `t_scale_${randomBytes(6).toString('hex')}`;
  const box = createSecretBox({ key: randomBytes(32).toString('base64') });
  const stores: Store[] = [];
  const nodes: Registry[] = [];
  let api: Awaited<ReturnType<typeof startEchoApi>>;

  const startNode = async (id: string): Promise<Registry> => {
    const store = await openStore({ url: PG_URL, schema, secretBox: box });
    stores.push(store);
    const registry = new Registry({
      store,
      sources: { http: ({ manifest, config }) => createHttpSource({ manifest, config, allowPrivateNetworks: true }) },
      nodeId: id,
      usageFlushMs: 50,
    });
    await registry.start();
    nodes.push(registry);
    return registry;
  };

  beforeAll(async () => {
    api = await startEchoApi();
  });

  afterAll(async () => {
    for (const n of nodes) await n.close();
    for (const s of stores) await s.close();
    await api?.close();
    if (reachable) {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });

  it('propagates installs, disables, new versions and uninstalls from one node to the other', async () => {
    const a = await startNode('node-a');
    await stores[0]!.createTenant({ id: 'default', name: 'Default', created_at: new Date().toISOString() });
    await a.ensureTenantDefaults('default');
    const b = await startNode('node-b');
    expect(b.getSnapshot('default', 'default')).toBeDefined();

    await a.createProject('default', { id: 'shared' });
    await waitUntil(b, () => b.getSnapshot('default', 'shared') !== undefined, 'project visible on node b');

    await a.install({ tenantId: 'default', projectId: 'shared', manifest: echoManifest(api.url) });
    await waitUntil(b, () => b.getSnapshot('default', 'shared')!.tools.length === 1, 'tool served on node b');
    // Node b really runs the connector: a call through b reaches the API.
    const out = await b.invokeTool('default', 'shared', 'echo__get_item', { id: 'from-b' });
    expect(out.structuredContent).toMatchObject({ path: '/items/from-b' });

    await a.setEnabled('default', 'shared', 'echo', false);
    await waitUntil(b, () => b.getSnapshot('default', 'shared')!.tools.length === 0, 'disable seen on node b');
    await a.setEnabled('default', 'shared', 'echo', true);
    await a.install({
      tenantId: 'default',
      projectId: 'shared',
      manifest: echoManifest(api.url, '2.0.0', ['get_item', 'get_two']),
    });
    await waitUntil(b, () => b.getSnapshot('default', 'shared')!.tools.length === 2, 'new version on node b');

    await a.uninstall('default', 'shared', 'echo');
    await waitUntil(b, () => b.getSnapshot('default', 'shared')!.connectors.size === 0, 'uninstall seen on node b');
  });

  it('runs a cluster-wide job on one node at a time (advisory-lock leader)', async () => {
    const [s1, s2] = stores;
    let inside = 0;
    let overlap = false;
    let attempts: Promise<boolean>[] = [];
    // The leader holds the lock until the other node's attempt has returned (its own cannot return while it runs),
    // so the two attempts surely overlap in time; a second job inside at once is recorded and lets go at once.
    const job = async (): Promise<void> => {
      inside += 1;
      if (inside > 1) overlap = true;
      else await Promise.race(attempts);
      inside -= 1;
    };
    attempts = [s1!.withLeaderLock('toolport-health', job), s2!.withLeaderLock('toolport-health', job)];
    const ran = await Promise.all(attempts);
    expect(ran.filter(Boolean)).toHaveLength(1);
    expect(overlap).toBe(false);
    // Positive control: once the leader is done, the lock is free again.
    expect(await s2!.withLeaderLock('toolport-health', async () => undefined)).toBe(true);
  });
});
