// A node SIGKILLed mid-traffic behind a real HAProxy and a real nginx, each run with the configuration printed in
// docs/deployment.md (read from it; only addresses and ports are changed). Three nodes on a fresh PostgreSQL
// database, two 2026-07-28 clients and two 2025-era clients (the official SDK) calling an HTTP tool whose upstream
// answers after `--delay` ms, so calls are in flight when node 2 is killed. Reports the calls each era lost and the
// calls that reached the upstream twice (re-sent by the balancer after the node died holding them).
// Never part of `npm test` (it needs `apt-get install haproxy nginx`).
// Usage: npm run build && node bench/failover.mjs [--balancers haproxy,nginx] [--runs 3] [--delay 25] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startCluster } from './cluster-lib.mjs';
import { ROOT, benchArgs, freePort, machineFacts, table, waitForHttp } from './lib.mjs';

const opts = benchArgs({ balancers: 'haproxy,nginx', runs: 3, delay: 25, json: false });
const delayMs = opts.delay;
const DOC = readFileSync(join(ROOT, 'docs', 'deployment.md'), 'utf8');

/** The fenced block of `lang` in docs/deployment.md. */
function docBlock(lang) {
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(DOC);
  if (!match) throw new Error(`docs/deployment.md has no ${lang} block`);
  return match[1];
}

/** The documented configuration with the example's addresses replaced by the local nodes and `port`. */
function balancerConfig(kind, port, nodePorts, dir) {
  let n = 0;
  if (kind === 'haproxy') {
    const cfg = docBlock('haproxy')
      .replace(/bind :443 ssl crt \S+/, `bind 127.0.0.1:${port}`)
      .replace(/server (node\d) \S+ check/g, (_, name) => `server ${name} 127.0.0.1:${nodePorts[n++]} check`);
    return { cmd: 'haproxy', args: ['-db', '-f', write(dir, 'haproxy.cfg', cfg)] };
  }
  const servers = (text) => {
    let i = 0;
    return text.replace(/server 10\.0\.0\.\d+:\d+/g, () => `server 127.0.0.1:${nodePorts[i++ % nodePorts.length]}`);
  };
  const body = servers(docBlock('nginx'))
    .replace('listen 443 ssl;', `listen 127.0.0.1:${port};`)
    .replace('server_name tools.example.com;', 'server_name _;');
  const cfg = [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events {}',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/body;`,
    `  proxy_temp_path ${dir}/proxy;`,
    body,
    '}',
  ].join('\n');
  return { cmd: 'nginx', args: ['-p', dir, '-c', write(dir, 'nginx.conf', cfg)] };
}

function write(dir, name, text) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** `/items/{id}` answers after the delay and counts how often each id was asked for. */
async function startUpstream() {
  const seen = new Map();
  const server = createServer((req, res) => {
    seen.set(req.url, (seen.get(req.url) ?? 0) + 1);
    const answer = () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
    if (req.url.startsWith('/items/')) setTimeout(answer, delayMs);
    else answer();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    server,
    repeated: () => [...seen.values()].filter((n) => n > 1).length,
  };
}

/** One client calling `echo__get_item` in a loop, each answer checked; failures keep their time. */
function caller(name, client) {
  const state = { name, ok: 0, failures: [], running: true };
  state.done = (async () => {
    for (let n = 0; state.running; n++) {
      const id = `${name}-${n}`;
      try {
        const result = await client.callTool({ name: 'echo__get_item', arguments: { id } }, undefined, {
          timeout: 20_000,
        });
        if (result.isError || result.structuredContent?.path !== `/items/${id}`)
          throw new Error(`wrong answer: ${JSON.stringify(result).slice(0, 200)}`);
        state.ok++;
      } catch (err) {
        state.failures.push({ at: Date.now(), error: String(err?.message ?? err).slice(0, 120) });
      }
    }
  })();
  return state;
}

async function run(kind) {
  const cluster = await startCluster(3, { healthIntervalMs: 60_000 });
  const upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), `toolport-${kind}-`));
  const clients = [];
  let lb;
  try {
    const item = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
    await cluster.install('default', {
      name: 'echo',
      version: '1.0.0',
      kind: 'http',
      http: { base_url: upstream.url, retries: 0 },
      tools: [{ name: 'get_item', input_schema: item, http: { method: 'GET', path: '/items/{id}' } }],
    });
    const { key } = await cluster.post('/v1/tenants/default/api-keys', { name: 'failover', scopes: ['invoke'] });
    const port = await freePort();
    const { cmd, args } = balancerConfig(
      kind,
      port,
      cluster.nodes.map((n) => n.port),
      dir,
    );
    lb = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    await waitForHttp(`http://127.0.0.1:${port}/health`, { exited: () => lb.exitCode !== null, output: () => '' });
    const callers = [];
    for (const era of ['modern', 'modern', 'legacy', 'legacy']) {
      const client = new Client(
        { name: `failover-${era}`, version: '1.0.0' },
        era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp/default`), {
          requestInit: { headers: { Authorization: `Bearer ${key}` } },
        }),
      );
      clients.push(client);
      callers.push(caller(`${era}-${callers.length}`, client));
    }
    await new Promise((r) => setTimeout(r, 2_000));
    const killedAt = Date.now();
    cluster.nodes[2].proc.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 4_000));
    for (const c of callers) c.running = false;
    await Promise.all(callers.map((c) => c.done));
    const lost = (era) =>
      callers.filter((c) => c.name.startsWith(era)).flatMap((c) => c.failures.filter((f) => f.at >= killedAt));
    const before = callers.flatMap((c) => c.failures.filter((f) => f.at < killedAt));
    return {
      balancer: kind,
      calls: callers.reduce((sum, c) => sum + c.ok, 0),
      failedBeforeKill: before.length,
      lostModern: lost('modern').length,
      lostLegacy: lost('legacy').length,
      ranTwice: upstream.repeated(),
      errors: [...new Set([...lost('modern'), ...lost('legacy'), ...before].map((f) => f.error))].slice(0, 5),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    lb?.kill('SIGTERM');
    upstream.server.close();
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const machine = await machineFacts();
const results = [];
for (const kind of opts.balancers.split(','))
  for (let i = 0; i < opts.runs; i++) {
    const result = await run(kind);
    console.error(`${kind} run ${i + 1}: ${JSON.stringify(result)}`);
    results.push(result);
  }
if (opts.json) console.log(`RESULT ${JSON.stringify({ machine, delayMs, results })}`);
else {
  console.log(
    `node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, load ${machine.loadavg}; upstream delay ${delayMs} ms`,
  );
  console.log(
    table(
      [
        { title: 'balancer', value: (r) => r.balancer },
        { title: 'calls answered', value: (r) => String(r.calls) },
        { title: 'failed before the kill', value: (r) => String(r.failedBeforeKill) },
        { title: '2026 calls lost', value: (r) => String(r.lostModern) },
        { title: '2025 calls lost', value: (r) => String(r.lostLegacy) },
        { title: 'ran twice upstream', value: (r) => String(r.ranTwice) },
      ],
      results,
    ),
  );
}
