import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
/** The official conformance CLI (`@modelcontextprotocol/conformance`). */
export const CONFORMANCE_CLI = join(
  dirname(require.resolve('@modelcontextprotocol/conformance/package.json')),
  'dist',
  'index.js',
);

export interface SuiteRun {
  /** CLI exit code: 0 when no unexpected failure and no stale expected failure. */
  code: number;
  output: string;
  /** Scenario name → every check passed (no FAILURE; WARNING and INFO do not fail a scenario). */
  results: Map<string, boolean>;
  /** Scenario name → `fail` (a FAILURE check), `warn` (a WARNING, a SHOULD not met, but no FAILURE) or `pass`. */
  statuses: Map<string, ScenarioStatus>;
}

export type ScenarioStatus = 'pass' | 'warn' | 'fail';
/** Orders statuses, best first: a proxy is "no worse" than its upstream when its rank is not higher. */
export const STATUS_RANK: Record<ScenarioStatus, number> = { pass: 0, warn: 1, fail: 2 };

/** Reads `{ "server": { scenario: reason } }` and returns the scenario names. */
export function readExpectedFailures(path: string): string[] {
  return Object.keys((JSON.parse(readFileSync(path, 'utf8')) as { server: Record<string, string> }).server);
}

/**
 * Runs the server scenarios against `url` in a child process (asynchronously: a server under test may live in
 * this process, so the event loop must stay free). `expectedFailures` becomes the suite's baseline file.
 */
export function runConformance(
  url: string,
  workDir: string,
  name: string,
  options: { expectedFailures?: string[]; suite?: 'active' | 'all' } = {},
): Promise<SuiteRun> {
  const baseline = join(workDir, `${name}-baseline.yml`);
  const expected = options.expectedFailures ?? [];
  writeFileSync(
    baseline,
    expected.length ? `server:\n${expected.map((s) => `  - ${s}`).join('\n')}\n` : 'server: []\n',
  );
  const outDir = join(workDir, name);
  const args = [CONFORMANCE_CLI, 'server', '--url', url, '--expected-failures', baseline, '-o', outDir];
  if (options.suite) args.push('--suite', options.suite);
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      const statuses = readScenarioStatuses(outDir);
      const results = new Map([...statuses].map(([scenario, status]) => [scenario, status !== 'fail']));
      resolve({ code, output: `${stdout}\n${stderr}`, results, statuses });
    });
  });
}

/** Scenario name → its status, from the suite's `checks.json` files. */
export function readScenarioStatuses(outDir: string): Map<string, ScenarioStatus> {
  const results = new Map<string, ScenarioStatus>();
  let entries;
  try {
    entries = readdirSync(outDir, { recursive: true, withFileTypes: true });
  } catch {
    return results;
  }
  for (const entry of entries) {
    if (!entry.isFile() || entry.name !== 'checks.json') continue;
    const dir = entry.parentPath;
    const scenario = /server-(.+)-\d{4}-\d{2}-\d{2}T/.exec(dir.split(/[\\/]/).pop() ?? '')?.[1];
    if (!scenario) continue;
    const checks = JSON.parse(readFileSync(join(dir, entry.name), 'utf8')) as { status: string }[];
    const status = checks.some((c) => c.status === 'FAILURE')
      ? 'fail'
      : checks.some((c) => c.status === 'WARNING')
        ? 'warn'
        : 'pass';
    results.set(scenario, status);
  }
  return results;
}

/** The failing (or, with `status`, warning) checks of one scenario (id and message), for assertion messages. */
export function failedChecks(outDir: string, scenario: string, status = 'FAILURE'): string[] {
  const failures: string[] = [];
  for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name !== 'checks.json') continue;
    if (!entry.parentPath.split(/[\\/]/).pop()?.startsWith(`server-${scenario}-2`)) continue;
    const checks = JSON.parse(readFileSync(join(entry.parentPath, entry.name), 'utf8')) as {
      id: string;
      status: string;
      errorMessage?: string;
    }[];
    for (const c of checks) if (c.status === status) failures.push(`${c.id}: ${c.errorMessage ?? ''}`);
  }
  return failures;
}
