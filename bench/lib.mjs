// Shared pieces of the benchmarks: child processes, MCP-over-HTTP sessions, sequential latency, autocannon runs.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

/** The repository root, the built server (`TOOLPORT_DIST`, default dist/) and the stdio echo MCP server. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = resolve(ROOT, process.env.TOOLPORT_DIST ?? 'dist');
export const ECHO = join(ROOT, 'bench', 'echo-server.mjs');

/** The load options `gateway.mjs` takes and `run.mjs` hands on to it, with their defaults (see `benchArgs`). */
export const LOAD_OPTIONS = { duration: 5, connections: 16, rounds: 2, calls: 2000 };

/**
 * A bench script's command line, from its options' defaults: a number is `--name N` (read back as a number), a
 * string `--name text`, a boolean a flag.
 */
export function benchArgs(defaults) {
  const options = Object.fromEntries(
    Object.entries(defaults).map(([name, value]) => [
      name,
      typeof value === 'boolean' ? { type: 'boolean', default: value } : { type: 'string', default: String(value) },
    ]),
  );
  const { values } = parseArgs({ options });
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, typeof defaults[name] === 'number' ? Number(value) : value]),
  );
}

export const PROTOCOL_VERSION = '2025-11-25';
/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS = 100;
const ACCEPT = 'application/json, text/event-stream';

/** A free loopback TCP port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `command args` with its output captured (shown only when it fails to come up). */
export function startProcess(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  child.on('exit', () => (exited = true));
  return {
    name,
    child,
    output: () => output,
    exited: () => exited,
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers (any status) or `timeoutMs` passes. */
export async function waitForHttp(url, proc, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc?.exited()) throw new Error(`${proc.name} exited early:\n${proc.output()}`);
    try {
      const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not come up:\n${proc?.output() ?? ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The JSON-RPC message in a response body, whether plain JSON or an SSE stream of `data:` lines. */
export function parseRpcBody(text, contentType = '') {
  if (contentType.includes('text/event-stream')) {
    const messages = text
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim())
      .filter(Boolean)
      .map((d) => JSON.parse(d));
    return messages.find((m) => 'result' in m || 'error' in m) ?? messages.at(-1);
  }
  return text ? JSON.parse(text) : undefined;
}

/** Opens a 2025-11-25 session: POST initialize, read Mcp-Session-Id, POST notifications/initialized. */
export async function openSession(url, extraHeaders = {}) {
  const headers = { 'content-type': 'application/json', accept: ACCEPT, ...extraHeaders };
  const init = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'toolport-bench', version: '1.0.0' },
      },
    }),
  });
  const body = parseRpcBody(await init.text(), init.headers.get('content-type') ?? '');
  if (!init.ok || !body?.result) throw new Error(`initialize failed at ${url}: ${init.status} ${JSON.stringify(body)}`);
  const sessionId = init.headers.get('mcp-session-id');
  if (!sessionId) throw new Error(`no Mcp-Session-Id from ${url}`);
  const version = body.result.protocolVersion;
  const sessionHeaders = { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': version };
  const done = await fetch(url, {
    method: 'POST',
    headers: sessionHeaders,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await done.text();
  return { url, headers: sessionHeaders, protocolVersion: version };
}

/**
 * The JSON-RPC body of a tools/call of `tool` with `args`. Its id is the placeholder `[<id>]`: concurrent requests
 * of one session must carry distinct ids (a server routes each answer by id), so every sender replaces it.
 */
export function toolsCallBody(tool, args) {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: '[<id>]',
    method: 'tools/call',
    params: { name: tool, arguments: args },
  });
}

/** A JSON-RPC body with a `method` and `params`, its id left as the `[<id>]` placeholder. */
export function rpcBody(method, params = {}) {
  return JSON.stringify({ jsonrpc: '2.0', id: '[<id>]', method, params });
}

let nextId = 1;
/** `body` with its `[<id>]` placeholder replaced by a fresh id. */
function withId(body) {
  return body.replace('[<id>]', `req-${nextId++}`);
}

