/**
 * A bounded fuzz test of the whole HTTP surface, driven by `/openapi.json`: every route and method gets requests
 * with random and malformed path parameters, query strings, bodies, content types and tokens, against a started
 * server on real SQLite. Nothing may answer >= 500, and the server must still be alive and healthy at the end.
 *
 * Reproduce a failure with the seed it prints: `TOOLPORT_FUZZ_SEED=<seed> npx vitest run test/api/fuzz.test.ts`.
 * `TOOLPORT_FUZZ_REQUESTS` and `TOOLPORT_FUZZ_MS` raise the request and time budgets for a longer local run.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { createFuzzer, type FuzzRoute } from './fuzz-input.js';

const SEED = Number(process.env.TOOLPORT_FUZZ_SEED ?? 20261130);
const MAX_REQUESTS = Number(process.env.TOOLPORT_FUZZ_REQUESTS ?? 3000);
const MAX_MS = Number(process.env.TOOLPORT_FUZZ_MS ?? 40_000);
const CONCURRENCY = 6;
/** No response headers within this time counts as a hang. */
const RESPONSE_TIMEOUT_MS = 15_000;

type Json = Record<string, any>;

/** The server's default REST body limit (1 MiB); the MCP routes accept four times that. */
const BODY_LIMIT = 1024 * 1024;

