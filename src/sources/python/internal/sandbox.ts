import { execFile } from 'node:child_process';
import { dirname } from 'node:path';

import { createError } from '../../../core/index.js';

/** Where the interpreter really lives (pyenv shims resolved), so the sandbox can bind it. */
export interface PythonInstall {
  executable: string;
  prefixes: string[];
  version: string;
}

/** Whether bubblewrap runs here, and why not when it does not. */
export interface BwrapStatus {
  available: boolean;
  reason?: string;
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
const bwrapStatus = new Map<string, Promise<BwrapStatus>>();

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

/** Checks once per process and command whether bubblewrap can create a sandbox here (user namespaces may be off). */
export function detectBwrap(command = 'bwrap'): Promise<BwrapStatus> {
  let status = bwrapStatus.get(command);
  if (status) return status;
  status = new Promise<BwrapStatus>((resolve) => {
    const args = [
      '--unshare-all',
      '--die-with-parent',
      '--ro-bind',
      '/usr',
      '/usr',
      '--ro-bind-try',
      '/bin',
      '/bin',
      '--ro-bind-try',
      '/lib',
      '/lib',
      '--ro-bind-try',
      '/lib64',
      '/lib64',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      'true',
    ];
    execFile(command, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (!err) resolve({ available: true });
      else resolve({ available: false, reason: (stderr || err.message).trim().split('\n')[0] ?? 'bwrap failed' });
    });
  });
  bwrapStatus.set(command, status);
  return status;
}

const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64'];
// The few /etc files an interpreter and TLS/DNS need; the rest of /etc stays invisible.
const ETC_FILES = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/nsswitch.conf',
  '/etc/passwd',
  '/etc/group',
  '/etc/hosts',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
  '/etc/mime.types',
];
const NETWORK_ETC = ['/etc/resolv.conf', '/etc/gai.conf', '/etc/host.conf'];

/** The bwrap arguments that run a command inside the sandbox described by `plan`. */
export function bwrapArgs(plan: SandboxPlan): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--clearenv'];
  if (plan.allowNetwork) args.push('--share-net');
  for (const dir of SYSTEM_DIRS) args.push('--ro-bind-try', dir, dir);
  for (const file of [...ETC_FILES, ...(plan.allowNetwork ? NETWORK_ETC : [])]) args.push('--ro-bind-try', file, file);
  for (const prefix of plan.install.prefixes) {
    if (!SYSTEM_DIRS.some((dir) => prefix === dir || prefix.startsWith(`${dir}/`)))
      args.push('--ro-bind', prefix, prefix);
  }
  const exeDir = dirname(plan.install.executable);
  if (!plan.install.prefixes.some((p) => exeDir.startsWith(`${p}/`))) args.push('--ro-bind', exeDir, exeDir);
  // Scratch first: binds below it (the analysed upload) are mounted on top of the tmpfs.
  if (plan.scratchMb) args.push('--size', String(plan.scratchMb * 1024 * 1024), '--tmpfs', plan.scratch);
  else args.push('--bind', plan.scratch, plan.scratch);
  args.push('--ro-bind', plan.runnerDir, plan.runnerDir);
  const scriptMount = plan.bindScriptDir ? dirname(plan.script) : plan.script;
  args.push('--ro-bind', scriptMount, scriptMount);
  if (plan.privateDir) args.push('--ro-bind', plan.privateDir, SANDBOX_PRIVATE_DIR);
  args.push('--proc', '/proc', '--dev', '/dev', '--chdir', plan.scratch);
  // The sandbox root is a tmpfs holding the mount points: make it read-only too, so the
  // scratch bind really is the only writable place.
  args.push('--remount-ro', '/');
  for (const [key, value] of Object.entries(plan.baseEnv)) args.push('--setenv', key, value);
  return args;
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
