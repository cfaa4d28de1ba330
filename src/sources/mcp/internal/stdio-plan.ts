import { mkdirSync } from 'node:fs';
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { createError, type Logger, type Trust } from '../../../core/index.js';
import {
  buildBwrapArgs,
  type BwrapStatus,
  type CgroupManager,
  cgroupManager,
  createJail,
  detectBwrap,
  type LimitWording,
  type ProcessLimits,
  resolveCommandMounts,
} from '../../../sandbox/index.js';
import type { LaunchSpec } from './launch-spec.js';
import type { ProcessSpec } from './process-transport.js';

/** How stdio upstreams admitted for a tenant are confined (set by the composition root from the operator's config). */
export interface StdioSandboxOptions {
  /** This connector's private writable folder (created if missing): HOME, TMPDIR and working directory. */
  scratch: string;
  /** Folders no read-only bind may expose, e.g. the server's data folder. */
  protect: readonly string[];
  /** Absolute paths of the operator's allowlist entry (scripts, package folders) the command needs read-only. */
  readOnly: readonly string[];
  /** Run without bubblewrap when it is missing (`TOOLPORT_ALLOW_UNSANDBOXED`, an explicit operator opt-out). */
  allowUnsandboxed: boolean;
  /** The bubblewrap command (`TOOLPORT_BWRAP_PATH`; `bwrap` on PATH by default). */
  bwrap?: string;
  /**
   * Processes and memory of the upstream's whole tree, bwrap included (`TOOLPORT_MCP_MAX_PROCESSES|MAX_MEMORY_MB`):
   * a cgroup per process when this host has writable ones, else per-process rlimits. Absent = unconfined.
   */
  limits?: ProcessLimits;
}

/** What a tenant upstream's limit messages name. */
export const MCP_LIMIT_WORDING: LimitWording = {
  subject: 'the upstream',
  settings: { processes: 'TOOLPORT_MCP_MAX_PROCESSES', memory: 'TOOLPORT_MCP_MAX_MEMORY_MB' },
};

/** Inputs of {@link planStdioProcess}. */
export interface StdioPlanInput {
  launch: Extract<LaunchSpec, { transport: 'stdio' }>;
  trust: Trust;
  sandbox?: StdioSandboxOptions;
  logger: Logger;
  /** bubblewrap detection (injectable for tests). */
  detect?: (command: string) => Promise<BwrapStatus>;
  /** The cgroups enforcing `sandbox.limits` (default: this host's, or rlimits when it has none writable). */
  cgroups?: CgroupManager | null;
}

function safeLang(): string {
  const lang = process.env.LANG;
  return lang && /^[\w.@-]+$/.test(lang) ? lang : 'C.UTF-8';
}

/**
 * How to start a stdio upstream. Operator upstreams run as configured (the server's PATH/HOME/LANG and the SDK's
 * default variables plus the manifest's env). Tenant upstreams run in bubblewrap with nothing of the server's
 * environment, no network and no host file but system folders and what the command needs, read-only; without
 * bubblewrap they are refused unless the operator allowed running them unsandboxed.
 */
export async function planStdioProcess(input: StdioPlanInput): Promise<ProcessSpec> {
  const { launch } = input;
  if (input.trust === 'operator') {
    return {
      command: launch.command,
      args: launch.args,
      env: { ...getDefaultEnvironment(), ...launch.env },
      ...(launch.cwd !== undefined ? { cwd: launch.cwd } : {}),
      tag: true,
    };
  }
  const sandbox = input.sandbox;
  if (!sandbox) throw createError('upstream_unavailable', 'no sandbox is configured for tenant stdio upstreams');
  const bwrapCommand = sandbox.bwrap ?? 'bwrap';
  const status = await (input.detect ?? detectBwrap)(bwrapCommand);
  mkdirSync(sandbox.scratch, { recursive: true, mode: 0o700 });
  const mounts = resolveCommandMounts(launch.command, {
    searchPath: process.env.PATH ?? '',
    protect: sandbox.protect,
    extra: sandbox.readOnly,
  });
  const env = {
    PATH: [...mounts.pathDirs, '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    LANG: safeLang(),
    HOME: sandbox.scratch,
    TMPDIR: sandbox.scratch,
    ...tenantEnv(launch.env),
  };
  if (!status.available) {
    if (!sandbox.allowUnsandboxed) {
      throw createError(
        'upstream_unavailable',
        `bubblewrap is unavailable (${status.reason ?? 'unknown'}): a tenant's stdio upstream runs only sandboxed; ` +
          'the operator may set TOOLPORT_ALLOW_UNSANDBOXED=1 to run it without a sandbox',
      );
    }
    input.logger.warn({}, 'bubblewrap unavailable: running a tenant stdio upstream unsandboxed (allowUnsandboxed)');
    return { command: mounts.executable, args: launch.args, env, cwd: sandbox.scratch, tag: true, ...confine(input) };
  }
  // The environment reaches the sandbox through bwrap's own (scrubbed) environment, not through --setenv
  // arguments: manifest env values may hold secrets, and argv is visible to every local user.
  const bwrap = buildBwrapArgs({ network: false, readOnly: mounts.readOnly, scratch: sandbox.scratch });
  return {
    command: bwrapCommand,
    args: [...bwrap, mounts.executable, ...launch.args],
    env,
    cwd: sandbox.scratch,
    ...confine(input),
  };
}

/** A fresh jail per spawn (the spec may start several processes: a retry, each restart), when limits are set. */
function confine(input: StdioPlanInput): Pick<ProcessSpec, 'confine'> {
  const limits = input.sandbox?.limits;
  if (!limits) return {};
  const cgroups = input.cgroups === undefined ? cgroupManager() : input.cgroups;
  return { confine: (command, args) => createJail(command, args, limits, cgroups, MCP_LIMIT_WORDING) };
}

/** Variables the sandbox owns, and those that change how the host's bwrap itself loads (glibc's unsecure list). */
const RESERVED = new Set([
  'PATH',
  'HOME',
  'TMPDIR',
  'GCONV_PATH',
  'GETCONF_DIR',
  'GLIBC_TUNABLES',
  'HOSTALIASES',
  'LOCALDOMAIN',
  'LOCPATH',
  'MALLOC_TRACE',
  'NIS_PATH',
  'NLSPATH',
  'RESOLV_HOST_CONF',
  'RES_OPTIONS',
  'TZDIR',
]);

/**
 * The manifest's env without reserved names. bwrap runs on the host with this environment before it confines
 * anything, so a tenant must not steer its loader (`LD_PRELOAD` of a file written to scratch would run unsandboxed).
 */
export function tenantEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!RESERVED.has(key) && !key.startsWith('LD_')) out[key] = value;
  }
  return out;
}
