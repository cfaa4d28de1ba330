import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistryHarness, type RegistryHarness } from '../helpers/registry-harness.js';
import { startUpstream, statusManifest, type Upstream } from './upstream.js';

const T = 'default';
const P = 'p1';

/** Without a declared probe, an HTTP connector's health is a real, safe tool call — not "the host answered". */
describe('default health check by real execution', () => {
  let upstream: Upstream;
  let h: RegistryHarness;

  beforeEach(async () => {
    upstream = await startUpstream();
    h = await createRegistryHarness({ health: { failures: 2, successes: 1 }, breaker: false });
    await h.registry.createProject(T, { id: P });
    await h.registry.install({ tenantId: T, projectId: P, manifest: statusManifest(upstream.url, 'svc', false) });
  });
  afterEach(async () => {
    await h.close();
    await upstream.close();
  });

  const status = async () => (await h.registry.getConnector(T, P, 'svc')).status;

  it('goes to error when the service answers 500 to its safe tool, says which tool ran, and recovers', async () => {
    const first = await h.registry.checkHealth(T, P, 'svc');
    expect(first).toMatchObject({ ok: true, details: { tool: 'status', status: 200 } });
    upstream.mode = 'fail';
    const failed = await h.registry.checkHealth(T, P, 'svc');
    expect(failed).toMatchObject({ ok: false, message: 'tool status: HTTP 500' });
    expect(await status()).toBe('active'); // one failure is below the threshold of two
    await h.registry.checkHealth(T, P, 'svc');
    expect(await status()).toBe('error');
    expect((await h.registry.getConnector(T, P, 'svc')).status_reason).toContain('tool status: HTTP 500');
    upstream.mode = 'ok';
    await h.registry.checkHealth(T, P, 'svc');
    expect(await status()).toBe('active');
  });
});
