// tools/list of a 200-tool project through the gateway while the node holds many tools (DESIGN.md budget:
// 100,000 registered tools → ≤ 2 ms p99 and ≤ 2 KB heap per tool). In-process: a real Registry over SQLite,
// HTTP connectors generated in memory (listing needs no network), the real gateway on a loopback Fastify app;
// the client runs in its own process (bench/list-client.mjs).
// Usage: npm run build && node --expose-gc bench/tools-list.mjs [--projects 500] [--tools 200] [--calls 2000]
//        [--connections 4] [--duration 5] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { benchArgs, DIST, fmt, machineFacts, openSession, ROOT, rpc, rpcBody } from './lib.mjs';

const load = (path) => import(pathToFileURL(join(DIST, path)).href);
const opts = benchArgs({ projects: 500, tools: 200, calls: 2000, connections: 4, duration: 5, json: false });
const { projects, tools: toolsPerProject, calls } = opts;

const { Registry } = await load('registry/index.js');
const { openStore, createSecretBox } = await load('store/index.js');
const { createHttpSource } = await load('sources/http/index.js');
const { createGateway } = await load('gateway/index.js');

/** A few realistic input shapes, cycled: schemas repeat across real connectors too. */
const SCHEMAS = [
  { type: 'object', properties: { id: { type: 'string', description: 'Item id' } }, required: ['id'] },
  {
    type: 'object',
    properties: { query: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 100 } },
    required: ['query'],
  },
  {
    type: 'object',
    properties: {
      name: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
      active: { type: 'boolean' },
    },
  },
  { type: 'object', properties: {} },
];

function manifest(p) {
  return {
    name: 'api',
    version: '1.0.0',
    kind: 'http',
    http: { base_url: 'http://127.0.0.1:9', retries: 0 },
    tools: Array.from({ length: toolsPerProject }, (_, t) => ({
      name: `tool_${t}`,
      description: `Tool ${t} of project ${p}: does one thing to the records of this project`,
      input_schema: SCHEMAS[t % SCHEMAS.length],
      http: { method: t % 2 ? 'POST' : 'GET', path: t % 4 === 0 ? `/items/{id}` : `/op/${t}` },
    })),
  };
}

/**
 * Runs the client in a child process (bench/list-client.mjs) while this process serves. The server's event loop
 * must stay free meanwhile, hence the asynchronous spawn.
 */
function clientProcess(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'list-client.mjs'), JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`list client exited ${code}: ${out.slice(-500)}`));
      else resolve(JSON.parse(line.slice('RESULT '.length)));
    });
  });
}

/**
 * The floor: a bare node:http server in this process answering every tools/list with the same bytes the project
 * endpoint sends (the list serialised once, the request's id put in), and `initialize` with a session id. What
 * it measures is the cost of HTTP, the loopback and the client alone on this machine: no gateway can beat it.
 */
