import { execFile } from 'node:child_process';
import { dirname } from 'node:path';

import { createError } from '../../../core/index.js';
import { buildBwrapArgs, isSystemPath } from '../../../sandbox/index.js';

export { detectBwrap, type BwrapStatus } from '../../../sandbox/index.js';

/** Where the interpreter really lives (pyenv shims resolved), so the sandbox can bind it. */
export interface PythonInstall {
  executable: string;
  prefixes: string[];
  version: string;
}

/** How a sandboxed process is allowed to see the machine. */
export interface SandboxPlan {
  install: PythonInstall;
  runnerDir: string;
  script: string;
  /** Bind the script's whole folder read-only (operator file-root scripts import their siblings). */
  bindScriptDir?: boolean;
  scratch: string;
  /** Scratch as a private tmpfs of this size (MiB) at `scratch` instead of a host bind. */
  scratchMb?: number;
  /** A host folder bound read-only at {@link SANDBOX_PRIVATE_DIR} (env files, the egress socket). */
  privateDir?: string;
  allowNetwork: boolean;
  /** Non-secret variables set with `--setenv` (secrets go through the env file). */
  baseEnv: Record<string, string>;
}

/** Where a worker's private host folder appears inside the sandbox. */
export const SANDBOX_PRIVATE_DIR = '/run/toolport';

const installs = new Map<string, Promise<PythonInstall>>();

const PROBE = [
  'import json, os, sys',
  'print(json.dumps({"executable": os.path.realpath(sys.executable),',
  ' "prefixes": sorted({os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix), os.path.realpath(sys.exec_prefix)}),',
  ' "version": sys.version.split()[0]}))',
].join('\n');

/** Resolves `python` (a command or path) to its real executable and prefixes; cached per command. */
export function resolvePython(python: string): Promise<PythonInstall> {
  let install = installs.get(python);
  if (!install) {
    install = new Promise<PythonInstall>((resolve, reject) => {
      execFile(python, ['-c', PROBE], { timeout: 15_000 }, (err, stdout) => {
        if (err) {
          reject(
            createError('upstream_unavailable', `python interpreter '${python}' cannot be started: ${err.message}`),
          );
          return;
        }
        try {
          resolve(JSON.parse(stdout) as PythonInstall);
        } catch {
          reject(createError('upstream_unavailable', `python interpreter '${python}' gave an unreadable answer`));
        }
      });
    });
    installs.set(python, install);
    install.catch(() => installs.delete(python));
  }
  return install;
}

/** The bwrap arguments that run a command inside the sandbox described by `plan`. */
export function bwrapArgs(plan: SandboxPlan): string[] {
  const readOnly = plan.install.prefixes.filter((prefix) => !isSystemPath(prefix));
  const exeDir = dirname(plan.install.executable);
  if (!plan.install.prefixes.some((p) => exeDir.startsWith(`${p}/`))) readOnly.push(exeDir);
  readOnly.push(plan.runnerDir, plan.bindScriptDir ? dirname(plan.script) : plan.script);
  return buildBwrapArgs({
    network: plan.allowNetwork,
    readOnly,
    scratch: plan.scratch,
    env: plan.baseEnv,
    ...(plan.scratchMb ? { scratchBytes: plan.scratchMb * 1024 * 1024 } : {}),
    ...(plan.privateDir ? { mounts: [[plan.privateDir, SANDBOX_PRIVATE_DIR] as const] } : {}),
  });
}

/** Runner arguments a sandboxed runner needs: bwrap sets PWD after --chdir, which the scrubbed env has no room for. */
export function sandboxRunnerArgs(): string[] {
  return ['--drop-env', 'PWD'];
}

/** The environment every worker starts from: nothing of the server's own environment leaks in. */
export function baseEnv(install: PythonInstall, scratch: string): Record<string, string> {
  return {
    PATH: `${dirname(install.executable)}:/usr/local/bin:/usr/bin:/bin`,
    LANG: process.env.LANG && /^[\w.@-]+$/.test(process.env.LANG) ? process.env.LANG : 'C.UTF-8',
    HOME: scratch,
    TMPDIR: scratch,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
}
