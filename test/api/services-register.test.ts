import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echoManifest, startEchoApi } from '../helpers/registry-harness.js';
import { ADMIN_TOKEN, createHarness } from './harness.js';

describe('POST /api/v1/services/register', () => {
  let upstream: Awaited<ReturnType<typeof startEchoApi>>;
  let h: Awaited<ReturnType<typeof createHarness>> | undefined;
  beforeAll(async () => {
    upstream = await startEchoApi();
  });
  afterAll(async () => {
    await upstream.close();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('refuses a manifest naming another connector without touching the existing one', async () => {
    h = await createHarness();
    await h.registry.install({ tenantId: 'default', projectId: 'default', manifest: echoManifest(upstream.url) });
    const before = await h.store.getConnector('default', 'default', 'echo');
    const res = await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/api/v1/services/register',
      payload: { name: 'someone-else', manifest: echoManifest(upstream.url, '2.0.0', ['get_item', 'get_more']) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.issues).toEqual([
      expect.objectContaining({ pointer: '/manifest/name', message: expect.stringMatching(/someone-else/) }),
    ]);
    // The existing connector is still there, unchanged: no new version, no uninstall.
    const after = await h.store.getConnector('default', 'default', 'echo');
    expect(after).toEqual(before);
    expect(await h.store.listConnectorVersions('default', 'default', 'echo')).toHaveLength(1);
    expect(h.registry.getSnapshot('default', 'default')!.tools.map((t) => t.qualifiedName)).toEqual(['echo__get_item']);
  });

  it('registers a manifest whose name matches (positive control)', async () => {
    h = await createHarness();
    const res = await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/api/v1/services/register',
      payload: { name: 'echo', manifest: echoManifest(upstream.url), auto_activate: true },
    });
    expect(res.statusCode).toBe(201);
    expect(h.registry.getSnapshot('default', 'default')!.tools.map((t) => t.qualifiedName)).toEqual(['echo__get_item']);
  });
});
