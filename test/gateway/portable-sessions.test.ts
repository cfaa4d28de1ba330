/**
 * 2025-era sessions any node can serve: two gateways sharing a session key stand for two cluster nodes; a client's
 * requests alternate between them with no affinity. The id is bound to its endpoint, tenant and key.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authenticate } from '../../src/core/index.js';
import { waitFor } from '../helpers/wait.js';
import {
  EchoSource,
  type RunningGateway,
  TOKENS,
  type TestProvider,
  createFixtureProvider,
  startGateway,
  testAuthenticate,
} from './fixtures.js';

const SECOND_KEY_OF_A = 'key-tenant-a-second';
const authenticate: Authenticate = async (token, tenant) =>
  token === SECOND_KEY_OF_A
    ? { tenantId: 'a', scopes: ['invoke'], isOperator: false, keyId: 'ka2' }
    : testAuthenticate(token, tenant);

let provider: TestProvider;
const key = randomBytes(32);
let nodeA: RunningGateway;
let nodeB: RunningGateway;
let stranger: RunningGateway;
const clients: Client[] = [];

beforeAll(async () => {
  provider = await createFixtureProvider();
  nodeA = await startGateway(provider, { sessionKey: key, authenticate });
  nodeB = await startGateway(provider, { sessionKey: key, authenticate });
  stranger = await startGateway(provider, { sessionKey: randomBytes(32), authenticate });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await Promise.all([nodeA, nodeB, stranger].map((g) => g?.close()));
});

/** A 2025 client whose requests go to `route(method)`'s node (same path), like a balancer without affinity. */
async function connect(route: (method: string, n: number) => RunningGateway): Promise<{
  client: Client;
  transport: StreamableHTTPClientTransport;
}> {
  let n = 0;
  const client = new Client({ name: 'portable', version: '1.0.0' }, { capabilities: { roots: { listChanged: true } } });
  const transport = new StreamableHTTPClientTransport(new URL(`${nodeA.baseUrl}/mcp/p1`), {
    requestInit: { headers: { Authorization: `Bearer ${TOKENS.tenantA}` } },
    fetch: (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const target = new URL(route(init?.method ?? 'GET', n++).baseUrl);
      url.host = target.host;
      return fetch(url, init);
    },
  });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

async function post(node: RunningGateway, sessionId: string, token: string, path = '/mcp/p1'): Promise<Response> {
  return fetch(`${node.baseUrl}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
}

describe('2025 sessions across nodes sharing a session key', () => {
  it('serves every request of one session on alternating nodes', async () => {
    const { client, transport } = await connect((_m, n) => (n % 2 === 0 ? nodeA : nodeB));
    expect(transport.sessionId).toMatch(/^tp1\./);
    for (let i = 0; i < 6; i++) {
      const out = await client.callTool({ name: 'echo__add', arguments: { a: i, b: 1 } });
      expect(out.structuredContent).toEqual({ sum: i + 1 });
    }
    const res = await post(nodeB, transport.sessionId!, TOKENS.tenantA);
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });

  it('delivers list_changed on a GET stream held by a node that did not open the session', async () => {
    // POSTs (initialize included) go to A, the standalone GET stream to B.
    const { client } = await connect((method) => (method === 'GET' ? nodeB : nodeA));
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
    await waitFor(() => nodeB.gateway.stats().sessions > 0, 'node B to rebuild the session');
    // The GET stream reaches B only after B rebuilt the session; a change must then reach the client.
    await provider.install('a', 'p1', 'late', new EchoSource());
    await waitFor(() => changed > 0, 'list_changed through node B');
    expect(changed).toBeGreaterThan(0);
  });

  it('answers "Session not found" to another tenant, another key, another endpoint, a foreign key and a forgery', async () => {
    const { transport } = await connect(() => nodeA);
    const id = transport.sessionId!;
    const statusOf = async (res: Promise<Response>): Promise<number> => {
      const r = await res;
      await r.body?.cancel();
      return r.status;
    };
    expect(await statusOf(post(nodeB, id, TOKENS.tenantB))).toBe(404);
    expect(await statusOf(post(nodeB, id, SECOND_KEY_OF_A))).toBe(404);
    // The node that holds it in memory applies the same binding.
    expect(await statusOf(post(nodeA, id, SECOND_KEY_OF_A))).toBe(404);
    expect(await statusOf(post(nodeB, id, TOKENS.tenantA, '/mcp/p2'))).toBe(404);
    expect(await statusOf(post(stranger, id, TOKENS.tenantA))).toBe(404);
    const flipped = id.slice(0, -2) + (id.at(-2) === 'A' ? 'B' : 'A') + id.at(-1);
    expect(await statusOf(post(nodeB, flipped, TOKENS.tenantA))).toBe(404);
    // Positive control: the owner is served on the other node.
    expect(await statusOf(post(nodeB, id, TOKENS.tenantA))).toBe(200);
  });

  it('refuses an id on the node that closed it with DELETE', async () => {
    const { transport } = await connect(() => nodeB);
    const id = transport.sessionId!;
    const del = await fetch(`${nodeB.baseUrl}/mcp/p1`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKENS.tenantA}`, 'mcp-session-id': id },
    });
    expect(del.status).toBe(200);
    const again = await post(nodeB, id, TOKENS.tenantA);
    await again.body?.cancel();
    expect(again.status).toBe(404);
  });

  it('answers a GET stream at once, before any event (a raw client waits for the head to open it)', async () => {
    const { transport } = await connect(() => nodeA);
    let status = 0;
    const req = request(
      `${nodeB.baseUrl}/mcp/p1`,
      {
        headers: {
          accept: 'text/event-stream',
          authorization: `Bearer ${TOKENS.tenantA}`,
          'mcp-session-id': transport.sessionId!,
          'mcp-protocol-version': '2025-11-25',
        },
      },
      (res) => {
        status = res.statusCode ?? 0;
        res.resume();
      },
    );
    req.end();
    // Nothing is sent on the stream before its first keep-alive (15 s): only a flushed head makes this pass.
    await waitFor(() => status !== 0, 'the GET stream to answer');
    expect(status).toBe(200);
    req.destroy();
  });

  it('gives random node-local ids without a session key', async () => {
    const plain = await startGateway(provider);
    try {
      const client = new Client({ name: 'plain', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(`${plain.baseUrl}/mcp/p1`), {
        requestInit: { headers: { Authorization: `Bearer ${TOKENS.tenantA}` } },
      });
      await client.connect(transport);
      expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      await client.close();
    } finally {
      await plain.close();
    }
  });
});
