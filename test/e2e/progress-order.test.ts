import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  Client,
  type JSONRPCMessage,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedClient } from '../../src/sources/mcp/index.js';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';
import { FIXTURE, mcpManifestYaml } from '../mcp/helpers.js';

/**
 * Progress through a started Toolport, on every path: the upstream (stdio child or URL server) sends STEPS
 * notifications immediately before its result; the client must see all of them, in order, before the result —
 * on the wire and in its `onprogress` callback — 20 calls in a row per path.
 */
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const STEPS = 5;
const RUNS = 20;
/** A path starts up to four client processes (stdio ones) and makes 20-40 calls: room for a loaded machine. */
const PER_PATH_TIMEOUT_MS = 120_000;
const EXPECTED = [...Array.from({ length: STEPS }, (_, i) => `progress ${i + 1}`), `result done ${STEPS}`];

let server: ServerProcess;
let upstream: ChildProcess;
let key: string;
/** Where the `slow` upstream notes each call it starts and each cancellation it receives. */
let marks: string;

/** Starts the fixture as a URL upstream and resolves its URL once it listens. */
async function startHttpUpstream(): Promise<string> {
  upstream = spawn(process.execPath, [FIXTURE], { env: { ...process.env, HTTP_PORT: '0' }, stdio: 'pipe' });
  return new Promise((res, rej) => {
    let out = '';
    upstream.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    upstream.once('exit', (code) => rej(new Error(`HTTP upstream exited with ${code}`)));
  });
}

beforeAll(async () => {
  const url = await startHttpUpstream();
  server = await startServerProcess();
  const admin = createRestClient(server.url, server.adminToken);
  expect((await admin('POST', '/v1/projects', { id: 'prog' })).status).toBe(201);
  const install = (manifest: string) =>
    admin('POST', '/v1/projects/prog/connectors/install-from-manifest', { manifest });
  expect((await install(mcpManifestYaml('up'))).status).toBe(201);
  marks = mkdtempSync(join(tmpdir(), 'toolport-progress-'));
  const env = { CALLS_FILE: join(marks, 'calls.log'), CANCEL_FILE: join(marks, 'cancel.log') };
  expect((await install(mcpManifestYaml('slow', env))).status).toBe(201);
  expect((await install(`name: web\nversion: 1.0.0\nkind: mcp\nmcp:\n  url: ${JSON.stringify(url)}\n`)).status).toBe(
    201,
  );
  key = (await admin('POST', '/v1/api-keys', { name: 'progress', scopes: ['invoke'] })).body.key as string;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  upstream?.kill();
});

/** Records, in wire order, every progress notification and tools/call result the transport delivers. */
function recordWire(transport: Transport, events: () => string[]): void {
  const deliver = transport.onmessage!;
  transport.onmessage = (message: JSONRPCMessage, extra) => {
    if ('method' in message && message.method === 'notifications/progress') {
      events().push(`progress ${(message.params as { progress: number }).progress}`);
    } else if ('result' in message && Array.isArray((message.result as { content?: unknown }).content)) {
      const first = (message.result as { content: { text?: string }[] }).content[0];
      events().push(`result ${first?.text ?? ''}`);
    }
    deliver(message, extra);
  };
}

type Connect = () => Transport;
const bearer = (): RequestInit => ({ headers: { Authorization: `Bearer ${key}` } });
const http =
  (path: string): Connect =>
  () =>
    new StreamableHTTPClientTransport(new URL(`${server.url}${path}`), { requestInit: bearer() });
const sse =
  (path: string): Connect =>
  () =>
    new SSEClientTransport(new URL(`${server.url}${path}`), { requestInit: bearer() });
const relay =
  (connector?: string, extra: string[] = []): Connect =>
  () =>
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'stdio', '--url', server.url, '--token', key, '--project', 'prog', ...extra].concat(
        connector ? ['--connector', connector] : [],
      ),
      stderr: 'pipe',
    });

/** `toolport stdio --data`: the gateway served over stdio from the server's own store (tools run in that process). */
const local =
  (connector?: string): Connect =>
  () =>
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'stdio', '--data', server.dataDir, '--project', 'prog'].concat(
        connector ? ['--connector', connector] : [],
      ),
      env: { ...(process.env as Record<string, string>), TOOLPORT_ALLOW_PRIVATE_NETWORKS: '1' },
      stderr: 'pipe',
    });

/**
 * The SDK client (2.4) dispatches notifications a microtask late but settles a result at once, so on transports
 * that hand over a whole read in one loop (stdio, legacy SSE) it drops notifications that share a read with the
 * result itself (typescript-sdk#2580). Those paths are checked on the wire (what Toolport controls) with the plain
 * client, and end to end with OrderedClient, the SDK client with that race fixed.
 */
async function assertOrdered(connect: Connect, tool: string, era: 'legacy' | 'modern', split = false) {
  if (split) await assertOrderedWith(Client, connect, tool, era, false);
  await assertOrderedWith(split ? OrderedClient : Client, connect, tool, era, true);
}

