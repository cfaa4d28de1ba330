// tools/list of a 200-tool project through the gateway while the node holds many tools (DESIGN.md budget:
// 100,000 registered tools → ≤ 2 ms p99 and ≤ 2 KB heap per tool). In-process: a real Registry over SQLite,
// HTTP connectors generated in memory (listing needs no network), the real gateway on a loopback Fastify app.
// Usage: npm run build && node --expose-gc bench/tools-list.mjs [--projects 500] [--tools 200] [--calls 2000]
//        [--connections 4] [--duration 5] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { closedLoop, DIST, fmt, machineFacts, openSession, rpc, rpcBody, sequentialLatency } from './lib.mjs';

const load = (path) => import(pathToFileURL(join(DIST, path)).href);
const { values: opts } = parseArgs({
  options: {
    projects: { type: 'string', default: '500' },
    tools: { type: 'string', default: '200' },
    calls: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '4' },
    duration: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const projects = Number(opts.projects);
const toolsPerProject = Number(opts.tools);
const calls = Number(opts.calls);

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
try {
  for (const [label, path] of [
    ['project endpoint', `/mcp/${target}`],
    ['connector endpoint', `/mcp/${target}/api`],
  ]) {
    const session = await openSession(`http://127.0.0.1:${port}${path}`, { authorization: 'Bearer bench' });
    const answer = await rpc(session, rpcBody('tools/list'));
    const listed = answer?.result?.tools?.length;
    if (listed !== toolsPerProject) throw new Error(`${path}: tools/list returned ${listed} tools`);
    results[`${label} bytes`] = Buffer.byteLength(JSON.stringify(answer));
    results[label] = await sequentialLatency(session, rpcBody('tools/list'), { calls });
    // Concurrent: `connections` clients in a closed loop (the client shares this process with the gateway, so
    // this is throughput of the whole process, and latency includes waiting behind the other clients' answers).
    const listBody = (id) => `{"jsonrpc":"2.0","id":"${id}","method":"tools/list","params":{}}`;
    results[`${label} concurrent`] = await closedLoop(
      session,
      listBody,
      (a) => a.result?.tools?.length === toolsPerProject,
      { duration: Number(opts.duration), connections: Number(opts.connections) },
    );
  }
} finally {
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
for (const label of ['project endpoint', 'connector endpoint']) {
  const r = results[label];
  const kb = results[`${label} bytes`] / 1024;
  console.log(
    `| ${label} (${fmt(kb, 1)} KB answer) | ${fmt(r.p50, 3)} | ${fmt(r.p90, 3)} | ${fmt(r.p99, 3)} | ${fmt(r.max, 3)} |`,
  );
}
for (const label of ['project endpoint', 'connector endpoint']) {
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
