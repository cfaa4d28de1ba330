import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isToolportError } from '../../src/core/index.js';
import {
  createRegistryHarness,
  echoManifest,
  nextUsageFlush,
  startEchoApi,
  type RegistryHarness,
} from '../helpers/registry-harness.js';

describe('registry over SQLite with HTTP connectors', () => {
  let api: Awaited<ReturnType<typeof startEchoApi>>;
  let h: RegistryHarness;

  beforeAll(async () => {
    api = await startEchoApi();
  });
  afterAll(async () => {
    await api.close();
  });
  beforeEach(async () => {
    h = await createRegistryHarness({ maxConnectorsPerProject: 3 });
    await h.registry.createProject('default', { id: 'p1' });
  });
  afterEach(async () => {
    await h.close();
  });

  const install = (manifest: string, extra: Record<string, unknown> = {}) =>
    h.registry.install({ tenantId: 'default', projectId: 'p1', manifest, ...extra });

  it('installs a manifest, serves its tools in the snapshot and calls them', async () => {
    const result = await install(echoManifest(api.url));
    expect(result.created).toBe(true);
    expect(result.version.seq).toBe(1);
    const snapshot = h.registry.getSnapshot('default', 'p1')!;
    expect(snapshot.tools.map((t) => t.qualifiedName)).toEqual(['echo__get_item']);
    const out = await h.registry.invokeTool('default', 'p1', 'get_item', { id: 'a b' });
    expect(out.isError).toBeFalsy();
    expect(out.structuredContent).toMatchObject({ method: 'GET', path: '/items/a%20b' });
    expect(h.events.map((e) => e.type)).toContain('connector.installed');
  });

  it('rejects invalid arguments with JSON pointers and does not call the API', async () => {
    await install(echoManifest(api.url));
    const before = api.hits();
    await expect(h.registry.invokeTool('default', 'p1', 'echo__get_item', { id: 5 })).rejects.toMatchObject({
      code: 'validation_failed',
      details: { issues: [expect.objectContaining({ pointer: '/arguments/id' })] },
    });
    expect(api.hits()).toBe(before);
  });

  it('creates a version per content change, lists diffs, and rolls back', async () => {
    await install(echoManifest(api.url, '1.0.0', ['get_item']));
    const same = await install(echoManifest(api.url, '1.0.0', ['get_item']));
    expect(same.changed).toBe(false);
    const v2 = await install(echoManifest(api.url, '1.1.0', ['get_item', 'get_other']));
    expect(v2.version.seq).toBe(2);
    expect(v2.version.diff).toEqual({ added: ['get_other'], removed: [], changed: [] });
    const versions = await h.registry.listVersions('default', 'p1', 'echo');
    expect(versions.map((v) => [v.seq, v.version, v.current])).toEqual([
      [2, '1.1.0', true],
      [1, '1.0.0', false],
    ]);
    await h.registry.rollback('default', 'p1', 'echo', 1);
    expect(h.registry.getSnapshot('default', 'p1')!.tools.map((t) => t.name)).toEqual(['get_item']);
    expect((await h.registry.getConnector('default', 'p1', 'echo')).current_version).toBe(1);
  });

  it('refuses the same version number with different content unless forced', async () => {
    await install(echoManifest(api.url, '1.0.0', ['get_item']));
    const attempt = install(echoManifest(api.url, '1.0.0', ['get_item', 'x']));
    await expect(attempt).rejects.toMatchObject({ code: 'conflict' });
    const forced = await install(echoManifest(api.url, '1.0.0', ['get_item', 'x']), { force: true });
    expect(forced.version.seq).toBe(2);
  });

  it('disables and enables: tools leave and return, status follows', async () => {
    await install(echoManifest(api.url));
    const disabled = await h.registry.setEnabled('default', 'p1', 'echo', false);
    expect(disabled.status).toBe('inactive');
    expect(h.registry.getSnapshot('default', 'p1')!.tools).toHaveLength(0);
    await expect(h.registry.invokeTool('default', 'p1', 'get_item', { id: '1' })).rejects.toMatchObject({
      code: 'tool_not_found',
    });
    const enabled = await h.registry.setEnabled('default', 'p1', 'echo', true);
    expect(enabled.status).toBe('active');
    expect(h.registry.getSnapshot('default', 'p1')!.tools).toHaveLength(1);
    expect(h.events.map((e) => e.type)).toEqual(expect.arrayContaining(['connector.disabled', 'connector.enabled']));
  });

  it('enforces the connector limit per project with a clear error', async () => {
    for (const n of ['a', 'b', 'c']) await install(echoManifest(api.url, '1.0.0', ['t'], n));
    const err = await install(echoManifest(api.url, '1.0.0', ['t'], 'd')).catch((e: unknown) => e);
    expect(isToolportError(err, 'limit_exceeded')).toBe(true);
    expect((err as Error).message).toMatch(/MAX_CONCURRENT_CONNECTORS is 3/);
  });

  it('requires declared config keys and never exposes their values', async () => {
    const manifest = `${echoManifest(api.url)}config:\n  token: { secret: true, required: true }\n`;
    await expect(install(manifest)).rejects.toMatchObject({ code: 'validation_failed' });
    await install(manifest, { config: { token: 'shh-very-secret' } });
    const summary = await h.registry.getConnector('default', 'p1', 'echo');
    expect(summary.config_keys).toEqual(['token']);
    expect(JSON.stringify(summary)).not.toContain('shh-very-secret');
  });

  it('keeps connectors, status and versions across a restart', async () => {
    await install(echoManifest(api.url));
    await h.registry.setEnabled('default', 'p1', 'echo', false);
    await h.registry.close();
    const { Registry } = await import('../../src/registry/index.js');
    const { createHttpSource } = await import('../../src/sources/http/index.js');
    const again = new Registry({
      store: h.store,
      sources: { http: ({ manifest, config }) => createHttpSource({ manifest, config, allowPrivateNetworks: true }) },
      nodeId: 'n2',
    });
    await again.start();
    const c = await again.getConnector('default', 'p1', 'echo');
    expect([c.enabled, c.status]).toEqual([false, 'inactive']);
    await again.close();
    h.registry = again; // closed twice is harmless
  });

  it('records usage in memory and flushes it to the store in batches', async () => {
    await install(echoManifest(api.url));
    for (let i = 0; i < 5; i++) await h.registry.invokeTool('default', 'p1', 'get_item', { id: String(i) });
    // The next batch written holds whatever an earlier one did not.
    const flushed = nextUsageFlush(h.store);
    const tools = await h.registry.listTools('default', 'p1');
    expect(tools[0]!.usage.calls).toBe(5);
    expect(tools[0]!.usage.p50_ms).not.toBeNull();
    await flushed;
    const rows = await h.store.listToolUsage({ tenantId: 'default', projectId: 'p1' });
    expect(rows[0]).toMatchObject({ tool_name: 'get_item', calls: 5, errors: 0 });
    const stats = await h.registry.projectStats('default', 'p1');
    expect(stats).toMatchObject({ connector_count: 1, tool_count: 1, calls: 5, by_status: { active: 1 } });
  });

  it('scopes everything by tenant', async () => {
    await install(echoManifest(api.url));
    await h.store.createTenant({ id: 'other', name: 'Other', created_at: new Date().toISOString() });
    await h.registry.ensureTenantDefaults('other');
    expect(h.registry.getSnapshot('other', 'p1')).toBeUndefined();
    await expect(h.registry.listConnectors('other', 'p1')).rejects.toMatchObject({ code: 'not_found' });
    await expect(h.registry.invokeTool('other', 'default', 'get_item', { id: '1' })).rejects.toMatchObject({
      code: 'tool_not_found',
    });
  });

  it('uninstalls: tools gone, store rows gone, event emitted', async () => {
    await install(echoManifest(api.url));
    await h.registry.uninstall('default', 'p1', 'echo');
    expect(h.registry.getSnapshot('default', 'p1')!.tools).toHaveLength(0);
    expect(await h.store.getConnector('default', 'p1', 'echo')).toBeNull();
    expect(h.events.at(-1)!.type).toBe('connector.uninstalled');
  });
});

