// Where the time of a big OpenAPI import goes: the Autotask fixture (2,958 operations) by default.
// In-process phases (load + $ref bundling, mapping + manifest validation, YAML text, and for comparison the
// `yaml` library's stringify the importer used before), then end to end: `toolport import-openapi --out`
// (a child process), `toolport validate` of its output, and the REST path's worker-thread importer, with the
// main event loop's longest stall while that import runs next to the same import run in-process.
// Usage: npm run build && node bench/openapi-import.mjs [--spec FILE] [--rounds 3] [--json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { benchArgs, DIST, fmt, machineFacts, ROOT, table } from './lib.mjs';

const load = (path) => import(pathToFileURL(join(DIST, path)).href);
const opts = benchArgs({ spec: join(ROOT, 'test/fixtures/openapi/autotask.oas30.json'), rounds: 3, json: false });
const { rounds } = opts;
const { buildManifest, loadOpenApiDocument, manifestToYaml, createOffThreadImporter } = await load('openapi/index.js');
const specText = readFileSync(opts.spec, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'toolport-openapi-bench-'));

const samples = {};
const record = (name, ms) => (samples[name] ??= []).push(ms);
const time = async (name, fn) => {
  const t0 = performance.now();
  const value = await fn();
  record(name, performance.now() - t0);
  return value;
};
/** The longest gap between ticks of a 1 ms timer on the main event loop while `fn` ran (ms). */
const stall = async (name, fn) => {
  let last = performance.now();
  let max = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 1);
  await fn();
  await new Promise((r) => setTimeout(r, 5)); // one more tick: a stall at the very end is counted too
  clearInterval(ticker);
  record(name, max);
};

let facts = {};
for (let round = 0; round < rounds; round++) {
  const { doc } = await time('load: parse + bundle $refs', () =>
    loadOpenApiDocument({ kind: 'location', value: opts.spec }, { externalRefs: true }),
  );
  const result = await time('map: tools + manifest validation', () => buildManifest(doc));
  const yaml = await time('YAML text (manifestToYaml)', () => manifestToYaml(result.manifest));
  await time('YAML text, yaml.stringify (before)', () =>
    stringify(result.manifest, { lineWidth: 0, aliasDuplicateObjects: false }),
  );
  await time('JSON text (JSON.stringify)', () => JSON.stringify(result.manifest, null, 2));
  facts = { operations: result.stats.operations, tools: result.stats.tools, yaml_bytes: Buffer.byteLength(yaml) };

  const out = join(dir, 'manifest.yaml');
  const cli = (args) => execFileSync(process.execPath, [join(DIST, 'cli.js'), ...args], { stdio: 'ignore' });
  await time('CLI: toolport import-openapi --out x.yaml', () => cli(['import-openapi', opts.spec, '--out', out]));
  await time('CLI: toolport validate x.yaml', () => cli(['validate', out]));

  const importer = createOffThreadImporter({ maxSpecBytes: 64 * 1024 * 1024 });
  await stall('event-loop stall: REST importer (worker thread)', () =>
    time('REST importer: run in the worker (first, with its start)', () => importer.run(specText, {})),
  );
  await time('REST importer: run in the worker (warm)', () => importer.run(specText, {}));
  await importer.close();
  await stall('event-loop stall: the same import in-process', async () => {
    const { doc: again } = await loadOpenApiDocument({ kind: 'text', value: specText }, { externalRefs: false });
    JSON.stringify(buildManifest(again));
  });
}
rmSync(dir, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = Object.entries(samples).map(([phase, xs]) => ({
  phase,
  median_ms: Math.round(median(xs)),
  min_ms: Math.round(Math.min(...xs)),
  max_ms: Math.round(Math.max(...xs)),
}));
const results = { machine: await machineFacts(), spec: opts.spec, rounds, ...facts, phases: rows };
if (opts.json) console.log(JSON.stringify(results, null, 2));
else {
  console.log(
    `${opts.spec}: ${facts.operations} operations → ${facts.tools} tools, YAML ${fmt(facts.yaml_bytes / 1048576, 1)} MiB; ${rounds} rounds`,
  );
  const column = (title, key) => ({ title, value: (row) => row[key] });
  const columns = [column('phase', 'phase'), column('median ms', 'median_ms'), column('min', 'min_ms')];
  console.log(table([...columns, column('max', 'max_ms')], rows));
  console.log(`load average: ${results.machine.loadavg ?? '-'}`);
}
