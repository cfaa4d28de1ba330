import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { stdioManifestYaml } from '../mcp/helpers.js';
import { PG_URL, requirePostgres } from '../store/drivers.js';

// `serve --workers 2` as real processes over one store: the workers share the port, a change made through one
// of them reaches tools/list on the other, and one 2025 session is served by both (an upstream's sampling request
// asked on one worker is answered by a POST to the other) — over SQLite (notices and node messages relayed by the
// primary) and over PostgreSQL (LISTEN/NOTIFY), in a schema of its own.
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const FEDERATION_UPSTREAM = resolve(import.meta.dirname, '../fixtures/mcp/federation-upstream.mjs');
/** A call not answered within this is counted as hung (a failure, not a wait). */
const HANG_MS = 10_000;
const TOKEN = 'test-admin-token-0123456789abcdef';
const MODERN = '2026-07-28';

let child: ChildProcess;
let output = '';
let exited: Promise<number | null>;
let base = '';
let dataDir = '';
const pgReachable = await requirePostgres('workers over PostgreSQL');

/** One request on a given keep-alive agent (so it stays on one connection, hence one worker). */
function send(
  agent: Agent,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((res, rej) => {
    const req = request(
      `${base}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
      },
      (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (d) => (text += d));
        r.on('end', () => res({ status: r.statusCode ?? 0, text }));
      },
    );
    req.on('error', rej);
    req.end(payload);
  });
}

/** The start time (epoch s) of the process that answers on this connection, from its uptime metric. */
async function processStart(agent: Agent): Promise<number> {
  const { status, text } = await send(agent, 'GET', '/metrics');
  expect(status).toBe(200);
  const uptime = Number(/^process_uptime_seconds (\S+)$/m.exec(text)?.[1]);
  expect(Number.isFinite(uptime)).toBe(true);
  return Date.now() / 1000 - uptime;
}

/** A keep-alive connection pinned to one worker, and that worker's start time. */
interface Pinned {
  agent: Agent;
  start: number;
}

/**
 * Two connections answered by different worker processes (told apart by their start times): node:cluster hands each
 * new connection to a worker in turn, and an agent with one socket keeps its requests on its connection. Every
 * agent opened is in `opened`, for the caller to destroy.
 */
async function twoWorkers(opened: Agent[]): Promise<[Pinned, Pinned]> {
  let a: Pinned | undefined;
  let b: Pinned | undefined;
  for (let i = 0; i < 8 && !b; i++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    opened.push(agent);
    const conn = { agent, start: await processStart(agent) };
    a ??= conn;
    if (Math.abs(conn.start - a.start) > 0.25) b = conn;
  }
  expect(b, `every connection reached the same process:\n${output}`).toBeDefined();
  return [a!, b!];
}

/** True while both connections still reach the worker they reached first. */
async function stillPinned(...conns: Pinned[]): Promise<void> {
  for (const conn of conns) expect(Math.abs((await processStart(conn.agent)) - conn.start)).toBeLessThan(0.25);
}

/**
 * A `fetch` for the MCP client that sends each request on the agent `pick` names (node:http under it, so the
 * request stays on that agent's connection). An event stream is passed on as it comes; any other body is read
 * whole first, so the connection is free for the next request whatever the client does with the response.
 */
function pinnedFetch(pick: (method: string, body: unknown) => Agent): typeof fetch {
  return (input, init) =>
    new Promise<Response>((resolvePromise, reject) => {
      const url = input instanceof Request ? input.url : String(input);
      const method = init?.method ?? 'GET';
      const payload = typeof init?.body === 'string' ? init.body : undefined;
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const req = request(
        url,
        { method, agent: pick(method, payload === undefined ? undefined : JSON.parse(payload)), headers },
        (res) => {
          const head = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) head.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          const status = res.statusCode ?? 0;
          if (String(res.headers['content-type']).startsWith('text/event-stream')) {
            resolvePromise(new Response(Readable.toWeb(res) as ReadableStream, { status, headers: head }));
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () =>
            resolvePromise(new Response(status === 204 ? null : Buffer.concat(chunks), { status, headers: head })),
          );
          res.on('error', reject);
        },
      );
      const abort = (): void => void req.destroy(new Error('aborted'));
      init?.signal?.addEventListener('abort', abort, { once: true });
      req.once('close', () => init?.signal?.removeEventListener('abort', abort));
      req.on('error', reject);
      req.end(payload);
    });
}

/** tools/list of a project endpoint as a 2026-07-28 sessionless request; undefined when the project is unknown. */
async function toolNames(agent: Agent, project: string): Promise<string[] | undefined> {
  const { status, text } = await send(
    agent,
    'POST',
    `/mcp/${project}`,
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientInfo': { name: 'workers-test', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    },
    { accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
  );
  if (status === 404) return undefined;
  expect(status).toBe(200);
  return (JSON.parse(text) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name);
}

/** Starts `serve --workers 2` with `extra` arguments and waits until both workers listen. */
async function startWorkers(extra: string[]): Promise<void> {
  output = '';
  dataDir = mkdtempSync(join(tmpdir(), 'toolport-workers-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', String(port), '--data', dataDir, '--workers', '2', ...extra],
    {
      env: { ...process.env, TOOLPORT_ADMIN_TOKEN: TOKEN, TOOLPORT_LOG_LEVEL: 'warn', TOOLPORT_HOT_RELOAD: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  exited = new Promise((res) => child.once('exit', (code) => res(code)));
  await new Promise<void>((res, rej) => {
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (/2 workers listening/.test(output)) res();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    void exited.then((code) => rej(new Error(`toolport exited with ${code} before listening:\n${output}`)));
  });
}

async function stopWorkers(): Promise<void> {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
}

async function pgQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const STORES = [
  { name: 'SQLite', enabled: true, args: async (): Promise<string[]> => [], cleanup: async (): Promise<void> => {} },
  (() => {
    const schema = `t_workers_${randomBytes(6).toString('hex')}`;
    return {
      name: 'PostgreSQL',
      enabled: pgReachable,
      args: async (): Promise<string[]> => {
        await pgQuery(`CREATE SCHEMA ${schema}`);
        const url = new URL(PG_URL);
        url.searchParams.set('options', `-c search_path=${schema}`);
        return ['--database-url', url.toString()];
      },
      cleanup: () => pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
    };
  })(),
];

describe.each(STORES)('serve --workers 2 over $name', (store) => {
  beforeAll(async () => {
    if (store.enabled) await startWorkers(await store.args());
  }, 60_000);
  afterAll(async () => {
    if (!store.enabled) return;
    await stopWorkers();
    await store.cleanup();
  });

  it.skipIf(!store.enabled)(
    'serves from two processes; a change made through one reaches tools/list on the other',
    async () => {
      const agents: Agent[] = [];
      const [one, two] = await twoWorkers(agents);
      try {
        // Before: the other worker does not know the project.
        expect(await toolNames(two.agent, 'shared')).toBeUndefined();
        expect((await send(one.agent, 'POST', '/v1/projects', { id: 'shared' })).status).toBe(201);
        const installed = await send(one.agent, 'POST', '/v1/projects/shared/connectors/install-from-manifest', {
          manifest: {
            name: 'api',
            version: '1.0.0',
            kind: 'http',
            http: { base_url: 'http://127.0.0.1:9' },
            tools: [
              {
                name: 'ping',
                description: 'Pings',
                input_schema: { type: 'object', properties: {} },
                http: { method: 'GET', path: '/ping' },
              },
            ],
          },
        });
        expect(installed.status, installed.text).toBe(201);
        expect(await toolNames(one.agent, 'shared')).toEqual(['api__ping']);
        // The other worker learns of it through the relayed change notice (no polling of the store).
        let seen: string[] | undefined;
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          seen = await toolNames(two.agent, 'shared');
          if (seen?.includes('api__ping')) break;
          await new Promise((r) => setImmediate(r));
        }
        expect(seen).toEqual(['api__ping']);
        // Both answers really came from two processes: the connections still reach the same two workers.
        await stillPinned(one, two);
      } finally {
        for (const agent of agents) agent.destroy();
      }
    },
    60_000,
  );

  it.skipIf(!store.enabled)(
    'serves one 2025 session from both workers: a sampling request asked on one is answered through the other',
    async () => {
      const agents: Agent[] = [];
      const [one, two] = await twoWorkers(agents);
      // The session's standalone GET stream holds its connection: it goes on a connection of its own.
      const streams = new Agent({ keepAlive: false });
      agents.push(streams);
      let client: Client | undefined;
      try {
        expect((await send(one.agent, 'POST', '/v1/projects', { id: 'xs' })).status).toBe(201);
        const installed = await send(one.agent, 'POST', '/v1/projects/xs/connectors/install-from-manifest', {
          manifest: stdioManifestYaml('up', FEDERATION_UPSTREAM),
        });
        expect(installed.status, installed.text).toBe(201);
        for (const conn of [one, two]) {
          await waitFor(async () => {
            const { status, text } = await send(conn.agent, 'GET', '/v1/projects/xs/tools');
            return status === 200 && text.includes('"ask"');
          }, 'the upstream connector on both workers');
        }
        // A call goes to the worker the test names; a client's answer goes to the other one; anything else
        // alternates between them.
        const workers = [one.agent, two.agent];
        let turn = 0;
        let callOn = 0;
        const answersTo: number[] = [];
        const pick = (method: string, body: unknown): Agent => {
          if (method === 'GET') return streams;
          const message = body as { method?: unknown } | undefined;
          if (message && typeof message.method !== 'string') {
            answersTo.push(1 - callOn);
            return workers[1 - callOn]!;
          }
          return workers[message?.method === 'tools/call' ? callOn : turn++ % 2]!;
        };
        const sampled: string[] = [];
        client = new Client({ name: 'workers', version: '1.0.0' }, { capabilities: { sampling: {} } });
        client.setRequestHandler('sampling/createMessage', async (request) => {
          const content = request.params.messages[0]!.content as { text: string };
          sampled.push(content.text);
          return { role: 'assistant', content: { type: 'text', text: `answer to ${content.text}` }, model: 'w' };
        });
        const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp/xs/up`), {
          requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
          fetch: pinnedFetch(pick),
        });
        await client.connect(transport);
        const text = (result: unknown): string =>
          ((result as { content: { text: string }[] }).content[0]?.text ?? '') as string;
        // Calls run one at a time, on alternate workers: each worker runs its own copy of the upstream.
        const pids: string[][] = [[], []];
        const texts: string[] = [];
        for (let i = 0; i < 4; i++) {
          callOn = i % 2;
          const asked = await client.callTool({ name: 'ask', arguments: { question: `q${i}` } }, { timeout: HANG_MS });
          texts.push(text(asked));
          pids[callOn]!.push(text(await client.callTool({ name: 'pid', arguments: {} }, { timeout: HANG_MS })));
        }
        expect(texts).toEqual(['q0', 'q1', 'q2', 'q3'].map((q) => `sampled: answer to ${q} (w)`));
        expect(sampled).toEqual(['q0', 'q1', 'q2', 'q3']);
        // The calls ran in two processes (one upstream each); every answer went to the other worker.
        expect(new Set(pids[0]).size).toBe(1);
        expect(new Set(pids[1]).size).toBe(1);
        expect(pids[0]![0]).not.toBe(pids[1]![0]);
        expect(answersTo).toEqual([1, 0, 1, 0]);
        // Ended by the client on one worker, the session is refused by both.
        const sessionId = transport.sessionId!;
        await transport.terminateSession();
        for (const conn of [one, two]) {
          const res = await send(
            conn.agent,
            'POST',
            '/mcp/xs/up',
            { jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'pid', arguments: {} } },
            { accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId },
          );
          expect(res.status, res.text).toBe(404);
        }
        await stillPinned(one, two);
      } finally {
        await client?.close().catch(() => undefined);
        for (const agent of agents) agent.destroy();
      }
    },
    60_000,
  );

  it.skipIf(!store.enabled)(
    'stops every worker on SIGTERM',
    async () => {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output.match(/received SIGTERM, shutting down/g)?.length).toBe(2);
    },
    30_000,
  );
});