describe('samples', () => {
  it('installs every bundled sample; one needing a secret waits disabled', async () => {
    const { join } = await import('node:path');
    const h = await createRegistryHarness({ samplesDir: join(import.meta.dirname, '../../samples') });
    try {
      await h.registry.createProject('default', { id: 'demo' });
      const results = await h.registry.installSamples('default', 'demo');
      const names = results.map((r) => r.connector.name).sort();
      expect(names).toEqual(['notes', 'quotes', 'task-manager', 'text-tools', 'weather', 'weather-legacy']);
      const quotes = await h.registry.getConnector('default', 'demo', 'quotes');
      expect([quotes.enabled, quotes.status]).toEqual([false, 'inactive']);
      await expect(h.registry.setEnabled('default', 'demo', 'quotes', true)).rejects.toMatchObject({
        code: 'validation_failed',
      });
      await h.registry.updateConfig('default', 'demo', 'quotes', { api_key: 'k-123' });
      expect((await h.registry.setEnabled('default', 'demo', 'quotes', true)).status).toBe('active');
      // Installing again changes nothing.
      const again = await h.registry.installSamples('default', 'demo');
      expect(again.every((r) => !r.changed)).toBe(true);
    } finally {
      await h.close();
    }
  });
});

describe('the legacy-format weather sample', () => {
  it('installs unchanged (but for its base URL) and its tool calls a loopback server', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const api = await startEchoApi();
    const h = await createRegistryHarness();
    try {
      const text = readFileSync(join(import.meta.dirname, '../../samples/weather-legacy.yaml'), 'utf8');
      const local = text.replace('https://api.open-meteo.com/v1', `${api.url}/v1`);
      expect(local).not.toBe(text);
      const result = await h.registry.install({ tenantId: 'default', projectId: 'default', manifest: local });
      expect(result.connector.name).toBe('weather-legacy');
      const out = await h.registry.invokeTool('default', 'default', 'weather-legacy__get_forecast', {
        latitude: 52.52,
        longitude: 13.41,
        forecast_days: 2,
      });
      expect(out.isError).toBeFalsy();
      expect(out.structuredContent).toMatchObject({
        method: 'GET',
        path: '/v1/forecast',
        query: { latitude: '52.52', longitude: '13.41', forecast_days: '2' },
      });
    } finally {
      await h.close();
      await api.close();
    }
  });
});
