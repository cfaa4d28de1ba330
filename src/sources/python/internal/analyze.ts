import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

import { createError, type JsonSchema, type Trust } from '../../../core/index.js';
import type { ScriptParameter } from '../../../manifest/types.js';

import { cgroupManager, type TreeLimits } from '../../../sandbox/index.js';
import { createJail, type Jail } from './jail.js';
import { DEFAULT_TREE_LIMITS, decideLaunch } from './launch-policy.js';
import { runnerPath } from './runner-path.js';
import { baseEnv, bwrapArgs, detectBwrap, resolvePython, sandboxRunnerArgs } from './sandbox.js';

/** One function of a script that can become a tool. */
export interface AnalyzedFunction {
  name: string;
  description: string;
  inputSchema: JsonSchema;
  /** Present when the return annotation maps to a schema (non-objects wrapped as `{result}`). */
  outputSchema: JsonSchema | null;
  is_async: boolean;
  line: number | null;
}

/** What the runner found in a script: tools, what it skipped, risks and problems. */
export interface ScriptAnalysis {
  functions: AnalyzedFunction[];
  skipped: { name: string; reason: string }[];
  /** Risky constructs (os.system, subprocess, eval …): information, not a verdict. */
  warnings: { line: number; message: string }[];
  missing_modules: string[];
  syntax_error: { line: number; column: number; message: string } | null;
  /** Anything else the import raised (`ValueError: …`, a timeout), or null. */
  import_error: string | null;
  has_main: boolean;
  /** argparse parameters found statically, for script mode. */
  cli_parameters: ScriptParameter[];
  /** The argparse parser's `description`, when the script declares one. */
  cli_description?: string | null;
}

/** Options of {@link analyzeScript}. */
export interface AnalyzeOptions {
  content: string;
  filename: string;
  /** Budget for importing the script (default 10 s); the process is killed shortly after. */
  timeoutMs?: number;
  python?: string;
  /** Importing runs user code: sandboxed like workers when bubblewrap works (`auto`). */
  sandbox?: 'auto' | 'off' | 'required';
  /** Who uploaded the script (`tenant` by default): tenant code is analysed sandboxed or not at all. */
  trust?: Trust;
  /** The bubblewrap command (`TOOLPORT_BWRAP_PATH`). */
  bwrap?: string;
  /** The operator's opt-out: tenant code may be imported unsandboxed when bubblewrap cannot be used. */
  allowUnsandboxed?: boolean;
  /** Caps on the analysing process tree, as for workers. */
  limits?: Partial<TreeLimits>;
}

const KILL_GRACE_MS = 2_000;
const MAX_OUTPUT = 8 * 1024 * 1024;

/** Analyses a script by importing it in a child runner process (never in this process). */
export async function analyzeScript(options: AnalyzeOptions): Promise<ScriptAnalysis> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const install = await resolvePython(options.python ?? 'python3');
  const mode = options.sandbox ?? 'auto';
  const bwrap = mode === 'off' ? { available: false, reason: 'sandbox off' } : await detectBwrap(options.bwrap);
  const { sandboxed } = decideLaunch({
    trust: options.trust ?? 'tenant',
    sandbox: mode,
    bwrap,
    allowUnsandboxed: options.allowUnsandboxed ?? false,
    allowNetwork: false,
    tenantNetwork: false,
    operatorNetwork: 'shared',
  });
  const limits: TreeLimits = { ...DEFAULT_TREE_LIMITS, ...options.limits };
  const dir = mkdtempSync(join(tmpdir(), 'toolport-analyze-'));
  let jail: Jail | undefined;
  try {
    // The upload sits beside the scratch, not in it: the sandbox's scratch is its own tmpfs.
    const scratch = join(dir, 'scratch');
    mkdirSync(join(dir, 'src'));
    mkdirSync(scratch);
    const script = join(dir, 'src', safeFilename(options.filename));
    writeFileSync(script, options.content, { mode: 0o600 });
    const runner = runnerPath();
    const runnerArgs = [runner, 'analyze', script, '--timeout-ms', String(timeoutMs)];
    const env = baseEnv(install, scratch);
    const [command, args] = sandboxed
      ? [
          options.bwrap ?? 'bwrap',
          [
            ...bwrapArgs({
              install,
              runnerDir: dirname(runner),
              script,
              scratch,
              scratchMb: limits.scratchMb,
              allowNetwork: false,
              baseEnv: env,
            }),
            install.executable,
            ...runnerArgs,
            ...sandboxRunnerArgs(),
          ],
        ]
      : [install.executable, runnerArgs];
    jail = createJail(command, args, limits, cgroupManager());
    const output = await run(jail.command, jail.args, env, scratch, timeoutMs + KILL_GRACE_MS);
    let analysis: ScriptAnalysis;
    try {
      analysis = JSON.parse(output) as ScriptAnalysis;
    } catch {
      throw createError('unprocessable', 'script analysis failed: the script corrupted the runner output');
    }
    // The runner reports an import that failed (e.g. a fork refused); say which limit caused it.
    const hits = jail.hits();
    if (hits.length) {
      const limits = hits.map((h) => h.message).join('; ');
      analysis.import_error = analysis.import_error ? `${limits}: ${analysis.import_error}` : limits;
    }
    return analysis;
  } catch (err) {
    const hits = jail?.hits() ?? [];
    if (hits.length) {
      throw createError('unprocessable', `script analysis stopped: ${hits.map((h) => h.message).join('; ')}`, {
        limit: hits.map((h) => h.limit),
      });
    }
    throw err;
  } finally {
    jail?.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  killAfterMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const kill = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, killAfterMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.length > MAX_OUTPUT) kill();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(createError('upstream_unavailable', `cannot start python for analysis: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(
          createError('unprocessable', `script analysis timed out after ${killAfterMs - KILL_GRACE_MS} ms`, {
            timeout: true,
          }),
        );
      } else if (code !== 0 || !stdout.trim()) {
        // The script ended the analysing process itself (os._exit, a crash in native code): the upload's fault.
        const reason = stderr.trim().split('\n').pop() ?? '';
        const how = signal ? `killed by signal ${signal}` : `exit ${String(code)}`;
        reject(createError('unprocessable', `script analysis failed (${how})${reason ? `: ${reason}` : ''}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** A file name that is safe to create and importable-looking: `my script.py` → `my_script.py`. */
function safeFilename(name: string): string {
  const base = basename(name)
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^\.+/, '');
  const stem = base.replace(/\.py$/i, '') || 'script';
  return `${stem.slice(0, 100)}.py`;
}
