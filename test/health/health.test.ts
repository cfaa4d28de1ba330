import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHealthMonitor, type HealthMonitor } from '../../src/registry/index.js';
import { createRegistryHarness, type RegistryHarness } from '../helpers/registry-harness.js';
import { waitFor } from '../helpers/wait.js';
import { startUpstream, statusManifest, type Upstream } from './upstream.js';

const T = 'default';
const P = 'p1';

describe('health by real execution over SQLite and loopback HTTP', () => {
  let upstream: Upstream;
  let h: RegistryHarness;
  let monitor: HealthMonitor | undefined;

  beforeEach(async () => {
    upstream = await startUpstream();
    h = await createRegistryHarness({
      health: { failures: 2, successes: 1 },
      breaker: { failureThreshold: 3, cooldownMs: 300 },
    });
    await h.registry.createProject(T, { id: P });
  });
  afterEach(async () => {
    await monitor?.stop();
    monitor = undefined;
    await h.close();
    await upstream.close();
  });

  const status = async (name = 'svc') => (await h.registry.getConnector(T, P, name)).status;
  const toolHealth = async (name = 'svc') => (await h.registry.listTools(T, P, { connector: name }))[0]!.health!;

  it('marks an upstream that goes down as error after the threshold and active again when it returns', async () => {
    await h.registry.install({ tenantId: T, projectId: P, manifest: statusManifest(upstream.url, 'svc', false) });
    monitor = createHealthMonitor({ host: h.registry, store: h.store, intervalMs: 100, pollMs: 20 });
    monitor.start();
    await waitFor(async () => (await h.registry.healthHistory(T, P, 'svc', 5)).some((c) => c.ok), 'a passing check');
    expect(await status()).toBe('active');

    await upstream.down();
    await waitFor(async () => (await status()) === 'error', 'status error');
    const checks = await h.registry.healthHistory(T, P, 'svc', 10);
    // Not on the first failure: the threshold is two in a row.
    expect(checks.filter((c) => !c.ok).length).toBeGreaterThanOrEqual(2);
    const summary = await h.registry.getConnector(T, P, 'svc');
    expect(summary.status_reason).toMatch(/^health check failed: unreachable/);
    const changed = h.events.find((e) => e.type === 'connector.status_changed' && e.data.to === 'error');
    expect(changed?.connector).toBe('svc');

    // The monitor keeps checking a connector in error, so it recovers by itself.
    await upstream.up();
    await waitFor(async () => (await status()) === 'active', 'status active again');
    expect(
      h.events.some((e) => e.type === 'connector.status_changed' && e.data.from === 'error' && e.data.to === 'active'),
    ).toBe(true);
  });

  it('marks the connector and its probe tool when the probe expectation fails', async () => {
    await h.registry.install({ tenantId: T, projectId: P, manifest: statusManifest(upstream.url) });
    expect((await toolHealth()).status).toBe('unknown');
    upstream.mode = 'wrong';
    const first = await h.registry.checkHealth(T, P, 'svc');
    expect(first.ok).toBe(false);
    expect(first.message).toBe('probe /status is "red", expected "green"');
    expect(await status()).toBe('active');
    await h.registry.checkHealth(T, P, 'svc');
    expect(await status()).toBe('error');
    const failing = await toolHealth();
    expect(failing.status).toBe('failing');
    expect(failing.last_error).toMatch(/expected "green"/);
    expect(failing.last_checked_at).toMatch(/^\d{4}-/);

    upstream.mode = 'ok';
    const healed = await h.registry.checkHealth(T, P, 'svc');
    expect(healed.ok).toBe(true);
    expect(healed.details.probe).toBe('status');
    expect(await status()).toBe('active');
    expect((await toolHealth()).status).toBe('ok');
  });

  it('uses a probe set through the API instead of the manifest one, and clears it with null', async () => {
    await h.registry.install({ tenantId: T, projectId: P, manifest: statusManifest(upstream.url) });
    await expect(h.registry.setProbe(T, P, 'svc', { tool: 'nope' })).rejects.toMatchObject({
      code: 'validation_failed',
      details: { issues: [{ pointer: '/probe/tool' }] },
    });
    const summary = await h.registry.setProbe(T, P, 'svc', {
      tool: 'status',
      expect: { equals: [{ pointer: '/status', value: 'red' }] },
    });
    expect(summary.metadata.probe).toMatchObject({ tool: 'status' });
    const check = await h.registry.checkHealth(T, P, 'svc');
    expect(check.message).toBe('probe /status is "green", expected "red"');
    // Persisted: a registry started over the same store sees the override.
    expect((await h.store.getConnector(T, P, 'svc'))!.metadata.probe).toMatchObject({ tool: 'status' });
    await h.registry.setProbe(T, P, 'svc', null);
    expect((await h.registry.checkHealth(T, P, 'svc')).ok).toBe(true);
  });

  it('opens the circuit after repeated failures, fails fast without touching the upstream, half-opens and closes', async () => {
    await h.registry.install({ tenantId: T, projectId: P, manifest: statusManifest(upstream.url, 'svc', false) });
    upstream.mode = 'fail';
    for (let i = 0; i < 3; i++) {
      const result = await h.registry.invokeTool(T, P, 'status', {});
      expect(result.isError).toBe(true);
    }
    expect(upstream.hits()).toBe(3);
    const opened = await h.registry.getConnector(T, P, 'svc');
    expect(opened.breaker).toMatchObject({ state: 'open', failures: 3 });
    expect(Date.parse(opened.breaker!.retry_at!) - Date.parse(opened.breaker!.opened_at!)).toBe(300);
    const openEvent = h.events.find(
      (e) =>
        e.type === 'connector.status_changed' && (e.data.breaker as { state: string } | undefined)?.state === 'open',
    );
    expect(openEvent?.connector).toBe('svc');

    const fast = await h.registry.invokeTool(T, P, 'status', {});
    expect(fast.isError).toBe(true);
    expect(fast.content[0]).toMatchObject({
      type: 'text',
      text: expect.stringMatching(/^upstream_unavailable: circuit open for connector svc; retry after 1 s$/),
    });
    expect(upstream.hits()).toBe(3);
    expect((await toolHealth()).last_error).toMatch(/circuit open/);

    upstream.mode = 'ok';
    await waitFor(async () => (await h.registry.getConnector(T, P, 'svc')).breaker?.state === 'half_open', 'half-open');
    const trial = await h.registry.invokeTool(T, P, 'status', {});
    expect(trial.isError).toBeFalsy();
    expect(upstream.hits()).toBe(4);
    expect((await h.registry.getConnector(T, P, 'svc')).breaker).toEqual({
      state: 'closed',
      failures: 0,
      opened_at: null,
      retry_at: null,
    });
    expect(
      h.events.some(
        (e) =>
          e.type === 'connector.status_changed' &&
          (e.data.breaker as { state: string } | undefined)?.state === 'closed',
      ),
    ).toBe(true);
  });

  it('lets only one trial call through while half-open and re-opens when it fails', async () => {
    await h.registry.install({ tenantId: T, projectId: P, manifest: statusManifest(upstream.url, 'svc', false) });
    upstream.mode = 'fail';
    for (let i = 0; i < 3; i++) await h.registry.invokeTool(T, P, 'status', {});
    await waitFor(async () => (await h.registry.getConnector(T, P, 'svc')).breaker?.state === 'half_open', 'half-open');
    const [a, b] = await Promise.all([
      h.registry.invokeTool(T, P, 'status', {}),
      h.registry.invokeTool(T, P, 'status', {}),
    ]);
    expect(upstream.hits()).toBe(4);
    expect([a, b].filter((r) => /circuit open/.test(JSON.stringify(r.content)))).toHaveLength(1);
    expect((await h.registry.getConnector(T, P, 'svc')).breaker?.state).toBe('open');
  });
});
