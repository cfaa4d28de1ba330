/** Conformance: connectors, versions, usage upserts, health history trimming, cascades. */
import { expect } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { expectCode } from './conformance-core.js';
import type { StoreTest } from './drivers.js';
import { apiKey, at, connector, delivery, health, project, script, usage, version, webhook } from './records.js';

/** A tenant with one project. */
export async function seed(store: Store, tenant = 't1', proj = 'p1'): Promise<void> {
  if (!(await store.getTenant(tenant))) await store.createTenant({ id: tenant, name: tenant, created_at: at(0) });
  await store.createProject(project(tenant, proj));
}

export function defineConnectorTests(it: StoreTest): void {
  it('saves a connector with its first version and returns the exact record shapes', async ({ h }) => {
    const { store } = h;
    await seed(store);
    const c = connector('t1', 'p1', 'weather', { source_path: '/srv/weather.yaml', status_reason: null });
    const v1 = version(c, 1, { source_path: '/srv/weather.yaml' });
    await store.saveConnectorVersion(c, v1);
    expect(await store.getConnector('t1', 'p1', 'weather')).toEqual(c);
    expect(await store.getConnectorVersion('t1', 'p1', 'weather', 1)).toEqual(v1);
    expect(await store.getConnectorVersion('t1', 'p1', 'weather', 2)).toBeNull();
    expect(await store.getConnector('t1', 'p1', 'nope')).toBeNull();
  });

  it('adds versions, keeps created_at of the first install, and rolls back a duplicate seq whole', async ({ h }) => {
    const { store } = h;
    await seed(store);
    const c = connector('t1', 'p1', 'weather');
    await store.saveConnectorVersion(c, version(c, 1));
    const c2 = { ...c, current_version: 2, config: { api_key: 'rotated' }, created_at: at(50), updated_at: at(50) };
    const v2 = version(c, 2, { diff: { added: ['forecast'], removed: [], changed: ['echo'] } });
    await store.saveConnectorVersion(c2, v2);
    expect(await store.getConnector('t1', 'p1', 'weather')).toEqual({ ...c2, created_at: c.created_at });
    expect((await store.listConnectorVersions('t1', 'p1', 'weather')).map((v) => v.seq)).toEqual([1, 2]);

    const c3 = { ...c2, current_version: 3, config: { api_key: 'must-not-stick' }, updated_at: at(60) };
    await expectCode(store.saveConnectorVersion(c3, version(c, 2)), 'conflict');
    // The connector upsert ran before the failing version insert: the transaction must undo it.
    expect(await store.getConnector('t1', 'p1', 'weather')).toEqual({ ...c2, created_at: c.created_at });
  });

  it('refuses a version of another connector and a connector of an unknown project', async ({ h }) => {
    const { store } = h;
    await seed(store);
    const c = connector('t1', 'p1', 'weather');
    await expectCode(store.saveConnectorVersion(c, version(connector('t1', 'p1', 'other'), 1)), 'bad_request');
    const orphan = connector('t1', 'ghost', 'weather');
    await expectCode(store.saveConnectorVersion(orphan, version(orphan, 1)), 'not_found');
  });

  it('updates the connector row (enable, status, rollback) but only to versions it has', async ({ h }) => {
    const { store } = h;
    await seed(store);
    const c = connector('t1', 'p1', 'weather');
    await store.saveConnectorVersion(c, version(c, 1));
    await store.saveConnectorVersion({ ...c, current_version: 2 }, version(c, 2));
    const changed = {
      ...c,
      enabled: false,
      status: 'error' as const,
      status_reason: 'boom',
      current_version: 1,
      updated_at: at(70),
    };
    await store.updateConnector(changed);
    expect(await store.getConnector('t1', 'p1', 'weather')).toEqual(changed);
    await expectCode(store.updateConnector({ ...changed, current_version: 9 }), 'not_found');
    await expectCode(store.updateConnector(connector('t1', 'p1', 'ghost')), 'not_found');
    expect((await store.getConnector('t1', 'p1', 'weather'))?.current_version).toBe(1);
  });

  it('updates only status columns, or only metadata, never the version or config', async ({ h }) => {
    const { store } = h;
    await seed(store);
    const c = { ...connector('t1', 'p1', 'weather'), config: { key: 'k1' } };
    await store.saveConnectorVersion(c, version(c, 1));
    await store.saveConnectorVersion({ ...c, current_version: 2 }, version(c, 2));
    const change = { status: 'error' as const, status_reason: 'health check failed', updated_at: at(80) };
    expect(await store.updateConnectorStatus('t1', 'p1', 'weather', change)).toBe(true);
    expect(await store.updateConnectorMetadata('t1', 'p1', 'weather', { probe: { tool: 'x' } }, at(90))).toBe(true);
    expect(await store.getConnector('t1', 'p1', 'weather')).toEqual({
      ...c,
      current_version: 2,
      ...change,
      metadata: { probe: { tool: 'x' } },
      updated_at: at(90),
    });
    expect(await store.updateConnectorStatus('t1', 'p1', 'ghost', change)).toBe(false);
    expect(await store.updateConnectorMetadata('t1', 'p1', 'ghost', {}, at(90))).toBe(false);
  });

  it('lists connectors filtered by tenant and project', async ({ h }) => {
    const { store } = h;
    await seed(store, 't1', 'p1');
    await seed(store, 't1', 'p2');
    await seed(store, 't2', 'p1');
    for (const [t, p, n] of [
      ['t1', 'p1', 'b'],
      ['t1', 'p1', 'a'],
      ['t1', 'p2', 'c'],
      ['t2', 'p1', 'd'],
    ] as const) {
      const c = connector(t, p, n);
      await store.saveConnectorVersion(c, version(c, 1));
    }
    const names = (list: { name: string }[]) => list.map((c) => c.name);
    expect(names(await store.listConnectors())).toEqual(['a', 'b', 'c', 'd']);
    expect(names(await store.listConnectors({ tenantId: 't1' }))).toEqual(['a', 'b', 'c']);
    expect(names(await store.listConnectors({ tenantId: 't1', projectId: 'p1' }))).toEqual(['a', 'b']);
    expect(names(await store.listConnectors({ projectId: 'p1' }))).toEqual(['a', 'b', 'd']);
  });

  it('adds usage: counts and latency summed, buckets merged, last_used_at kept at the maximum', async ({ h }) => {
    const { store } = h;
    await seed(store);
    const c = connector('t1', 'p1', 'weather');
    await store.saveConnectorVersion(c, version(c, 1));
    await store.addToolUsage([
      usage(c, 'echo', {
        calls: 3,
        errors: 1,
        total_latency_ms: 12.5,
        last_used_at: at(30),
        latency_buckets: { '10': 2, '+Inf': 1 },
      }),
      // The same tool twice in one batch is folded, not rejected.
      usage(c, 'echo', {
        calls: 2,
        errors: 0,
        total_latency_ms: 7.5,
        last_used_at: at(20),
        latency_buckets: { '10': 1, '50': 1 },
      }),
      usage(c, 'other', { last_used_at: null, latency_buckets: {} }),
    ]);
    await store.addToolUsage([
      usage(c, 'echo', {
        calls: 10,
        errors: 4,
        total_latency_ms: 100,
        last_used_at: at(25),
        latency_buckets: { '50': 3, '+Inf': 2 },
      }),
      usage(c, 'other', { calls: 1, last_used_at: at(40), latency_buckets: { '10': 1 } }),
    ]);
    await store.addToolUsage([]);
    const rows = await store.listToolUsage({ tenantId: 't1', projectId: 'p1', connectorName: 'weather' });
    expect(rows).toEqual([
      usage(c, 'echo', {
        calls: 15,
        errors: 5,
        total_latency_ms: 120,
        last_used_at: at(30),
        latency_buckets: { '10': 3, '50': 4, '+Inf': 3 },
      }),
      usage(c, 'other', {
        calls: 2,
        errors: 0,
        total_latency_ms: 20,
        last_used_at: at(40),
        latency_buckets: { '10': 1 },
      }),
    ]);
  });

  it('drops usage of connectors that no longer exist and rejects negative counts', async ({ h }) => {
    const { store } = h;
    await seed(store);
    const c = connector('t1', 'p1', 'weather');
    await store.saveConnectorVersion(c, version(c, 1));
    await store.addToolUsage([usage(c, 'echo'), usage(connector('t1', 'p1', 'deleted'), 'echo')]);
    expect((await store.listToolUsage()).map((u) => u.connector_name)).toEqual(['weather']);
    const err = await expectCode(store.addToolUsage([usage(c, 'echo', { calls: -1 })]), 'bad_request');
    expect(err.message).toContain('calls');
    expect((await store.listToolUsage())[0]?.calls).toBe(1);
  });

  it('keeps the newest `keep` health checks per connector, newest first', async ({ h }) => {
    const { store } = h;
    await seed(store);
    const c = connector('t1', 'p1', 'weather');
    const d = connector('t1', 'p1', 'other');
    await store.saveConnectorVersion(c, version(c, 1));
    await store.saveConnectorVersion(d, version(d, 1));
    for (const s of [5, 1, 3, 4, 2])
      await store.addHealthCheck(health(c, s, { ok: s % 2 === 0, message: s % 2 ? 'down' : null }), 3);
    await store.addHealthCheck(health(d, 1), 3);
    const list = await store.listHealthChecks('t1', 'p1', 'weather', 10);
    expect(list).toEqual([5, 4, 3].map((s) => health(c, s, { ok: s % 2 === 0, message: s % 2 ? 'down' : null })));
    expect(await store.listHealthChecks('t1', 'p1', 'weather', 1)).toHaveLength(1);
    expect(await store.listHealthChecks('t1', 'p1', 'other', 10)).toHaveLength(1);
    await expectCode(store.addHealthCheck(health(c, 9), 0), 'bad_request');
    await expectCode(store.addHealthCheck(health(connector('t1', 'p1', 'ghost'), 9), 3), 'not_found');
  });

  it('deleteConnector removes its versions, usage and health, and nothing of its neighbours', async ({ h }) => {
    const { store, raw } = h;
    await seed(store);
    const c = connector('t1', 'p1', 'weather');
    const keep = connector('t1', 'p1', 'keep');
    for (const x of [c, keep]) {
      await store.saveConnectorVersion(x, version(x, 1));
      await store.addToolUsage([usage(x, 'echo')]);
      await store.addHealthCheck(health(x, 1), 5);
    }
    expect(await store.deleteConnector('t1', 'p1', 'weather')).toBe(true);
    expect(await store.deleteConnector('t1', 'p1', 'weather')).toBe(false);
    for (const table of ['connector_versions', 'tool_usage', 'health_checks']) {
      const rows = await raw(`SELECT connector_name FROM ${table}`);
      expect(
        rows.map((r) => r.connector_name),
        table,
      ).toEqual(['keep']);
    }
  });

  it('deleteProject and deleteTenant cascade to every table below them', async ({ h }) => {
    const { store, raw } = h;
    for (const [t, p] of [
      ['t1', 'p1'],
      ['t1', 'p2'],
      ['t2', 'p1'],
    ] as const) {
      await seed(store, t, p);
      const c = connector(t, p, 'weather');
      await store.saveConnectorVersion(c, version(c, 1));
      await store.addToolUsage([usage(c, 'echo')]);
      await store.addHealthCheck(health(c, 1), 5);
      const hook = webhook(t, p, `wh_${t}_${p}`);
      await store.createWebhook(hook);
      await store.addWebhookDelivery(delivery(hook, 'd1', 1), 5);
    }
    await store.saveScript(script('t1', 's1'));
    await store.createApiKey(apiKey('t1', 'key_1'));

    const count = async (table: string, where: string) =>
      Number((await raw(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`))[0]?.n);
    const below = ['connectors', 'connector_versions', 'tool_usage', 'health_checks', 'webhooks'];

    expect(await store.deleteProject('t1', 'p1')).toBe(true);
    for (const table of below) expect(await count(table, "tenant_id = 't1' AND project_id = 'p1'"), table).toBe(0);
    expect(await count('webhook_deliveries', "webhook_id = 'wh_t1_p1'")).toBe(0);
    expect(await count('connectors', "tenant_id = 't1'")).toBe(1);

    expect(await store.deleteTenant('t1')).toBe(true);
    for (const table of [...below, 'projects', 'api_keys', 'scripts', 'webhook_deliveries']) {
      expect(await count(table, "tenant_id = 't1'"), table).toBe(0);
      expect(await count(table, "tenant_id = 't2'"), table).toBe(table === 'api_keys' || table === 'scripts' ? 0 : 1);
    }
  });
}