async function startFloorServer(gatewayUrl) {
  const session = await openSession(gatewayUrl, { authorization: 'Bearer bench' });
  const tools = Buffer.from(JSON.stringify((await rpc(session, rpcBody('tools/list'))).result.tools));
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      const head = `{"jsonrpc":"2.0","id":${JSON.stringify(message.id ?? null)},"result":`;
      const headers = { 'content-type': 'application/json', 'mcp-session-id': 'floor' };
      if (message.method !== 'tools/list') {
        res.writeHead(message.id === undefined ? 202 : 200, headers);
        res.end(message.id === undefined ? '' : `${head}{"protocolVersion":"${session.protocolVersion}"}}`);
        return;
      }
      const tail = '}}';
      headers['content-length'] = Buffer.byteLength(head) + 9 + tools.length + tail.length;
      res.writeHead(200, headers);
      res.cork();
      res.write(head);
      res.write('{"tools":');
      res.write(tools);
      res.end(tail);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/floor` };
}

const heap = () => {
  global.gc?.();
  global.gc?.();
  return process.memoryUsage().heapUsed;
};

const dir = mkdtempSync(join(tmpdir(), 'toolport-bench-list-'));
const store = await openStore({ dataDir: dir, secretBox: createSecretBox({ keyFile: join(dir, 'secret.key') }) });
await store.createTenant({ id: 'default', name: 'Default', created_at: new Date().toISOString() });
const registry = new Registry({
  store,
  sources: { http: ({ manifest: m, config }) => createHttpSource({ manifest: m, config, allowPrivateNetworks: true }) },
  nodeId: 'bench',
});
await registry.start();
await registry.ensureTenantDefaults('default');

const heapBefore = heap();
const installStarted = performance.now();
for (let p = 0; p < projects; p++) {
  const id = `p${String(p).padStart(4, '0')}`;
  await registry.createProject('default', { id });
  await registry.install({ tenantId: 'default', projectId: id, manifest: manifest(p) });
}
const installMs = performance.now() - installStarted;
const heapAfter = heap();
const totalTools = projects * toolsPerProject;

const gateway = createGateway({
  provider: registry,
  authenticate: async () => ({ tenantId: 'default', scopes: ['admin', 'invoke'], isOperator: true }),
  serverInfo: { name: 'toolport-bench', version: '0' },
});
const app = Fastify({ logger: false });
await gateway.register(app);
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address();
const target = `p${String(Math.floor(projects / 2)).padStart(4, '0')}`;

const results = { machine: await machineFacts(), projects, toolsPerProject, totalTools, calls, installMs };
results.heapPerToolBytes = (heapAfter - heapBefore) / totalTools;
results.heapUsedMb = heapAfter / 2 ** 20;
results.gcExposed = typeof global.gc === 'function';
const floor = await startFloorServer(`http://127.0.0.1:${port}/mcp/${target}`);
const ENDPOINTS = [
  ['project endpoint', `http://127.0.0.1:${port}/mcp/${target}`],
  ['connector endpoint', `http://127.0.0.1:${port}/mcp/${target}/api`],
  ['floor: plain node:http, same bytes', floor.url],
];
try {
  for (const [label, url] of ENDPOINTS) {
    const run = await clientProcess({
      url,
      calls,
      duration: opts.duration,
      connections: opts.connections,
      tools: toolsPerProject,
    });
    results[`${label} bytes`] = run.bytes;
    results[label] = run.sequential;
    // Concurrent: `connections` clients in a closed loop (latency includes waiting behind the other clients).
    results[`${label} concurrent`] = run.concurrent;
  }
} finally {
  floor.server.close();
  await app.close();
  await gateway.close();
  await registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `\n## tools/list of a ${toolsPerProject}-tool project with ${totalTools.toLocaleString('en')} tools registered\n`,
);
console.log('| endpoint | p50 ms | p90 ms | p99 ms | max ms |');
console.log('| --- | --- | --- | --- | --- |');
for (const [label] of ENDPOINTS) {
  const r = results[label];
  const kb = results[`${label} bytes`] / 1024;
  console.log(
    `| ${label} (${fmt(kb, 1)} KB answer) | ${fmt(r.p50, 3)} | ${fmt(r.p90, 3)} | ${fmt(r.p99, 3)} | ${fmt(r.max, 3)} |`,
  );
}
for (const [label] of ENDPOINTS) {
  const r = results[`${label} concurrent`];
  console.log(
    `${label}, ${opts.connections} concurrent clients: ${fmt(r.requestsPerSec, 0)} lists/s, p50 ${fmt(r.p50, 3)} ms, ` +
      `p99 ${fmt(r.p99, 3)} ms, wrong ${r.wrong}, errors ${r.errors + r.non2xx}`,
  );
}
console.log(
  `\nHeap: ${fmt(results.heapPerToolBytes, 0)} bytes per tool (${fmt(results.heapUsedMb, 0)} MB used in total` +
    `${results.gcExposed ? '' : '; run with --expose-gc for a settled number'}); install of ${projects} connectors took ${fmt(installMs / 1000, 1)} s`,
);
console.log(`Machine: ${results.machine.cpus} × ${results.machine.cpuModel}, load ${results.machine.loadavg}`);
if (opts.json) console.log(`RESULT ${JSON.stringify(results)}`);
