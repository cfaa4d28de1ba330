/**
 * Graceful drain on SIGTERM (issue 15): readiness says "not ready" at once while the node still serves for
 * TOOLPORT_DRAIN_MS, then the node stops accepting, ends SSE streams, and lets the MCP calls in flight (both protocol
 * eras) finish before it closes their sessions and exits 0.
 */
import { type Server, createServer } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, createRestClient, startServerProcess } from '../helpers/server-process.js';

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `/health/ready` as seen by a balancer: status and body, or `refused` once the listener is gone. */
async function readiness(url: string): Promise<{ status: number; body: Record<string, unknown> } | 'refused'> {
  try {
    const res = await fetch(`${url}/health/ready`, { headers: { connection: 'close' } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return 'refused';
  }
}

describe('SIGTERM drains the node', () => {
  const held: (() => void)[] = [];
  let upstream: Server;
  let server: ServerProcess;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      held.push(() =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url })),
      );
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as { port: number }).port;
    server = await startServerProcess({ env: { TOOLPORT_DRAIN_MS: '1500' } });
    const api = createRestClient(server.url, server.adminToken);
    const installed = await api('POST', '/v1/projects/default/connectors/install-from-manifest', {
      manifest: {
        name: 'slow',
        version: '1.0.0',
        kind: 'http',
        http: { base_url: `http://127.0.0.1:${port}`, retries: 0 },
        tools: [
          {
            name: 'wait',
            input_schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
            http: { method: 'GET', path: '/items/{id}' },
          },
        ],
      },
    });
    expect(installed.status).toBe(201);
  });
  afterAll(async () => {
    for (const answer of held.splice(0)) answer();
    await server?.kill();
    upstream?.close();
  });

  it('reports not ready at once, finishes the calls in flight of both eras, ends streams, and exits 0', async () => {
    const connect = async (era: 'legacy' | 'modern'): Promise<Client> => {
      const client = new Client(
        { name: `drain-${era}`, version: '1.0.0' },
        era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${server.url}/mcp/default`), {
          requestInit: { headers: { Authorization: `Bearer ${server.adminToken}` } },
        }),
      );
      return client;
    };
    const legacy = await connect('legacy');
    const modern = await connect('modern');
    const calls = [
      legacy.callTool({ name: 'slow__wait', arguments: { id: 'legacy' } }),
      modern.callTool({ name: 'slow__wait', arguments: { id: 'modern' } }),
    ];
    await waitFor('both calls at the upstream', () => held.length === 2);

    server.child.kill('SIGTERM');
    // Not ready at once, while still serving (the drain delay).
    await waitFor('readiness 503 with draining', async () => {
      const r = await readiness(server.url);
      return r !== 'refused' && r.status === 503 && r.body.draining === true;
    });
    // Then the node closes (the listener goes, or Fastify answers 503 while closing): the calls are still held.
    await waitFor('the node closing', async () => {
      const r = await readiness(server.url);
      return r === 'refused' || r.body.draining !== true;
    });
    expect(held.length).toBe(2);
    for (const answer of held.splice(0)) answer();
    const [fromLegacy, fromModern] = await Promise.all(calls);
    expect(fromLegacy!.structuredContent).toEqual({ path: '/items/legacy' });
    expect(fromModern!.structuredContent).toEqual({ path: '/items/modern' });
    expect(await server.stop()).toBe(0);
    await Promise.all([legacy.close(), modern.close()]);
  });
});
