/**
 * Issue 15: a full PostgreSQL restart survives without a Toolport restart. Two real nodes share a PostgreSQL server
 * of the test's own (a fresh cluster in a temp dir, so stopping it touches no other test). While the server is down
 * both nodes say so on `/health/ready` (503); once it is back they are ready again by themselves, a change made
 * through one node reaches the other (its LISTEN connection reconnected and re-read the registry), and MCP calls
 * are answered — by the same two processes.
 */
import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivatePostgres, postgresBinaries, startPrivatePostgres } from '../helpers/private-postgres.js';
import { type ServerProcess, createRestClient, startServerProcess } from '../helpers/server-process.js';

const bin = postgresBinaries();
if (!bin) {
  if (process.env.CI === 'true')
    throw new Error(
      'pg-restart test: no PostgreSQL server binaries under /usr/lib/postgresql (required under CI=true)',
    );
  console.warn('[pg-restart] SKIPPED: no PostgreSQL server binaries under /usr/lib/postgresql');
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ready = async (node: ServerProcess): Promise<number> => {
  const res = await fetch(`${node.url}/health/ready`);
  await res.arrayBuffer();
  return res.status;
};

function manifest(baseUrl: string, version: string, tools: string[]): object {
  return {
    name: 'echo',
    version,
    kind: 'http',
    http: { base_url: baseUrl, retries: 0 },
    tools: tools.map((name) => ({
      name,
      input_schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      http: { method: 'GET', path: `/${name}/{id}` },
    })),
  };
}

describe.skipIf(!bin)('a full PostgreSQL restart under two running nodes', () => {
  let pg: PrivatePostgres;
  let upstream: Server;
  let upstreamUrl = '';
  const nodes: ServerProcess[] = [];
  const adminToken = `pg-restart-${randomBytes(8).toString('hex')}`;
  let client: Client;

  beforeAll(async () => {
    pg = await startPrivatePostgres(bin!);
    upstream = createServer((req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url })),
    );
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const env = {
      TOOLPORT_DATABASE_URL: pg.url,
      TOOLPORT_SECRET_KEY: randomBytes(32).toString('base64'),
      TOOLPORT_HOT_RELOAD: '0',
      TOOLPORT_HEALTH_INTERVAL_MS: '3600000',
    };
    nodes.push(await startServerProcess({ adminToken, env }));
    nodes.push(await startServerProcess({ adminToken, env }));
    const rest = createRestClient(nodes[0]!.url, adminToken);
    expect(
      (
        await rest('POST', '/v1/projects/default/connectors/install-from-manifest', {
          manifest: manifest(upstreamUrl, '1.0.0', ['get_item']),
        })
      ).status,
    ).toBe(201);
    const key = await rest('POST', '/v1/tenants/default/api-keys', { name: 'pg-restart', scopes: ['invoke'] });
    client = new Client(
      { name: 'pg-restart', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${nodes[1]!.url}/mcp/default`), {
        requestInit: { headers: { Authorization: `Bearer ${key.body.key as string}` } },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await Promise.all(nodes.map((n) => n.stop()));
    upstream?.close();
    await pg?.destroy();
  }, 60_000);

  const call = async (tool: string, id: string): Promise<string | undefined> => {
    const result = await client.callTool({ name: `echo__${tool}`, arguments: { id } });
    return (result.structuredContent as { path?: string } | undefined)?.path;
  };

  it('goes unready while the server is down, heals by itself when it is back, and still shares changes', async () => {
    expect(await call('get_item', 'before')).toBe('/get_item/before');
    expect(await Promise.all(nodes.map(ready))).toEqual([200, 200]);

    await pg.stop();
    await waitFor('both nodes unready', async () => (await Promise.all(nodes.map(ready))).every((s) => s === 503));

    await pg.start();
    await waitFor('both nodes ready again', async () => (await Promise.all(nodes.map(ready))).every((s) => s === 200));

    // A change through node 0 reaches node 1, whose LISTEN connection had to reconnect.
    const rest = createRestClient(nodes[0]!.url, adminToken);
    const changed = await rest('POST', '/v1/projects/default/connectors/install-from-manifest', {
      manifest: manifest(upstreamUrl, '2.0.0', ['get_item', 'get_other']),
    });
    expect(changed.status).toBe(200);
    const other = createRestClient(nodes[1]!.url, adminToken);
    await waitFor('the new tool on node 1', async () => {
      const res = await other('GET', '/v1/projects/default/tools');
      return res.status === 200 && (res.body.tools as { name: string }[]).some((t) => t.name === 'get_other');
    });
    expect(await call('get_other', 'after')).toBe('/get_other/after');
    expect(await call('get_item', 'after')).toBe('/get_item/after');
    // The same processes throughout.
    expect(nodes.map((n) => n.child.exitCode)).toEqual([null, null]);
  }, 120_000);
});
