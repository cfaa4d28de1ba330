// tools/call throughput and full-body latency of one `echo` tool behind several Streamable HTTP front ends, all
// measured in the same run, round-robin (round 1 of every column, then round 2, …; best round reported):
//   sdk-ceiling        the tool in process behind a bare SDK v1 server (no stdio hop): the ceiling
//   toolport           Toolport's per-connector endpoint /mcp/bench/echo → stdio echo child (2025-11-25 session)
//   toolport-project   the aggregate endpoint /mcp/bench (tool echo__echo), same child
//   toolport-2026      the per-connector endpoint, 2026-07-28 sessionless requests (no Mcp-Session-Id)
//   toolport-http      an HTTP connector /mcp/bench/web → a loopback HTTP echo server
//   toolport-python    a Python connector /mcp/bench/py: `def echo(text)` in one warm worker
//   supergateway       supergateway --stateful → stdio echo child
//   mcp-proxy          mcp-proxy --server stream → stdio echo child
// Every request has a unique JSON-RPC id and a unique text; an answer counts only when its id and text match its
// request ("wrong" otherwise). Latency is measured to the last byte of the body.
// Usage: npm run build && node bench/gateway.mjs [--duration 5] [--connections 16] [--rounds 2] [--calls 2000]
//        [--only sdk-ceiling,toolport,…] [--workers 1] [--json]   (TOOLPORT_DIST=dir selects another build)
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  bestOf,
  closedLoop,
  cpuMs,
  DIST,
  ECHO,
  fmt,
  freePort,
  LOAD_OPTIONS,
  benchArgs,
  machineFacts,
  openSession,
  processTree,
  ROOT,
  rpc,
  sequentialLatency,
  startProcess,
  summarize,
  table,
  toolsCallBody,
  treeCpuMs,
  waitForHttp,
} from './lib.mjs';

/**
 * `--compare dirA,dirB`: the Toolport columns once per build, interleaved in the same run (A/B of a change);
 * `dir@N` runs that build with `--workers N` (e.g. `--compare dist,dist@2`).
 */
