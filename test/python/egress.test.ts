import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ToolSource } from '../../src/core/index.js';
import { createPythonSource, type PythonSourceOptions } from '../../src/sources/python/index.js';

import { createWorkdir, pythonManifest, sandboxAvailable } from './helpers.js';

/** What a tool of the script returned (every one returns a string). */
const said = (result: { structuredContent?: Record<string, unknown> }): string =>
  String(result.structuredContent?.result ?? '');

const SCRIPT = `
import http.client, os, socket, urllib.error, urllib.request


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return "ok %d %s" % (answer.status, answer.read().decode())
    except urllib.error.HTTPError as exc:
        return "refused %d %s" % (exc.code, exc.read().decode().strip())


def tunnel(host: str, port: int) -> str:
    proxy = os.environ["HTTPS_PROXY"].rsplit(":", 1)
    conn = http.client.HTTPConnection("127.0.0.1", int(proxy[1]), timeout=10)
    conn.set_tunnel(host, port)
    try:
        conn.connect()
        return "connected"
    except OSError as exc:
        return "refused %s" % exc


def direct(host: str, port: int) -> str:
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as exc:
        return "blocked %s" % type(exc).__name__


def proxy_env() -> list[str]:
    return sorted(k for k in os.environ if k.lower().endswith("_proxy"))
`;

describe('network of sandboxed python code through the egress proxy', async () => {
  const available = await sandboxAvailable();
  const work = createWorkdir('egress');
  const script = work.write('net.py', SCRIPT);
  const sources: ToolSource[] = [];
  let server: Server;
  let port = 0;
  let hits = 0;
  const open = (options: Partial<PythonSourceOptions> = {}): ToolSource => {
    const source = createPythonSource({
      manifest: pythonManifest(script, { allow_network: true }),
      config: {},
      scratchRoot: join(work.dir, 'scratch'),
      tenantNetwork: true,
      ...options,
    });
    sources.push(source);
    return source;
  };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('hello');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all(sources.map((s) => s.close()));
    await new Promise((resolve) => server.close(resolve));
    work.cleanup();
  });

  describe.skipIf(!available)('with bwrap', () => {
    it('lets operator code reach a loopback server through the proxy only where the policy allows it', async () => {
      const source = open({ trust: 'operator', operatorNetwork: 'proxy', allowPrivateNetworks: true });
      const result = await source.invoke('fetch', { url: `http://127.0.0.1:${port}/` });
      expect(result.structuredContent).toEqual({ result: 'ok 200 hello' });
      expect(hits).toBe(1);
      expect(source.info!()).toMatchObject({ sandboxed: true, network: 'proxy' });
    });

    it('refuses a tenant loopback, private, own-port and PostgreSQL targets with a clear proxy error', async () => {
      // Even with the operator's private-network switch on: it is for operator content only.
      const source = open({ trust: 'tenant', allowPrivateNetworks: true });
      expect((await source.invoke('proxy_env', {})).structuredContent).toEqual({
        result: ['ALL_PROXY', 'HTTPS_PROXY', 'HTTP_PROXY', 'all_proxy', 'http_proxy', 'https_proxy'],
      });
      const loopback = await source.invoke('fetch', { url: `http://127.0.0.1:${port}/` });
      expect(said(loopback)).toMatch(/^refused 403 Refused by Toolport egress policy: 127\.0\.0\.1 is a loopback/);
      const named = await source.invoke('fetch', { url: `http://localhost:${port}/` });
      expect(said(named)).toMatch(/^refused 403 .*localhost is a loopback address/);
      const privateNet = await source.invoke('tunnel', { host: '10.1.2.3', port: 443 });
      expect(said(privateNet)).toMatch(/Tunnel connection failed: 403 .*10\.1\.2\.3 is a private address/);
      const postgres = await source.invoke('tunnel', { host: '127.0.0.1', port: 5432 });
      expect(said(postgres)).toMatch(/Tunnel connection failed: 403 .*loopback/);
      const ownPort = await source.invoke('tunnel', { host: '127.0.0.1', port });
      expect(said(ownPort)).toMatch(/Tunnel connection failed: 403/);
      // Past the proxy there is no way out: the sandbox's own network namespace has nothing but loopback.
      expect(said(await source.invoke('direct', { host: '127.0.0.1', port }))).toMatch(/^blocked/);
      expect(hits).toBe(1);
      expect(source.info!()).toMatchObject({ sandboxed: true, trust: 'tenant', network: 'proxy' });
    });

    it('refuses tenant network when the operator does not allow it (TOOLPORT_TENANT_NETWORK)', async () => {
      const source = open({ trust: 'tenant', tenantNetwork: false });
      await expect(source.load()).rejects.toThrow(/TOOLPORT_TENANT_NETWORK/);
    });
  });
});
