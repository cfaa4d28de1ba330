import { request } from 'node:http';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Small caps so the test opens a handful of sessions, not thousands.
const PER_KEY = 3;
const PER_TENANT = 5;

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP exchange (the body is read to its end). */
function raw(url: string, method: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  return new Promise<Raw>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          Accept: 'application/json, text/event-stream',
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Opens a 2025-era Streamable HTTP session with a raw initialize; returns the response (and the session id). */
async function initialize(server: ServerProcess, token: string): Promise<Raw & { sessionId?: string }> {
  const res = await raw(`${server.url}/mcp/default`, 'POST', token, INITIALIZE);
  const id = res.headers['mcp-session-id'];
  return { ...res, ...(typeof id === 'string' ? { sessionId: id } : {}) };
}

/** Opens a legacy SSE stream; resolves with its status and, on 200, a function that closes it. */
function openSse(
  server: ServerProcess,
  token: string,
): Promise<{ status: number; body: string; headers: Raw['headers']; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/sse/default`,
      { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        if (res.statusCode !== 200) {
          res.on('data', (c: string) => (text += c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers, close: () => undefined }),
          );
          return;
        }
        // Resolve once the endpoint event arrived: the session is registered by then.
        res.on('data', (c: string) => {
          text += c;
          if (text.includes('event: endpoint')) {
            resolve({ status: 200, body: text, headers: res.headers, close: () => req.destroy() });
          }
        });
      },
    );
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    req.end();
  });
}

function expectCapError(res: { status: number; body: string; headers: Raw['headers'] }, scope: RegExp): void {
  expect(res.status).toBe(429);
  const body = JSON.parse(res.body) as { jsonrpc: string; error: { code: number; message: string } };
  expect(body.jsonrpc).toBe('2.0');
  expect(body.error.code).toBe(-32000);
  expect(body.error.message).toMatch(scope);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

describe('MCP session caps per API key and per tenant', () => {
  let server: ServerProcess;
  let keyA: string;
  let keyB: string;
  let otherTenantKey: string;

  beforeAll(async () => {
    server = await startServerProcess({
      env: {
        TOOLPORT_MAX_SESSIONS_PER_KEY: String(PER_KEY),
        TOOLPORT_MAX_SESSIONS_PER_TENANT: String(PER_TENANT),
      },
    });
    const admin = createRestClient(server.url, server.adminToken);
    for (const id of ['capped', 'other']) expect((await admin('POST', '/v1/tenants', { id })).status).toBe(201);
    const mk = async (tenant: string, name: string): Promise<string> => {
      const res = await admin('POST', `/v1/tenants/${tenant}/api-keys`, { name, scopes: ['invoke'] });
      expect(res.status).toBe(201);
      return res.body.key as string;
    };
    keyA = await mk('capped', 'a');
    keyB = await mk('capped', 'b');
    otherTenantKey = await mk('other', 'c');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers 429 with a JSON-RPC error and Retry-After past the per-key cap; closing a session frees its slot', async () => {
    const opened: string[] = [];
    for (let i = 0; i < PER_KEY; i++) {
      const res = await initialize(server, keyA);
      expect(res.status).toBe(200);
      opened.push(res.sessionId!);
    }
    const refused = await initialize(server, keyA);
    expectCapError(refused, /per API key/);
    expect(refused.sessionId).toBeUndefined();

    // A real SDK client is refused the same way.
    const client = new Client({ name: 'capped', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp/default`), {
      requestInit: { headers: { Authorization: `Bearer ${keyA}` } },
    });
    await expect(client.connect(transport)).rejects.toThrow(/429|per API key/);

    // Another tenant is not affected by this tenant's sessions.
    const other = await initialize(server, otherTenantKey);
    expect(other.status).toBe(200);

    // DELETE ends a session and frees its slot.
    const del = await raw(`${server.url}/mcp/default`, 'DELETE', keyA, undefined, {
      'mcp-session-id': opened.pop()!,
      'mcp-protocol-version': '2025-11-25',
    });
    expect(del.status).toBe(200);
    const again = await initialize(server, keyA);
    expect(again.status).toBe(200);
    opened.push(again.sessionId!);
    for (const id of opened) {
      await raw(`${server.url}/mcp/default`, 'DELETE', keyA, undefined, {
        'mcp-session-id': id,
        'mcp-protocol-version': '2025-11-25',
      });
    }
  });

  it('counts legacy SSE streams too, and caps the tenant across its keys', async () => {
    const streams: { close: () => void }[] = [];
    // Key A: its whole per-key allowance over SSE.
    for (let i = 0; i < PER_KEY; i++) {
      const sse = await openSse(server, keyA);
      expect(sse.status).toBe(200);
      streams.push(sse);
    }
    expectCapError(await openSse(server, keyA), /per API key/);
    // Key B: allowed until the tenant total (PER_TENANT) is reached.
    const clients: Client[] = [];
    for (let i = 0; i < PER_TENANT - PER_KEY; i++) {
      const client = new Client({ name: 'sse', version: '1' });
      await client.connect(
        new SSEClientTransport(new URL(`${server.url}/sse/default`), {
          requestInit: { headers: { Authorization: `Bearer ${keyB}` } },
        }),
      );
      clients.push(client);
    }
    const byTenant = await initialize(server, keyB);
    expectCapError(byTenant, /per tenant/);
    expectCapError(await openSse(server, keyB), /per tenant/);

    // Closing a stream frees its slot (the server notices the closed connection).
    streams.pop()!.close();
    await expect.poll(async () => (await initialize(server, keyB)).status, { timeout: 10_000 }).toBe(200);
    for (const s of streams) s.close();
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe('idle MCP sessions', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess({
      env: { TOOLPORT_MAX_SESSIONS_PER_KEY: '1', TOOLPORT_SESSION_IDLE_MS: '3000' },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('expire and free their slot', async () => {
    const first = await initialize(server, server.adminToken);
    expect(first.status).toBe(200);
    expect((await initialize(server, server.adminToken)).status).toBe(429);
    // Nothing touches the session: it is swept, its slot is free again and its id is unknown afterwards.
    await expect
      .poll(async () => (await initialize(server, server.adminToken)).status, { timeout: 20_000, interval: 250 })
      .toBe(200);
    const stale = await raw(
      `${server.url}/mcp/default`,
      'POST',
      server.adminToken,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { 'mcp-session-id': first.sessionId!, 'mcp-protocol-version': '2025-11-25' },
    );
    expect(stale.status).toBe(404);
  });
});
