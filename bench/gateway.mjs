// tools/call throughput and latency of a stdio echo MCP server behind three Streamable HTTP front ends:
// Toolport, supergateway (--stateful) and mcp-proxy; plus Toolport's overhead over calling the tool in-process.
// Usage: npm run build && node bench/gateway.mjs [--duration 10] [--connections 10] [--calls 2000]
//        [--only toolport,supergateway,mcp-proxy] [--json]   (TOOLPORT_DIST=dir selects another build)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  fmt,
  freePort,
  loadTest,
  machineFacts,
  openSession,
  rpc,
  sequentialLatency,
  startProcess,
  summarize,
  table,
  toolsCallBody,
  waitForHttp,
} from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ECHO = join(ROOT, 'bench', 'echo-server.mjs');
const DIST = resolve(ROOT, process.env.TOOLPORT_DIST ?? 'dist');
const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    calls: { type: 'string', default: '2000' },
    only: { type: 'string', default: 'toolport,supergateway,mcp-proxy' },
    json: { type: 'boolean', default: false },
  },
});
const duration = Number(opts.duration);
const connections = Number(opts.connections);
const calls = Number(opts.calls);
const CALL = toolsCallBody('echo', { text: 'hello' });

/** Each front end: how to start it and where its Streamable HTTP endpoint is. */
const TARGETS = {
  toolport: async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error(`no build at ${DIST}: run npm run build first`);
    const port = await freePort();
    const data = mkdtempSync(join(tmpdir(), 'toolport-bench-'));
    const token = 'bench-admin-token';
    const proc = startProcess(
      'toolport',
      process.execPath,
      [join(DIST, 'cli.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data', data],
      {
        env: {
          ...process.env,
          TOOLPORT_ADMIN_TOKEN: token,
          TOOLPORT_HOT_RELOAD: '0',
          TOOLPORT_HEALTH_INTERVAL_MS: '3600000',
        },
      },
    );
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/health`, proc);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const admin = async (path, body) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    };
    await admin('/v1/projects', { id: 'bench' });
    await admin('/v1/projects/bench/connectors/install-from-manifest', {
      manifest: { name: 'echo', version: '1.0.0', kind: 'mcp', mcp: { command: process.execPath, args: [ECHO] } },
    });
    return {
      proc,
      url: `${base}/mcp/bench/echo`,
      headers: { authorization: `Bearer ${token}` },
      command: `TOOLPORT_ADMIN_TOKEN=… node dist/cli.js serve --host 127.0.0.1 --port ${port} --data <tmp>`,
      cleanup: () => rmSync(data, { recursive: true, force: true }),
    };
  },
  supergateway: async () => {
    const bin = join(ROOT, 'node_modules', 'supergateway', 'dist', 'index.js');
    if (!existsSync(bin)) throw new Error('supergateway is not installed (npm install -D supergateway@4)');
    const port = await freePort();
    const stdio = `"${process.execPath}" "${ECHO}"`;
    const args = [
      bin,
      '--stdio',
      stdio,
      '--outputTransport',
      'streamableHttp',
      '--stateful',
      '--port',
      String(port),
      '--logLevel',
      'none',
    ];
    const proc = startProcess('supergateway', process.execPath, args);
    await waitForHttp(`http://127.0.0.1:${port}/mcp`, proc);
    return {
      proc,
      url: `http://127.0.0.1:${port}/mcp`,
      headers: {},
      command: `supergateway --stdio "node bench/echo-server.mjs" --outputTransport streamableHttp --stateful --port ${port} --logLevel none`,
    };
  },
  'mcp-proxy': async () => {
    const bin = join(ROOT, 'node_modules', 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs');
    if (!existsSync(bin)) throw new Error('mcp-proxy is not installed (npm install -D mcp-proxy@6)');
    const port = await freePort();
    const args = [
      bin,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--server',
      'stream',
      '--',
      process.execPath,
      ECHO,
    ];
    const proc = startProcess('mcp-proxy', process.execPath, args);
    await waitForHttp(`http://127.0.0.1:${port}/mcp`, proc);
    return {
      proc,
      url: `http://127.0.0.1:${port}/mcp`,
      headers: {},
      command: `mcp-proxy --host 127.0.0.1 --port ${port} --server stream -- node bench/echo-server.mjs`,
    };
  },
};

/** The tool's own cost as the gateway sees it: Toolport's mcp source calling the echo child in-process. */
async function directBaseline() {
  const { createMcpSource } = await import(pathToFileURL(join(DIST, 'sources', 'mcp', 'index.js')).href);
  const manifest = {
    name: 'echo',
    version: '1.0.0',
    kind: 'mcp',
    config: {},
    mcp: { command: process.execPath, args: [ECHO], env: {}, headers: {} },
    tools: [],
  };
  const source = createMcpSource({ manifest, config: {} });
  try {
    await source.load();
    const samples = [];
    for (let i = 0; i < 200 + calls; i++) {
      const started = performance.now();
      const out = await source.invoke('echo', { text: 'hello' });
      const elapsed = performance.now() - started;
      if (out.isError || out.content[0]?.text !== 'hello') throw new Error('direct echo call returned a wrong result');
      if (i >= 200) samples.push(elapsed);
    }
    return summarize(samples);
  } finally {
    await source.close();
  }
}

/** Sequential latency of the same POST against a plain HTTP server: the client + loopback floor. */
async function httpFloor() {
  const port = await freePort();
  const proc = startProcess('null-server', process.execPath, [join(ROOT, 'bench', 'null-server.mjs'), String(port)]);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, proc);
    const session = { url: `http://127.0.0.1:${port}/mcp`, headers: { 'content-type': 'application/json' } };
    return await sequentialLatency(session, CALL, { calls });
  } finally {
    await proc.stop();
  }
}