const label = (dir, workers) => `${dir.split('/').filter(Boolean).at(-1)}${workers > 1 ? ` ×${workers} workers` : ''}`;
const ALL = 'sdk-ceiling,toolport,toolport-project,toolport-2026,toolport-http,toolport-python,supergateway,mcp-proxy';
const opts = benchArgs({ ...LOAD_OPTIONS, workers: 1, only: ALL, compare: '', json: false });
const { duration, connections, rounds, calls } = opts;
const only = new Set(
  opts.only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const MODERN = '2026-07-28';
const ACCEPT = 'application/json, text/event-stream';

/** A 2025 tools/call body of `tool` with a unique id and text. */
const sessionCall = (tool) => (id, token) =>
  `{"jsonrpc":"2.0","id":"${id}","method":"tools/call","params":{"name":"${tool}","arguments":{"text":"${token}"}}}`;
/** A 2026-07-28 tools/call body: the per-request `_meta` envelope instead of a session. */
const modernCall = (tool) => (id, token) =>
  `{"jsonrpc":"2.0","id":"${id}","method":"tools/call","params":{"name":"${tool}","arguments":{"text":"${token}"},` +
  `"_meta":{"io.modelcontextprotocol/protocolVersion":"${MODERN}","io.modelcontextprotocol/clientInfo":` +
  `{"name":"toolport-bench","version":"1.0.0"},"io.modelcontextprotocol/clientCapabilities":{}}}}`;
/** The echo answers exactly the text it was sent. */
const exactEcho = (answer, token) => answer.result?.content?.[0]?.text === token && !answer.result.isError;
/** The HTTP connector answers the JSON body it sent upstream, which carries the text. */
const containsToken = (answer, token) =>
  !answer.result?.isError && answer.result?.content?.some((c) => c.type === 'text' && c.text.includes(token));

/** Toolport with two connectors in project `bench`: `echo` (stdio) and `web` (HTTP → bench/http-echo.mjs). */
async function startToolport(dist, workers) {
  if (!existsSync(join(dist, 'cli.js'))) throw new Error(`no build at ${dist}: run npm run build first`);
  const port = await freePort();
  const upstreamPort = await freePort();
  const upstream = startProcess('http-echo', process.execPath, [
    join(ROOT, 'bench', 'http-echo.mjs'),
    String(upstreamPort),
  ]);
  const data = mkdtempSync(join(tmpdir(), 'toolport-bench-'));
  const token = 'bench-admin-token-0123456789';
  const args = [join(dist, 'cli.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data', data];
  if (workers > 1) args.push('--workers', String(workers));
  const proc = startProcess('toolport', process.execPath, args, {
    env: {
      ...process.env,
      TOOLPORT_ADMIN_TOKEN: token,
      TOOLPORT_HOT_RELOAD: '0',
      TOOLPORT_HEALTH_INTERVAL_MS: '3600000',
      TOOLPORT_ALLOW_PRIVATE_NETWORKS: '1',
    },
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/health`, proc);
  // With --workers, /health answers once worker 1 listens; the primary says when all of them do.
  while (workers > 1 && !proc.output().includes('workers listening')) {
    if (proc.exited()) throw new Error(`toolport exited:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await waitForHttp(`http://127.0.0.1:${upstreamPort}/`, upstream);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const admin = async (path, body) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  };
  await admin('/v1/projects', { id: 'bench' });
  await admin('/v1/projects/bench/connectors/install-from-manifest', {
    manifest: { name: 'echo', version: '1.0.0', kind: 'mcp', mcp: { command: process.execPath, args: [ECHO] } },
  });
  await admin('/v1/projects/bench/connectors/install-from-manifest', {
    manifest: {
      name: 'web',
      version: '1.0.0',
      kind: 'http',
      http: { base_url: `http://127.0.0.1:${upstreamPort}`, retries: 0 },
      tools: [
        {
          name: 'echo',
          description: 'Posts its text to the echo server',
          input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
          http: { method: 'POST', path: '/echo' },
        },
      ],
    },
  });
  // A trivial Python function (DESIGN.md budget: ≤ 1 ms p50 end to end through MCP), one warm worker.
  const script = join(data, 'bench_echo.py');
  writeFileSync(script, 'def echo(text: str) -> str:\n    return text\n');
  await admin('/v1/projects/bench/connectors/install-from-manifest', {
    manifest: { name: 'py', version: '1.0.0', kind: 'python', python: { script, max_workers: 1 } },
  });
  return {
    base,
    pid: proc.child.pid,
    headers: { authorization: `Bearer ${token}` },
    command:
      `TOOLPORT_ADMIN_TOKEN=… TOOLPORT_HOT_RELOAD=0 TOOLPORT_ALLOW_PRIVATE_NETWORKS=1 node dist/cli.js serve ` +
      `--host 127.0.0.1 --port ${port} --data <tmp>${workers > 1 ? ` --workers ${workers}` : ''}`,
    async stop() {
      await proc.stop();
      await upstream.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** A 2026-07-28 "session": no initialize, just the per-request headers. */
function modernSession(url, headers, tool) {
  return {
    url,
    headers: {
      ...headers,
      'content-type': 'application/json',
      accept: ACCEPT,
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': tool,
    },
    protocolVersion: MODERN,
  };
}

/** Starts every front end that a selected column needs; returns the columns, ready to load. */
async function startColumns(stoppers) {
  const columns = [];
  const wants = (...names) => names.some((n) => only.has(n));
  /** A column served by another program at /mcp on `port`: `args` start it, `command` shows how (for the table). */
  const external = async (name, port, args, command) => {
    const proc = startProcess(name, process.execPath, args);
    stoppers.push(() => proc.stop());
    await waitForHttp(`http://127.0.0.1:${port}/mcp`, proc);
    columns.push({
      name,
      session: await openSession(`http://127.0.0.1:${port}/mcp`),
      body: sessionCall('echo'),
      check: exactEcho,
      pid: proc.child.pid,
      command,
    });
  };
  if (wants('sdk-ceiling')) {
    const port = await freePort();
    await external(
      'sdk-ceiling',
      port,
      [join(ROOT, 'bench', 'sdk-server.mjs'), String(port)],
      `node bench/sdk-server.mjs ${port}`,
    );
  }
  const builds = opts.compare
    ? opts.compare.split(',').map((entry) => {
        const [dir, n] = entry.split('@');
        return { dist: resolve(ROOT, dir), workers: Number(n ?? opts.workers) };
      })
    : [{ dist: DIST, workers: opts.workers }];
  const toolportColumns = ['toolport', 'toolport-project', 'toolport-2026', 'toolport-http', 'toolport-python'];
  for (const { dist, workers } of wants(...toolportColumns) ? builds : []) {
    const tp = await startToolport(dist, workers);
    stoppers.push(() => tp.stop());
    const mk = async (name, path, tool, era, check) => {
      if (!only.has(name)) return;
      const url = `${tp.base}${path}`;
      const session = era === 'modern' ? modernSession(url, tp.headers, tool) : await openSession(url, tp.headers);
      columns.push({
        name: opts.compare ? `${name} [${label(dist, workers)}]` : name,
        session,
        body: era === 'modern' ? modernCall(tool) : sessionCall(tool),
        check,
        pid: tp.pid,
        command: tp.command,
      });
    };
    await mk('toolport', '/mcp/bench/echo', 'echo', 'session', exactEcho);
    await mk('toolport-project', '/mcp/bench', 'echo__echo', 'session', exactEcho);
    await mk('toolport-2026', '/mcp/bench/echo', 'echo', 'modern', exactEcho);
    await mk('toolport-http', '/mcp/bench/web', 'echo', 'session', containsToken);
    await mk('toolport-python', '/mcp/bench/py', 'echo', 'session', containsToken);
  }
  if (wants('supergateway')) {
    const bin = peer('supergateway', 'dist', 'index.js');
    const port = await freePort();
    const stdio = `"${process.execPath}" "${ECHO}"`;
    const args = ['--stdio', stdio, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port)];
    await external(
      'supergateway',
      port,
      [bin, ...args, '--logLevel', 'none'],
      `supergateway --stdio "node bench/echo-server.mjs" --outputTransport streamableHttp --stateful --port ${port} --logLevel none`,
    );
  }
  if (wants('mcp-proxy')) {
    const bin = peer('mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs');
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
    await external(
      'mcp-proxy',
      port,
      args,
      `mcp-proxy --host 127.0.0.1 --port ${port} --server stream -- node bench/echo-server.mjs`,
    );
  }
  return columns;
}

/** A bridge's entry point in bench/peers (installed apart from the project: `npm run bench:peers`). */
function peer(name, ...path) {
  const file = join(ROOT, 'bench', 'peers', 'node_modules', name, ...path);
  if (!existsSync(file)) throw new Error(`${name} is not installed in bench/peers: run npm run bench:peers`);
  return file;
}

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
    return await sequentialLatency(session, toolsCallBody('echo', { text: 'hello' }), { calls });
  } finally {
    await proc.stop();
  }
}

const results = { machine: await machineFacts(), duration, connections, rounds, calls, columns: [] };
results.direct = await directBaseline();
results.httpFloor = await httpFloor();
const stoppers = [];
try {
  const columns = await startColumns(stoppers);
  for (const c of columns) {
    // One verified call first: a column that answers wrongly is reported, never measured.
    const answer = await rpc(c.session, c.body('[<id>]', 'probe-token'));
    if (!c.check(answer ?? {}, 'probe-token')) {
      throw new Error(`${c.name}: tools/call returned ${JSON.stringify(answer).slice(0, 300)}`);
    }
    c.sequential = await sequentialLatency(c.session, c.body('[<id>]', 'seq-token'), { calls });
  }
  const perRound = new Map(columns.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of columns) {
      // CPU used by the front end (its whole process tree: workers and stdio children included) per answer: a
      // measure that, unlike req/s, hardly depends on what else the shared machine is doing.
      const tree = processTree(c.pid);
      const cpuBefore = treeCpuMs(tree);
      const mainBefore = cpuMs(c.pid);
      const load = await closedLoop(c.session, c.body, c.check, { duration, connections });
      load.cpuMsPerReq = (treeCpuMs(tree) - cpuBefore) / Math.max(1, load.total);
      load.mainCpuMsPerReq = (cpuMs(c.pid) - mainBefore) / Math.max(1, load.total);
      perRound.get(c).push(load);
    }
  }
  for (const c of columns) {
    let i = 0;
    const load = await bestOf(rounds, async () => perRound.get(c)[i++]);
    results.columns.push({
      name: c.name,
      command: c.command,
      protocolVersion: c.session.protocolVersion,
      sequential: c.sequential,
      load,
    });
  }
} finally {
  for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
}
results.machine.loadavgAfter = (await machineFacts()).loadavg;
const byName = Object.fromEntries(results.columns.map((c) => [c.name, c]));
const tp = byName.toolport;
if (tp) {
  results.overheadP50Ms = tp.sequential.p50 - results.direct.p50;
  results.overheadBeyondHttpP50Ms = results.overheadP50Ms - results.httpFloor.p50;
  results.ratios = {};
  for (const peer of ['supergateway', 'mcp-proxy', 'sdk-ceiling']) {
    if (byName[peer]) results.ratios[peer] = tp.load.requestsPerSec / byName[peer].load.requestsPerSec;
  }
}

console.log(
  `\n## tools/call, ${connections} connections, best of ${rounds} rounds of ${duration} s per column (full-body latency)\n`,
);
console.log(
  table(
    [
      { title: 'column', value: (r) => r.name },
      { title: 'req/s', value: (r) => fmt(r.load.requestsPerSec, 0) },
      { title: 'rounds req/s', value: (r) => r.load.rounds.join(' / ') },
      { title: 'p50 ms', value: (r) => fmt(r.load.p50, 2) },
      { title: 'p99 ms', value: (r) => fmt(r.load.p99, 2) },
      { title: 'CPU ms/req (tree)', value: (r) => fmt(r.load.cpuMsPerReq, 3) },
      { title: 'CPU ms/req (main)', value: (r) => fmt(r.load.mainCpuMsPerReq, 3) },
      { title: 'wrong', value: (r) => String(r.load.wrong) },
      { title: 'errors', value: (r) => `${r.load.errors} (+${r.load.non2xx} non-2xx)` },
      { title: 'seq p50 ms', value: (r) => fmt(r.sequential.p50, 3) },
      { title: 'seq p99 ms', value: (r) => fmt(r.sequential.p99, 3) },
    ],
    results.columns,
  ),
);
for (const c of results.columns)
  if (c.load.firstWrong) console.log(`${c.name} first wrong answer: ${c.load.firstWrong}`);
console.log(
  `\nDirect in-process call (Toolport mcp source → stdio echo): p50 ${fmt(results.direct.p50, 3)} ms, p99 ${fmt(results.direct.p99, 3)} ms`,
);
console.log(
  `Plain HTTP round trip (client + loopback floor, no MCP): p50 ${fmt(results.httpFloor.p50, 3)} ms, p99 ${fmt(results.httpFloor.p99, 3)} ms`,
);
if (tp) {
  console.log(
    `Toolport overhead at p50: ${fmt(results.overheadP50Ms, 3)} ms over the direct call, ` +
      `${fmt(results.overheadBeyondHttpP50Ms, 3)} ms beyond the plain HTTP round trip`,
  );
  console.log(
    `Toolport req/s ratios: ${Object.entries(results.ratios)
      .map(([k, v]) => `${fmt(v, 2)}× ${k}`)
      .join(', ')}`,
  );
}
console.log(
  `Machine: ${results.machine.cpus} × ${results.machine.cpuModel}, load before ${results.machine.loadavg}, after ${results.machine.loadavgAfter}`,
);
if (opts.json) console.log(`RESULT ${JSON.stringify(results)}`);
