import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

describe('graceful shutdown', () => {
  it('finishes an in-flight request on SIGTERM, then stops accepting and exits 0', async () => {
    // An upstream API that holds its answer until released, so the tool call is in flight when the signal arrives.
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = createServer((_req, res) => {
      arrived();
      void released.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const port = (slow.address() as { port: number }).port;
    const server = await startServerProcess();
    try {
      const api = createRestClient(server.url, server.adminToken);
      const manifest = {
        name: 'slow',
        version: '1.0.0',
        kind: 'http',
        http: { base_url: `http://127.0.0.1:${port}`, retries: 0 },
        tools: [{ name: 'wait', input_schema: { type: 'object' }, http: { method: 'GET', path: '/' } }],
      };
      expect((await api('POST', '/v1/projects/default/connectors/install-from-manifest', { manifest })).status).toBe(
        201,
      );
      const inFlight = api('POST', '/v1/projects/default/tools/slow__wait/invoke', { arguments: {} });
      await requestArrived;
      server.child.kill('SIGTERM');
      // The upstream answers only once the server is shutting down.
      await waitFor(() => server.output().includes('received SIGTERM, shutting down'), 'the server to begin shutdown');
      release();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.body.structuredContent).toEqual({ ok: true });
      expect(await server.stop()).toBe(0);
      await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    } finally {
      await server.kill();
      slow.close();
    }
  });
});