/** One POST on a keep-alive agent; resolves with status, content type and body text. */
function post(agent, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] ?? '', text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends one request in the session and returns its JSON-RPC answer (used to verify a target before loading it). */
export async function rpc(session, body) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const res = await post(agent, session.url, session.headers, withId(body));
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text.slice(0, 200)}`);
    return parseRpcBody(res.text, res.type);
  } finally {
    agent.destroy();
  }
}

/** Sequential latency (one connection, one request at a time) of `body` in the session, in ms. */
export async function sequentialLatency(session, body, { calls = 2000, warmup = 200 } = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const samples = [];
    for (let i = 0; i < warmup + calls; i++) {
      const started = performance.now();
      const res = await post(agent, session.url, session.headers, withId(body));
      const elapsed = performance.now() - started;
      if (res.status !== 200) throw new Error(`HTTP ${res.status} from ${session.url}: ${res.text.slice(0, 200)}`);
      if (i >= warmup) samples.push(elapsed);
    }
    return summarize(samples);
  } finally {
    agent.destroy();
  }
}

/** p50/p90/p99/mean of latency samples (ms). */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1), mean };
}

/** Runs autocannon POSTing `body` with the session headers; returns req/s, latency percentiles and errors. */
export function loadTest(session, body, { duration = 10, connections = 10 } = {}) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: session.url,
        method: 'POST',
        headers: session.headers,
        // A fresh JSON-RPC id per request: concurrent calls of one session need distinct ids. (autocannon's own
        // idReplacement assumes a fixed id length for Content-Length and hangs servers when it differs.)
        requests: [
          {
            setupRequest: (req) => ({ ...req, body: withId(body) }),
          },
        ],
        duration,
        connections,
        pipelining: 1,
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({
          requestsPerSec: result.requests.average,
          total: result.requests.total,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
        });
      },
    );
  });
}

/** Formats a number with `digits` decimals (or `-`). */
export function fmt(value, digits = 2) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** Prints rows of objects as a Markdown table with the given columns. */
export function table(columns, rows) {
  const lines = [`| ${columns.map((c) => c.title).join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${columns.map((c) => c.value(row)).join(' | ')} |`);
  return lines.join('\n');
}

/** Machine facts printed with every result: load shows how shared the 2 cores were. */
export async function machineFacts() {
  const os = await import('node:os');
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadavg: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    totalMemGb: (os.totalmem() / 2 ** 30).toFixed(1),
  };
}

/**
 * A closed-loop load of `connections` concurrent clients, each on its own keep-alive socket, for `duration` s.
 * Unlike autocannon (which stops the clock at the first byte of a streamed answer), each latency sample ends when
 * the whole body has arrived. Every request carries a unique JSON-RPC id and a unique token (`makeBody(id, token)`);
 * `check(answer, token)` must confirm that the answer is the one for this request (its id is compared here), so a
 * front end that mixes answers up is counted in `wrong`, never as a success.
 */
export async function closedLoop(session, makeBody, check, { duration = 5, connections = 16 } = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let wrong = 0;
  let errors = 0;
  let non2xx = 0;
  let firstWrong;
  let seq = 0;
  const started = performance.now();
  const stopAt = started + duration * 1000;
  const client = async () => {
    while (performance.now() < stopAt) {
      const n = ++seq;
      const id = `q${n}`;
      const token = `t${n}x`;
      const t0 = performance.now();
      let res;
      try {
        res = await post(agent, session.url, session.headers, makeBody(id, token));
      } catch {
        errors++;
        continue;
      }
      const elapsed = performance.now() - t0;
      if (res.status !== 200) {
        non2xx++;
        continue;
      }
      let answer;
      try {
        answer = parseRpcBody(res.text, res.type);
      } catch {
        answer = undefined;
      }
      if (answer?.id !== id || !check(answer, token)) {
        wrong++;
        firstWrong ??= res.text.slice(0, 300);
        continue;
      }
      latencies.push(elapsed);
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const s = summarize(latencies.length ? latencies : [NaN]);
  return {
    requestsPerSec: latencies.length / seconds,
    total: latencies.length,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    max: s.max,
    wrong,
    errors,
    non2xx,
    ...(firstWrong ? { firstWrong } : {}),
  };
}

/** The best (highest req/s) of `rounds` runs of {@link closedLoop}; wrong answers and errors are summed over all. */
export async function bestOf(rounds, run) {
  const all = [];
  for (let i = 0; i < rounds; i++) all.push(await run());
  const best = all.reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a));
  const sum = (k) => all.reduce((s, r) => s + r[k], 0);
  return {
    ...best,
    wrong: sum('wrong'),
    errors: sum('errors'),
    non2xx: sum('non2xx'),
    rounds: all.map((r) => Math.round(r.requestsPerSec)),
  };
}

/** CPU time (user + system, ms) used so far by process `pid`, from /proc (Linux); undefined elsewhere. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** `pid` and all its descendants (Linux /proc). */
export function processTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${task}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(' ').map(Number));
      }
    } catch {
      // Gone already.
    }
  }
  return out;
}

/** Summed CPU ms of the processes `pids`. */
export function treeCpuMs(pids) {
  return pids.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
}
