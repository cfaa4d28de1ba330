// Latency of a trivial Python function called through a warm worker (DESIGN.md budget: ≤ 1 ms p50).
// Usage: npm run build && node bench/python-worker.mjs [calls=2000] [sandbox=auto|off|required]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createPythonSource } from '../dist/sources/python/index.js';

const calls = Math.min(Math.max(Number(process.argv[2] ?? 2000), 10), 100_000);
const sandbox = process.argv[3] ?? 'auto';
const dir = mkdtempSync(join(tmpdir(), 'toolport-bench-'));
const script = join(dir, 'bench.py');
writeFileSync(script, 'def add(a: int, b: int) -> int:\n    return a + b\n');

const source = createPythonSource({
  manifest: {
    name: 'bench',
    version: '1.0.0',
    kind: 'python',
    config: {},
    tools: [],
    python: {
      script,
      mode: 'functions',
      functions: [],
      parameters: [],
      allow_network: false,
      timeout_ms: 10_000,
      memory_mb: 512,
      max_workers: 1,
    },
  },
  config: {},
  sandbox,
  scratchRoot: dir,
});

try {
  await source.load();
  for (let i = 0; i < 200; i++) await source.invoke('add', { a: i, b: 1 }); // warm-up
  const latencies = new Float64Array(calls);
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    const result = await source.invoke('add', { a: i, b: 1 });
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    if (result.structuredContent?.result !== i + 1) throw new Error(`wrong result at call ${i}`);
  }
  const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
  latencies.sort();
  const pct = (p) => latencies[Math.min(calls - 1, Math.floor((p / 100) * calls))].toFixed(3);
  console.log(
    JSON.stringify({
      calls,
      sandboxed: source.info().sandboxed,
      p50_ms: Number(pct(50)),
      p99_ms: Number(pct(99)),
      calls_per_s: Math.round((calls / totalMs) * 1000),
    }),
  );
} finally {
  await source.close();
  rmSync(dir, { recursive: true, force: true });
}
