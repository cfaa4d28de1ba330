import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConformanceSource, startAuthProxy } from './conformance-fixtures.js';
import { type RunningGateway, TOKENS, TestProvider, startGateway } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const CLI = join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');
/** Scenarios that need the suite's own fixtures (logging, sampling, elicitation, resources, prompts, completions). */
const EXPECTED_FAILURES = Object.keys(
  (
    JSON.parse(readFileSync(join(here, 'conformance-expected-failures.json'), 'utf8')) as {
      server: Record<string, string>;
    }
  ).server,
);
const MUST_PASS = [
  'server-initialize',
  'ping',
  'tools-list',
  'server-sse-multiple-streams',
  'dns-rebinding-protection',
];

let gw: RunningGateway;
let proxy: { url: string; close(): Promise<void> };
let workDir: string;

beforeAll(async () => {
  const provider = new TestProvider();
  provider.createProject('default', 'conf');
  await provider.install('default', 'conf', 'conformance', new ConformanceSource());
  gw = await startGateway(provider);
  proxy = await startAuthProxy(gw.baseUrl, TOKENS.operator);
  workDir = mkdtempSync(join(tmpdir(), 'toolport-conformance-'));
});
afterAll(async () => {
  await proxy?.close();
  await gw?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Runs the CLI asynchronously: the server under test lives in this process, so the event loop must stay free. */
function runSuite(url: string, baseline: string, outDir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'server', '--url', url, '--expected-failures', baseline, '-o', outDir],
      { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** Scenario name → every check passed, from the suite's `checks.json` files. */
function readResults(outDir: string): Map<string, boolean> {
  const results = new Map<string, boolean>();
  for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name !== 'checks.json') continue;
    const dir = entry.parentPath;
    const scenario = /server-(.+)-\d{4}-\d{2}-\d{2}T/.exec(dir.split(/[\\/]/).pop() ?? '')?.[1];
    if (!scenario) continue;
    const checks = JSON.parse(readFileSync(join(dir, entry.name), 'utf8')) as { status: string }[];
    results.set(
      scenario,
      checks.every((c) => c.status !== 'FAILURE'),
    );
  }
  return results;
}

describe('MCP conformance suite (server scenarios)', () => {
  it('passes every scenario except those needing the suite fixtures, and the baseline is not stale', async () => {
    const baseline = join(workDir, 'baseline.yml');
    expect(EXPECTED_FAILURES.filter((s) => MUST_PASS.includes(s))).toEqual([]);
    writeFileSync(baseline, `server:\n${EXPECTED_FAILURES.map((s) => `  - ${s}`).join('\n')}\n`);
    const outDir = join(workDir, 'results');
    const { code, output } = await runSuite(`${proxy.url}/mcp/conf/conformance`, baseline, outDir);
    const results = readResults(outDir);
    expect(results.size).toBeGreaterThanOrEqual(MUST_PASS.length);
    for (const scenario of MUST_PASS)
      expect({ scenario, passed: results.get(scenario) }).toEqual({ scenario, passed: true });
    // Exit 0 means: no unexpected failure and no stale entry (a listed scenario that now passes fails the run).
    expect(code, output.slice(-4000)).toBe(0);
  }, 300_000);
});
