/** Conformance: scripts, webhooks, tenant isolation, secrets encrypted at rest. */
import { expect } from 'vitest';
import { createSecretBox } from '../../src/store/index.js';
import { seed } from './conformance-connectors.js';
import { expectCode } from './conformance-core.js';
import { randomKey } from './drivers.js';
import type { StoreTest } from './drivers.js';
import { apiKey, at, connector, delivery, health, script, usage, version, webhook } from './records.js';

const CONNECTOR_SECRET = 'sk-live-SECRET-VALUE-123';
const WEBHOOK_SECRET = 'whsec-SECRET-SIGNING-456';

export function defineSecurityTests(it: StoreTest): void {
  it('saves scripts content-addressed: a second save returns the first record', async ({ h }) => {
    const { store } = h;
    await seed(store);
    const s1 = script('t1', 'abc123', { filename: 'Report_Tool.py' });
    expect(await store.saveScript(s1)).toEqual(s1);
    expect(await store.saveScript({ ...s1, filename: 'renamed.py', created_at: at(99) })).toEqual(s1);
    expect(await store.getScript('t1', 'abc123')).toEqual(s1);
    expect(await store.getScript('t1', 'missing')).toBeNull();
    await expectCode(store.saveScript(script('ghost', 'x')), 'not_found');
  });

  it('lists scripts without content, searching file names case-insensitively and literally', async ({ h }) => {
    const { store } = h;
    await seed(store);
    await store.saveScript(script('t1', 's1', { filename: 'Report_Tool.py', created_at: at(1) }));
    await store.saveScript(script('t1', 's2', { filename: 'reportXtool.py', created_at: at(2) }));
    await store.saveScript(script('t1', 's3', { filename: '100%.py', created_at: at(3) }));
    const all = await store.listScripts('t1');
    expect(all.map((s) => s.id)).toEqual(['s1', 's2', 's3']);
    expect(all[0]).not.toHaveProperty('content');
    expect(all[0]).toEqual({
      id: 's1',
      tenant_id: 't1',
      filename: 'Report_Tool.py',
      size: 42,
      analysis: null,
      created_at: at(1),
    });
    expect((await store.listScripts('t1', 'REPORT')).map((s) => s.id)).toEqual(['s1', 's2']);
    // `_` and `%` match themselves, not any character.
    expect((await store.listScripts('t1', 'report_')).map((s) => s.id)).toEqual(['s1']);
    expect((await store.listScripts('t1', '%')).map((s) => s.id)).toEqual(['s3']);
  });

  it('sets script analysis and deletes scripts', async ({ h }) => {
    const { store } = h;
    await seed(store);
    await store.saveScript(script('t1', 's1'));
    const analysis = { functions: [{ name: 'hello', params: ['name'] }], warnings: [] };
    await store.setScriptAnalysis('t1', 's1', analysis);
    expect((await store.getScript('t1', 's1'))?.analysis).toEqual(analysis);
    await expectCode(store.setScriptAnalysis('t1', 'missing', analysis), 'not_found');
    expect(await store.deleteScript('t1', 's1')).toBe(true);
    expect(await store.deleteScript('t1', 's1')).toBe(false);
  });

  it('creates, lists and deletes webhooks; logs deliveries trimmed to `keep`, newest first', async ({ h }) => {
    const { store } = h;
    await seed(store, 't1', 'p1');
    await seed(store, 't1', 'p2');
    const hook = webhook('t1', 'p1', 'wh_1');
    await store.createWebhook(hook);
    await store.createWebhook(webhook('t1', 'p2', 'wh_2', { enabled: false, created_at: at(6) }));
    expect(await store.listWebhooks('t1', 'p1')).toEqual([hook]);
    expect((await store.listWebhooks('t1')).map((w) => [w.id, w.enabled])).toEqual([
      ['wh_1', true],
      ['wh_2', false],
    ]);
    await expectCode(store.createWebhook(hook), 'conflict');
    await expectCode(store.createWebhook(webhook('t1', 'ghost', 'wh_3')), 'not_found');

    for (let s = 1; s <= 5; s++) {
      const failed = s === 4;
      await store.addWebhookDelivery(
        delivery(hook, `d${s}`, s, failed ? { ok: false, status_code: null, error: 'timeout', attempt: 2 } : {}),
        3,
      );
    }
    const log = await store.listWebhookDeliveries('t1', 'wh_1', 10);
    expect(log.map((d) => d.id)).toEqual(['d5', 'd4', 'd3']);
    expect(log[1]).toEqual(delivery(hook, 'd4', 4, { ok: false, status_code: null, error: 'timeout', attempt: 2 }));
    expect(await store.listWebhookDeliveries('t1', 'wh_1', 2)).toHaveLength(2);
    await expectCode(store.addWebhookDelivery(delivery(webhook('t1', 'p1', 'ghost'), 'dx', 9), 3), 'not_found');

    expect(await store.deleteWebhook('t1', 'wh_1')).toBe(true);
    expect(await store.deleteWebhook('t1', 'wh_1')).toBe(false);
    expect(await store.listWebhookDeliveries('t1', 'wh_1', 10)).toEqual([]);
  });

  it("isolates tenants: tenant B never sees or changes A's rows, even under the same names", async ({ h }) => {
    const { store } = h;
    for (const t of ['ta', 'tb']) {
      await seed(store, t, 'default');
      const c = connector(t, 'default', 'weather', { config: { api_key: `key-of-${t}` } });
      await store.saveConnectorVersion(c, version(c, 1));
      await store.addToolUsage([usage(c, 'echo', { calls: t === 'ta' ? 7 : 1 })]);
      await store.addHealthCheck(health(c, 1, { message: t }), 5);
    }
    const hookA = webhook('ta', 'default', 'wh_a');
    await store.createWebhook(hookA);
    await store.addWebhookDelivery(delivery(hookA, 'd1', 1), 5);
    await store.createApiKey(apiKey('ta', 'key_a'));
    await store.saveScript(script('ta', 'script_a'));

    expect((await store.getConnector('tb', 'default', 'weather'))?.config).toEqual({ api_key: 'key-of-tb' });
    expect((await store.listConnectors({ tenantId: 'tb' })).map((c) => c.tenant_id)).toEqual(['tb']);
    expect((await store.listToolUsage({ tenantId: 'tb' })).map((u) => u.calls)).toEqual([1]);
    expect((await store.listHealthChecks('tb', 'default', 'weather', 10)).map((c) => c.message)).toEqual(['tb']);
    expect((await store.listProjects('tb')).map((p) => p.tenant_id)).toEqual(['tb']);
    expect(await store.listApiKeys('tb')).toEqual([]);
    expect(await store.revokeApiKey('tb', 'key_a', at(9))).toBe(false);
    expect(await store.listWebhooks('tb')).toEqual([]);
    expect(await store.listWebhookDeliveries('tb', 'wh_a', 10)).toEqual([]);
    expect(await store.deleteWebhook('tb', 'wh_a')).toBe(false);
    await expectCode(store.addWebhookDelivery({ ...delivery(hookA, 'd2', 2), tenant_id: 'tb' }, 5), 'not_found');
    expect(await store.getScript('tb', 'script_a')).toBeNull();
    expect(await store.listScripts('tb')).toEqual([]);
    expect(await store.deleteScript('tb', 'script_a')).toBe(false);
    await expectCode(store.setScriptAnalysis('tb', 'script_a', {}), 'not_found');

    // A's rows are untouched by B's attempts.
    expect((await store.getApiKeyByHash(apiKey('ta', 'key_a').hash))?.revoked_at).toBeNull();
    expect(await store.listWebhookDeliveries('ta', 'wh_a', 10)).toHaveLength(1);
    expect(await store.getScript('ta', 'script_a')).not.toBeNull();
  });

  it('encrypts connector config and webhook secrets at rest; no column holds the plaintext', async ({ h }) => {
    const { store, raw } = h;
    await seed(store);
    const c = connector('t1', 'p1', 'weather');
    await store.saveConnectorVersion(c, version(c, 1));
    await store.createWebhook(webhook('t1', 'p1', 'wh_1'));
    for (const table of ['connectors', 'webhooks', 'connector_versions']) {
      const rows = await raw(`SELECT * FROM ${table}`);
      expect(rows.length, table).toBeGreaterThan(0);
      const dump = JSON.stringify(rows);
      expect(dump, table).not.toContain(CONNECTOR_SECRET);
      expect(dump, table).not.toContain(WEBHOOK_SECRET);
    }
    const [row] = await raw('SELECT config_enc FROM connectors');
    expect(String(row?.config_enc)).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
    expect((await store.getConnector('t1', 'p1', 'weather'))?.config).toEqual({ api_key: CONNECTOR_SECRET });
    expect((await store.listWebhooks('t1'))[0]?.secret).toBe(WEBHOOK_SECRET);
  });

  it('fails to read secrets with a wrong key, with a clear error that leaks nothing', async ({ h }) => {
    const { store, open } = h;
    await seed(store);
    const c = connector('t1', 'p1', 'weather');
    await store.saveConnectorVersion(c, version(c, 1));
    await store.createWebhook(webhook('t1', 'p1', 'wh_1'));
    const wrong = await open(createSecretBox({ key: randomKey() }));
    const err = await expectCode(wrong.getConnector('t1', 'p1', 'weather'), 'store_failed');
    expect(err.message).toMatch(/secret key/i);
    expect(err.details).toMatchObject({ tenant_id: 't1', project_id: 'p1', connector: 'weather' });
    expect(JSON.stringify(err.toJSON())).not.toContain(CONNECTOR_SECRET);
    await expectCode(wrong.listWebhooks('t1'), 'store_failed');
    // Rows without secrets stay readable with the wrong key.
    expect(await wrong.getProject('t1', 'p1')).not.toBeNull();
  });
}