async function runTarget(name) {
  const target = await TARGETS[name]();
  try {
    const session = await openSession(target.url, target.headers);
    const answer = await rpc(session, CALL);
    if (answer?.result?.content?.[0]?.text !== 'hello') {
      throw new Error(`${name}: tools/call returned ${JSON.stringify(answer).slice(0, 300)}`);
    }
    const sequential = await sequentialLatency(session, CALL, { calls });
    const load = await loadTest(session, CALL, { duration, connections });
    return { name, command: target.command, protocolVersion: session.protocolVersion, sequential, load };
  } finally {
    await target.proc.stop();
    target.cleanup?.();
  }
}

const results = { machine: await machineFacts(), duration, connections, calls, targets: [], skipped: [] };
results.direct = await directBaseline();
results.httpFloor = await httpFloor();
for (const name of opts.only
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)) {
  if (!TARGETS[name]) throw new Error(`unknown target ${name}`);
  try {
    results.targets.push(await runTarget(name));
  } catch (err) {
    results.skipped.push({ name, reason: err instanceof Error ? err.message : String(err) });
  }
}
results.machine.loadavgAfter = (await machineFacts()).loadavg;
const toolport = results.targets.find((t) => t.name === 'toolport');
if (toolport) {
  results.overheadP50Ms = toolport.sequential.p50 - results.direct.p50;
  results.overheadBeyondHttpP50Ms = results.overheadP50Ms - results.httpFloor.p50;
}

console.log(
  `\n## Gateway tools/call (${duration} s × ${connections} connections per target, ${calls} sequential calls)\n`,
);
console.log(
  table(
    [
      { title: 'front end', value: (r) => r.name },
      { title: 'req/s', value: (r) => fmt(r.load.requestsPerSec, 0) },
      { title: 'p50 ms (load)', value: (r) => fmt(r.load.p50, 1) },
      { title: 'p99 ms (load)', value: (r) => fmt(r.load.p99, 1) },
      { title: 'errors', value: (r) => `${r.load.errors} (+${r.load.non2xx} non-2xx)` },
      { title: 'p50 ms (sequential)', value: (r) => fmt(r.sequential.p50, 3) },
      { title: 'p99 ms (sequential)', value: (r) => fmt(r.sequential.p99, 3) },
    ],
    results.targets,
  ),
);
console.log(
  `\nDirect in-process call (Toolport mcp source → stdio echo): p50 ${fmt(results.direct.p50, 3)} ms, p99 ${fmt(results.direct.p99, 3)} ms`,
);
console.log(
  `Plain HTTP round trip (client + loopback floor, no MCP): p50 ${fmt(results.httpFloor.p50, 3)} ms, p99 ${fmt(results.httpFloor.p99, 3)} ms`,
);
if (toolport) {
  console.log(
    `Toolport overhead at p50: ${fmt(results.overheadP50Ms, 3)} ms over the direct call, ` +
      `${fmt(results.overheadBeyondHttpP50Ms, 3)} ms beyond the plain HTTP round trip`,
  );
}
for (const s of results.skipped) console.log(`SKIPPED ${s.name}: ${s.reason}`);
console.log(
  `Machine: ${results.machine.cpus} × ${results.machine.cpuModel}, load before ${results.machine.loadavg}, after ${results.machine.loadavgAfter}`,
);
if (opts.json) console.log(`RESULT ${JSON.stringify(results)}`);
