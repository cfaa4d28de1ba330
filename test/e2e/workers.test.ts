import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, requirePostgres } from '../store/drivers.js';

// `serve --workers 2` as real processes over one store: the workers share the port, and a change made through one
// of them reaches tools/list on the other — over SQLite (notices relayed by the primary) and over PostgreSQL
// (LISTEN/NOTIFY), in a schema of its own.
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const TOKEN = 'test-admin-token-0123456789abcdef';
const MODERN = '2026-07-28';

let child: ChildProcess;
let output = '';
let exited: Promise<number | null>;
let base = '';
let dataDir = '';
const pgReachable = await requirePostgres('workers over PostgreSQL');

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

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
      // Keep-alive connections pinned to one socket each; node:cluster hands each new connection to a worker in
      // turn. Find two connections answered by different processes (told apart by their start times).
      const agents: { agent: Agent; start: number }[] = [];
      let a: { agent: Agent; start: number } | undefined;
      let b: { agent: Agent; start: number } | undefined;
      for (let i = 0; i < 8 && !b; i++) {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        const conn = { agent, start: await processStart(agent) };
        agents.push(conn);
        a ??= conn;
        if (Math.abs(conn.start - a.start) > 0.25) b = conn;
      }
      expect(b, `every connection reached the same process:\n${output}`).toBeDefined();
      const [one, two] = [a!, b!];
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
        expect(Math.abs((await processStart(two.agent)) - two.start)).toBeLessThan(0.25);
        expect(Math.abs((await processStart(one.agent)) - one.start)).toBeLessThan(0.25);
      } finally {
        for (const { agent } of agents) agent.destroy();
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