async function assertOrderedWith(
  ClientClass: typeof Client,
  connect: Connect,
  tool: string,
  era: 'legacy' | 'modern',
  checkCallbacks: boolean,
) {
  const client = new ClientClass(
    { name: 'progress-e2e', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const transport = connect();
  await client.connect(transport);
  let wire: string[] = [];
  recordWire(transport, () => wire);
  try {
    for (let run = 0; run < RUNS; run += 1) {
      wire = [];
      const seen: string[] = [];
      const result = await client.callTool(
        { name: tool, arguments: { steps: STEPS } },
        { onprogress: (p) => seen.push(`progress ${p.progress}`) },
      );
      seen.push(`result ${(result.content as { text: string }[])[0]!.text}`);
      expect({ run, wire }).toEqual({ run, wire: EXPECTED });
      if (checkCallbacks) expect({ run, seen }).toEqual({ run, seen: EXPECTED });
    }
  } finally {
    await client.close();
  }
}

describe('progress through a started Toolport: all notifications, in order, before the result', () => {
  for (const [name, upstreamTool] of [
    ['stdio upstream', 'up'],
    ['URL upstream', 'web'],
  ] as const) {
    describe(name, () => {
      it(
        '2025 Streamable HTTP session on /mcp/{project}/{connector}',
        async () => {
          await assertOrdered(http(`/mcp/prog/${upstreamTool}`), 'progress', 'legacy');
        },
        PER_PATH_TIMEOUT_MS,
      );
      it(
        '2025 Streamable HTTP session on /mcp/{project}',
        async () => {
          await assertOrdered(http('/mcp/prog'), `${upstreamTool}__progress`, 'legacy');
        },
        PER_PATH_TIMEOUT_MS,
      );
      it(
        '2026-07-28 sessionless requests on /mcp/{project}/{connector}',
        async () => {
          await assertOrdered(http(`/mcp/prog/${upstreamTool}`), 'progress', 'modern');
        },
        PER_PATH_TIMEOUT_MS,
      );
      it(
        '2026-07-28 sessionless requests on /mcp/{project}',
        async () => {
          await assertOrdered(http('/mcp/prog'), `${upstreamTool}__progress`, 'modern');
        },
        PER_PATH_TIMEOUT_MS,
      );
      it(
        'legacy HTTP+SSE on /sse/{project}/{connector} and /sse/{project}',
        async () => {
          await assertOrdered(sse(`/sse/prog/${upstreamTool}`), 'progress', 'legacy', true);
          await assertOrdered(sse('/sse/prog'), `${upstreamTool}__progress`, 'legacy', true);
        },
        PER_PATH_TIMEOUT_MS,
      );
      it(
        'stdio (`toolport stdio --data`), per connector and per project',
        async () => {
          await assertOrdered(local(upstreamTool), 'progress', 'legacy', true);
          await assertOrdered(local(), `${upstreamTool}__progress`, 'legacy', true);
        },
        PER_PATH_TIMEOUT_MS,
      );
      it(
        'the desktop relay `toolport stdio --url`, per connector and per project',
        async () => {
          await assertOrdered(relay(upstreamTool), 'progress', 'legacy', true);
          await assertOrdered(relay(), `${upstreamTool}__progress`, 'legacy', true);
        },
        PER_PATH_TIMEOUT_MS,
      );
    });
  }
});

describe('the desktop relay `toolport stdio --url`: long calls and cancellation', () => {
  const marked = (file: string): string => {
    const path = join(marks, file);
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  };

  async function withRelay<T>(extra: string[], fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new OrderedClient({ name: 'relay-e2e', version: '1.0.0' });
    await client.connect(relay('slow', extra)());
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  }

  it('keeps a call alive past its idle timeout while progress arrives, and fails a silent one', async () => {
    await withRelay(['--idle-timeout-ms', '1500'], async (client) => {
      const seen: number[] = [];
      // 6 reports 500 ms apart: 3 s in all, twice the idle timeout, never 1.5 s without news.
      const result = await client.callTool(
        { name: 'progress', arguments: { steps: 6, intervalMs: 500 } },
        { onprogress: (p) => seen.push(p.progress), timeout: 60_000 },
      );
      expect(result.content).toEqual([{ type: 'text', text: 'done 6' }]);
      expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
      // The same length of silence is cut off: the timeout is real, progress is what kept the first call alive.
      await expect(client.callTool({ name: 'sleep', arguments: { ms: 3000 } }, { timeout: 60_000 })).rejects.toThrow(
        /timed out/i,
      );
    });
  }, 30_000);

  it("forwards the client's cancellation through the server to the upstream", async () => {
    await withRelay([], async (client) => {
      // The marks files are shared with the other tests of the file (an earlier test's `sleep` is in calls.log):
      // wait for one line more than before, never for a line that may already be there.
      const count = (file: string, word: string): number =>
        marked(file)
          .split('\n')
          .filter((line) => line.split(' ').at(-1) === word).length;
      const calls = count('calls.log', 'sleep');
      const cancels = count('cancel.log', 'cancelled');
      const controller = new AbortController();
      const pending = client.callTool({ name: 'sleep', arguments: { ms: 60_000 } }, { signal: controller.signal });
      await waitFor(() => count('calls.log', 'sleep') > calls, 'the upstream to start this call');
      controller.abort('user stopped it');
      await expect(pending).rejects.toThrow();
      await waitFor(() => count('cancel.log', 'cancelled') > cancels, 'the upstream to see the cancellation');
      // The relay and the upstream stay usable.
      const echo = await client.callTool({ name: 'echo', arguments: { text: 'still here' } });
      expect(echo.structuredContent).toEqual({ text: 'still here' });
    });
  }, 30_000);
});
