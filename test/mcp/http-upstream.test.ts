import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { LookupFunction } from 'node:net';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolSource } from '../../src/core/index.js';
import { LegacySseTransport } from '../../src/gateway/internal/sse-transport.js';
import { createMcpSource } from '../../src/sources/mcp/index.js';
import { createGuardedFetch } from '../../src/sources/mcp/internal/guarded-fetch.js';
import { waitFor } from '../helpers/wait.js';
import { mcpManifest } from './helpers.js';

/** A tiny upstream: one `add` tool; `seen` records the Authorization header of every request. */
function createUpstreamServer(): Server {
  const server = new Server({ name: 'http-upstream', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [
      {
        name: 'add',
        description: 'Adds two numbers',
        inputSchema: {
          type: 'object',
          properties: { a: { type: 'number' }, b: { type: 'number' } },
          required: ['a', 'b'],
        },
      },
    ],
  }));
  server.setRequestHandler('tools/call', (request) => {
    const { a, b } = (request.params.arguments ?? {}) as { a: number; b: number };
    return { content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } };
  });
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return JSON.parse(body);
}

interface Running {
  url: string;
  seen: (string | undefined)[];
  close(): Promise<void>;
}

async function listen(server: HttpServer, path: string, seen: (string | undefined)[], port = 0): Promise<Running> {
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${bound}${path}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** A stateful Streamable HTTP upstream (SDK v2 node transport), one SDK server per session. */
async function startStreamable(port = 0): Promise<Running> {
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const seen: (string | undefined)[] = [];
  const http = createServer((req, res) => {
    seen.push(req.headers.authorization);
    void (async () => {
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? sessions.get(id) : undefined;
      if (!transport) {
        const created = new NodeStreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sid) => void sessions.set(sid, created),
        });
        await createUpstreamServer().connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res);
    })().catch(() => res.writeHead(500).end());
  });
  return listen(http, '/mcp', seen, port);
}

/** A legacy (2024-11-05) HTTP+SSE upstream: GET opens the stream, POSTs go to the announced endpoint. */
async function startLegacySse(): Promise<Running> {
  const sessions = new Map<string, LegacySseTransport>();
  const seen: (string | undefined)[] = [];
  const http = createServer((req, res) => {
    seen.push(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://x');
    void (async () => {
      if (req.method === 'GET' && url.pathname === '/sse') {
        const transport = new LegacySseTransport(res, '/messages');
        sessions.set(transport.sessionId, transport);
        await createUpstreamServer().connect(transport);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/messages') {
        const transport = sessions.get(url.searchParams.get('sessionId') ?? '');
        if (!transport) return void res.writeHead(404).end();
        transport.deliver(await readJson(req));
        return void res.writeHead(202).end();
      }
      res.writeHead(405).end();
    })().catch(() => res.writeHead(500).end());
  });
  return listen(http, '/sse', seen);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function urlSource(url: string, allowPrivateNetworks = true): ToolSource {
  const manifest = mcpManifest({
    command: undefined,
    args: [],
    url,
    headers: { Authorization: 'Bearer ${config.token}' },
  });
  const source = createMcpSource({ manifest, config: { token: 'tok-123' }, allowPrivateNetworks });
  cleanups.push(() => source.close());
  return source;
}

describe('upstream MCP source over a URL', () => {
  it('lists and calls tools of a Streamable HTTP upstream, sending the templated headers', async () => {
    const upstream = await startStreamable();
    cleanups.push(() => upstream.close());
    const source = urlSource(upstream.url);
    expect((await source.load()).map((t) => t.name)).toEqual(['add']);
    expect(await source.invoke('add', { a: 2, b: 40 })).toEqual({
      content: [{ type: 'text', text: '42' }],
      structuredContent: { sum: 42 },
    });
    expect(source.info?.()).toMatchObject({ transport: 'http', connected: true, restarts: 0 });
    expect(upstream.seen.length).toBeGreaterThan(0);
    expect(new Set(upstream.seen)).toEqual(new Set(['Bearer tok-123']));
    expect(await source.check()).toMatchObject({ ok: true, details: { tools: 1 } });
  });

  it('falls back to legacy HTTP+SSE when the upstream does not speak Streamable HTTP', async () => {
    const upstream = await startLegacySse();
    cleanups.push(() => upstream.close());
    const source = urlSource(upstream.url);
    expect((await source.load()).map((t) => t.name)).toEqual(['add']);
    expect((await source.invoke('add', { a: 1, b: 2 })).structuredContent).toEqual({ sum: 3 });
    expect(upstream.seen.every((h) => h === 'Bearer tok-123')).toBe(true);
  });

  it('refuses a loopback upstream unless private networks are allowed', async () => {
    const upstream = await startStreamable();
    cleanups.push(() => upstream.close());
    const source = urlSource(upstream.url, false);
    await expect(source.load()).rejects.toMatchObject({ code: 'target_refused' });
    expect(upstream.seen).toHaveLength(0);
  });

  it('reconnects after the remote upstream goes away and comes back', async () => {
    const upstream = await startStreamable();
    const port = new URL(upstream.url).port;
    const manifest = mcpManifest({ command: undefined, args: [], url: upstream.url, headers: {} });
    const source = createMcpSource({ manifest, config: {}, allowPrivateNetworks: true, restart: { baseMs: 50 } });
    cleanups.push(() => source.close());
    await source.load();
    await upstream.close();
    const failed = await source.invoke('add', { a: 1, b: 1 });
    expect(failed.isError).toBe(true);
    expect(source.info?.()).toMatchObject({ connected: false, restarts: 1 });
    // Same port, fresh server (its old sessions are gone): the source must open a new session.
    const again = await startStreamable(Number(port));
    cleanups.push(() => again.close());
    await waitFor(() => source.info?.().connected === true, 'the source to reconnect');
    expect((await source.invoke('add', { a: 5, b: 5 })).structuredContent).toEqual({ sum: 10 });
  });
});

describe('the guarded fetch of remote upstreams', () => {
  /** A socket lookup that answers 127.0.0.1 for every name and counts its calls. */
  function countingLookup(): { lookup: LookupFunction; calls: () => number } {
    let calls = 0;
    const lookup = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      calls += 1;
      if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    }) as unknown as LookupFunction;
    return { lookup, calls: () => calls };
  }

  for (const [kind, start, Transport] of [
    ['Streamable HTTP', startStreamable, StreamableHTTPClientTransport],
    ['legacy HTTP+SSE', startLegacySse, SSEClientTransport],
  ] as const) {
    it(`carries a whole ${kind} session, every socket resolved through its lookup`, async () => {
      const upstream = await start();
      cleanups.push(() => upstream.close());
      const { lookup, calls } = countingLookup();
      const guarded = createGuardedFetch(lookup);
      cleanups.push(async () => guarded.close());
      const url = new URL(upstream.url.replace('127.0.0.1', 'upstream.example'));
      const client = new Client({ name: 'guarded', version: '1.0.0' });
      await client.connect(
        new Transport(url, { fetch: guarded.fetch, requestInit: { headers: { authorization: 'Bearer tok-123' } } }),
      );
      cleanups.push(() => client.close());
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['add']);
      expect((await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } })).structuredContent).toEqual({
        sum: 42,
      });
      expect(calls()).toBeGreaterThan(0);
      expect(upstream.seen.every((h) => h === 'Bearer tok-123')).toBe(true);
    });
  }
});
