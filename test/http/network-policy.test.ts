import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeSources, manifest, sendJson, source, startServer, text, tool, type TestServer } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer((_req, res) => sendJson(res, { reached: true }));
});
afterAll(() => server.close());
afterEach(async () => {
  server.requests.length = 0;
  await closeSources();
});

function guarded(baseUrl: string, allowPrivateNetworks = false) {
  return source({
    manifest: manifest({ base_url: baseUrl, retries: 2 }, [tool('get', { path: '/x' })]),
    allowPrivateNetworks,
  });
}

describe('HTTP source private-network policy', () => {
  it('refuses a loopback IP literal when private networks are not allowed', async () => {
    const result = await guarded(server.url).invoke('get', {});
    expect(result.isError).toBe(true);
    expect(text(result)).toBe(
      'target_refused: 127.0.0.1 resolves to a loopback address (loopback/private targets are refused unless the ' +
        'operator sets TOOLPORT_ALLOW_PRIVATE_NETWORKS=1)',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a name that resolves to loopback (localhost)', async () => {
    const result = await guarded(`http://localhost:${server.port}`).invoke('get', {});
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^target_refused: localhost resolves to a loopback address/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses IPv6 loopback and IPv4-mapped loopback literals', async () => {
    for (const host of ['[::1]', '[::ffff:127.0.0.1]']) {
      const result = await guarded(`http://${host}:${server.port}`).invoke('get', {});
      expect(text(result)).toMatch(/^target_refused: /);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a private token endpoint too', async () => {
    const s = source({
      manifest: manifest(
        {
          base_url: 'http://93.184.215.14',
          auth: {
            type: 'oauth2_client_credentials',
            token_url: `http://localhost:${server.port}/token`,
            client_id: 'a',
            client_secret: 'b',
            scopes: [],
          },
        },
        [tool('get', {})],
      ),
      allowPrivateNetworks: false,
    });
    expect(text(await s.invoke('get', {}))).toMatch(/^target_refused: localhost/);
    expect(server.requests).toHaveLength(0);
  });

  it('reports a refused target in check() without connecting', async () => {
    const result = await guarded(`http://localhost:${server.port}`).check();
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^target_refused/);
    expect(server.requests).toHaveLength(0);
  });

  it('reaches loopback by IP and by name when the operator allows private networks', async () => {
    expect((await guarded(server.url, true).invoke('get', {})).structuredContent).toEqual({ reached: true });
    expect((await guarded(`http://localhost:${server.port}`, true).invoke('get', {})).structuredContent).toEqual({
      reached: true,
    });
    expect(server.requests).toHaveLength(2);
  });
});
