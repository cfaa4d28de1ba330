// Runs every benchmark one after the other (never in parallel: they would measure each other) and prints a
// side-by-side summary. Never part of `npm test`. Usage: npm run build && npm run bench [-- --duration 5
// --connections 16 --rounds 2 --calls 2000 --projects 500 --tools 200 --only sdk-ceiling,toolport,… --skip python,hot-reload]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, fmt, LOAD_OPTIONS, machineFacts, table } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const opts = benchArgs({
  ...LOAD_OPTIONS,
  projects: 500,
  tools: 200,
  only: 'sdk-ceiling,toolport,toolport-project,toolport-2026,toolport-http,toolport-python,supergateway,mcp-proxy',
  skip: '',
});
const skip = new Set(opts.skip.split(',').filter(Boolean));

/** Runs one bench script, streaming its output; resolves with the JSON it reported (RESULT line or last line). */
function runBench(name, nodeArgs, args) {
  return new Promise((resolve) => {
    console.log(`\n=== ${name}: node ${[...nodeArgs, ...args].join(' ')}`);
    const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      for (const line of chunk.toString().split('\n')) if (line && !line.startsWith('RESULT ')) console.log(line);
    });
    child.on('exit', (code) => {
      const lines = out.trim().split('\n');
      const line = lines.find((l) => l.startsWith('RESULT ')) ?? lines.at(-1) ?? '';
      try {
        resolve({ ok: code === 0, result: JSON.parse(line.replace(/^RESULT /, '')), line });
      } catch {
        resolve({ ok: code === 0, result: undefined, line, code });
      }
    });
  });
}

const started = await machineFacts();
const summary = {};
if (!skip.has('gateway')) {
  summary.gateway = await runBench(
    'gateway',
    [],
    [
      join(HERE, 'gateway.mjs'),
      ...Object.keys(LOAD_OPTIONS).flatMap((name) => [`--${name}`, String(opts[name])]),
      '--only',
      opts.only,
      '--json',
    ],
  );
}
if (!skip.has('tools-list')) {
  summary.toolsList = await runBench(
    'tools-list',
    ['--expose-gc'],
    [
      join(HERE, 'tools-list.mjs'),
      ...['projects', 'tools', 'calls'].flatMap((name) => [`--${name}`, String(opts[name])]),
      '--json',
    ],
  );
}
if (!skip.has('python')) summary.python = await runBench('python-worker', [], [join(HERE, 'python-worker.mjs')]);
// Another engineer's bench (manifest edit → list_changed); its one-line text result is shown as it is.
if (!skip.has('hot-reload') && existsSync(join(HERE, 'hot-reload.mjs'))) {
  summary.hotReload = await runBench('hot-reload', [], [join(HERE, 'hot-reload.mjs')]);
}

console.log('\n=== Summary');
console.log(
  `Machine: ${started.cpus} × ${started.cpuModel}, Node ${started.node}, load at start ${started.loadavg}, at end ${(await machineFacts()).loadavg}\n`,
);
const gw = summary.gateway?.result;
if (gw) {
  console.log(
    table(
      [
        { title: 'tools/call via', value: (r) => r.name },
        { title: 'req/s', value: (r) => fmt(r.load.requestsPerSec, 0) },
        { title: 'p50 ms', value: (r) => fmt(r.load.p50, 2) },
        { title: 'p99 ms', value: (r) => fmt(r.load.p99, 2) },
        { title: 'CPU ms/req', value: (r) => fmt(r.load.cpuMsPerReq, 3) },
        { title: 'wrong', value: (r) => String(r.load.wrong) },
        { title: 'errors', value: (r) => String(r.load.errors + r.load.non2xx) },
        { title: 'seq p50 ms', value: (r) => fmt(r.sequential.p50, 3) },
      ],
      gw.columns,
    ),
  );
  console.log(
    `Direct in-process p50 ${fmt(gw.direct.p50, 3)} ms; plain HTTP round trip p50 ${fmt(gw.httpFloor.p50, 3)} ms; ` +
      `Toolport overhead p50 ${fmt(gw.overheadP50Ms, 3)} ms (${fmt(gw.overheadBeyondHttpP50Ms, 3)} ms beyond plain HTTP)`,
  );
  if (gw.ratios) {
    console.log(
      `Toolport req/s: ${Object.entries(gw.ratios)
        .map(([k, v]) => `${fmt(v, 2)}× ${k}`)
        .join(', ')}`,
    );
  }
} else if (summary.gateway) console.log('gateway bench failed (see its output above)');
const tl = summary.toolsList?.result;
if (tl) {
  console.log(
    `tools/list, ${tl.toolsPerProject}-tool project among ${tl.totalTools} tools: p50 ${fmt(tl['project endpoint'].p50, 3)} ms, ` +
      `p99 ${fmt(tl['project endpoint'].p99, 3)} ms; heap ${fmt(tl.heapPerToolBytes, 0)} B/tool`,
  );
} else if (summary.toolsList) console.log('tools-list bench failed (see its output above)');
const py = summary.python?.result;
if (py)
  console.log(
    `python warm worker: p50 ${py.p50_ms} ms, p99 ${py.p99_ms} ms, ${py.calls_per_s} calls/s (sandboxed: ${py.sandboxed})`,
  );
else if (summary.python) console.log('python-worker bench failed (see its output above)');
if (summary.hotReload)
  console.log(summary.hotReload.ok ? summary.hotReload.line : 'hot-reload bench failed (see above)');
