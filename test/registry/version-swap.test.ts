/**
 * A new version takes over without cutting calls: a call running on the old version's source when the new
 * version is installed (here, or on another node and applied from the store) finishes on it, and no call in
 * between finds the connector "not serving tools" (issue 15: 0 failed calls across a change).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryHarness, echoManifest, type RegistryHarness } from '../helpers/registry-harness.js';

/** An API whose answers wait until the test releases them, so a call is surely in flight. */
async function startHeldApi(): Promise<{ url: string; server: Server; waiting: () => number; release(): void }> {
  const held: (() => void)[] = [];
  const server = createServer((req, res) => {
    held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    server,
    waiting: () => held.length,
    release: () => held.splice(0).forEach((answer) => answer()),
  };
}

describe('installing a new version while a call runs', () => {
  let h: RegistryHarness;
  let api: Awaited<ReturnType<typeof startHeldApi>>;
  beforeAll(async () => {
    h = await createRegistryHarness();
    api = await startHeldApi();
  });
  afterAll(async () => {
    api.release();
    await h.close();
    api.server.close();
  });

  it('lets the running call finish on the old source and serves the next call from the new version', async () => {
    const install = (version: string, tools: string[]) =>
      h.registry.install({
        tenantId: 'default',
        projectId: 'default',
        manifest: echoManifest(api.url, version, tools),
      });
    await install('1.0.0', ['get_item']);
    const running = h.registry.invokeTool('default', 'default', 'echo__get_item', { id: 'old' });
    while (api.waiting() === 0) await new Promise((r) => setImmediate(r));
    // The install returns only once the old source closed, i.e. after the running call ended: release it then.
    const installed = install('2.0.0', ['get_item', 'get_two']);
    let settled = false;
    void installed.finally(() => (settled = true));
    // Served before the install returns (it waits for the old source to drain): polled, not awaited on an event.
    const served = () =>
      h.registry.getSnapshot('default', 'default')!.tools.some((t) => t.qualifiedName === 'echo__get_two');
    while (!served()) await new Promise((r) => setTimeout(r, 5));
    const next = h.registry.invokeTool('default', 'default', 'echo__get_two', { id: 'new' });
    while (api.waiting() < 2) await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    api.release();
    expect((await running).structuredContent).toMatchObject({ path: '/items/old' });
    expect((await next).structuredContent).toMatchObject({ path: '/items/new' });
    await installed;
  });
});