function bodyLength(body: string | Uint8Array | undefined): number {
  return body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

describe('fuzzing every route of /openapi.json', () => {
  let server: ServerProcess;
  let upstream: Server;
  let tokens: Record<string, string>;
  let doc: Json;
  const pools: Record<string, string[]> = {};
  const examples: Record<string, unknown> = {};

  beforeAll(async () => {
    // A loopback upstream that answers every call, so tool invocations succeed instead of failing upstream.
    upstream = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"items":[]}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamPort = (upstream.address() as { port: number }).port;

    server = await startServerProcess({ env: { TOOLPORT_MAX_SESSIONS_PER_KEY: '20' } });
    const admin = createRestClient(server.url, server.adminToken);
    expect((await admin('POST', '/v1/tenants', { id: 'fuzz' })).status).toBe(201);
    const key = async (scopes: string[]): Promise<{ id: string; key: string }> => {
      const res = await admin('POST', '/v1/tenants/fuzz/api-keys', { name: scopes.join('+'), scopes });
      expect(res.status).toBe(201);
      return res.body;
    };
    const tenantAdmin = await key(['admin', 'invoke']);
    const invoke = await key(['invoke']);
    tokens = { admin: server.adminToken, tenantAdmin: tenantAdmin.key, invoke: invoke.key };
    const asTenant = createRestClient(server.url, tenantAdmin.key);
    expect((await asTenant('POST', '/v1/projects', { id: 'p1' })).status).toBe(201);
    const manifest = {
      name: 'echo',
      version: '1.0.0',
      kind: 'http',
      description: 'Echo upstream',
      http: { base_url: `http://127.0.0.1:${upstreamPort}` },
      tools: [
        {
          name: 'get_item',
          description: 'Get an item',
          input_schema: {
            type: 'object',
            properties: { id: { type: 'string', maxLength: 64 }, n: { type: 'integer' } },
            required: ['id'],
          },
          http: { method: 'GET', path: '/items/{id}' },
        },
      ],
    };
    for (const project of ['p1', 'default']) {
      const res = await asTenant('POST', `/v1/projects/${project}/connectors/install-from-manifest`, { manifest });
      expect(res.status).toBe(201);
    }
    const hook = await asTenant('POST', '/v1/projects/p1/webhooks', {
      url: `http://127.0.0.1:${upstreamPort}/hook`,
      events: ['connector.installed'],
    });
    const form = new FormData();
    form.append('file', new Blob(['def double(x: int) -> int:\n    return 2 * x\n']), 'double.py');
    const uploaded = await fetch(`${server.url}/api/v1/upload_script`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tenantAdmin.key}` },
      body: form,
    });
    expect(uploaded.status).toBe(201);
    const script = (await uploaded.json()) as { id: string };

    // Known-good values per parameter name: the fuzzer mixes them with garbage so handlers past validation run.
    Object.assign(pools, {
      project_id: ['p1', 'default'],
      project: ['p1', 'default'],
      name: ['echo'],
      connector: ['echo'],
      tool_name: ['echo__get_item', 'get_item'],
      id: ['fuzz', 'echo', script.id],
      key_id: [],
      webhook_id: hook.status === 201 ? [hook.body.id as string] : [],
      tenant: ['fuzz', 'default'],
    });
    const probe = {
      tool: 'get_item',
      arguments: { id: '1' },
      expect: {
        no_error: true,
        equals: [{ pointer: '/ok', value: true }],
        matches: [{ pointer: '/ok', pattern: '^t' }],
      },
    };
    const connector = '/v1/projects/{project_id}/connectors/{name}';
    Object.assign(examples, {
      'POST /v1/tenants': { id: 'fz', name: 'Fuzz' },
      'POST /v1/tenants/{id}/api-keys': { name: 'k', scopes: ['invoke'] },
      'POST /v1/api-keys': { name: 'k', scopes: ['admin'] },
      'POST /v1/projects': { id: 'p2', name: 'P', description: 'd' },
      'PATCH /v1/projects/{project_id}': { name: 'P', description: 'd' },
      'POST /v1/projects/{project_id}/connectors/install-from-manifest': { manifest, enabled: true },
      'POST /v1/projects/{project_id}/connectors/install-from-file': { file_path: 'samples/weather.yaml' },
      [`POST ${connector}/rollback`]: { version: 1 },
      [`PATCH ${connector}/config`]: { config: { token: 'x' } },
      [`PUT ${connector}/probe`]: { probe },
      'POST /v1/projects/{project_id}/tools/{tool_name}/invoke': { arguments: { id: '1', n: 2 } },
      'POST /v1/projects/{project_id}/webhooks': { url: `http://127.0.0.1:${upstreamPort}/h`, events: ['connector.*'] },
      'POST /api/v1/services/register': { name: 'svc', type: 'http', manifest: { ...manifest, name: 'svc' } },
      'POST /api/v1/scripts/{id}/generate_mcp_wrapper': {
        service_name: 'dbl',
        type: 'function',
        functions: ['double'],
      },
    });
    const openapi = await admin('GET', '/openapi.json');
    expect(openapi.status).toBe(200);
    doc = openapi.body;
  });

  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it(
    `answers every request below 500 and stays alive (seed ${SEED})`,
    async () => {
      const routes: FuzzRoute[] = Object.entries(doc.paths as Json).flatMap(([path, ops]) =>
        Object.entries(ops as Json).map(([method, op]) => ({ path, method: method.toUpperCase(), op: op as Json })),
      );
      expect(routes.length).toBeGreaterThan(50);
      const fuzzer = createFuzzer({ seed: SEED, doc, pools, tokens, examples });
      const failures: string[] = [];
      const statuses = new Map<number, number>();
      const started = Date.now();
      let sent = 0;
      const slow: [number, string][] = [];
      // Round-robin over routes so every route and method gets its share within the budget.
      const worker = async (): Promise<void> => {
        while (sent < MAX_REQUESTS && Date.now() - started < MAX_MS) {
          const n = sent++;
          const input = fuzzer.request(routes[n % routes.length]!, n);
          const t0 = Date.now();
          const controller = new AbortController();
          const timer = setTimeout(() => controller.abort(), RESPONSE_TIMEOUT_MS);
          try {
            const res = await fetch(`${server.url}${input.url}`, {
              method: input.method,
              headers: input.headers,
              ...(input.body !== undefined ? { body: input.body } : {}),
              signal: controller.signal,
              redirect: 'manual',
            });
            clearTimeout(timer);
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            // Streams (events, SSE, MCP GET) never end on their own: the status is all we need.
            const text = (res.headers.get('content-type') ?? '').includes('text/event-stream')
              ? (await res.body?.cancel(), '')
              : await res.text();
            slow.push([Date.now() - t0, `${input.method} ${input.url.slice(0, 80)} ${res.status}`]);
            if (res.status >= 500) {
              const sent =
                typeof input.body === 'string' ? input.body.slice(0, 400) : `${bodyLength(input.body)} bytes`;
              failures.push(
                `#${n} ${input.method} ${input.url.slice(0, 200)} ${JSON.stringify(input.headers)} ${sent} -> ${res.status} ${text.slice(0, 300)}`,
              );
            }
          } catch (err) {
            clearTimeout(timer);
            const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
            // Past the body limit the server answers 413 and closes the connection while we are still writing.
            if ((code === 'EPIPE' || code === 'ECONNRESET') && bodyLength(input.body) > BODY_LIMIT) continue;
            const why = controller.signal.aborted ? 'no response (hang)' : String((err as Error).cause ?? err);
            failures.push(`#${n} ${input.method} ${input.url.slice(0, 200)} -> ${why}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));

      if (process.env.TOOLPORT_FUZZ_DEBUG) {
        console.log(slow.sort(([a], [b]) => b - a).slice(0, 30));
      }
      const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, c]) => `${s}:${c}`);
      console.log(
        `fuzz seed ${SEED}: ${sent} requests over ${routes.length} operations; statuses ${summary.join(' ')}`,
      );
      if (failures.length)
        console.log(
          server
            .output()
            .split('\n')
            .filter((l) => /error/i.test(l))
            .slice(0, 20)
            .join('\n'),
        );
      expect(failures, `seed ${SEED}, ${sent} requests, statuses ${summary.join(' ')}`).toEqual([]);
      // A floor, not a speed assertion: a loaded machine still gets through this many within the time budget.
      expect(sent).toBeGreaterThanOrEqual(Math.min(MAX_REQUESTS, 500));
      // Every route was reached at least once.
      expect(sent).toBeGreaterThanOrEqual(routes.length);
      expect(server.child.exitCode).toBeNull();
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { status: string }).status).toBe('ok');
    },
    MAX_MS + 80_000,
  );
});
