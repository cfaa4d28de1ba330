import { type CgroupManager, type LimitCounters, type LimitMode, type TreeLimits } from './cgroup.js';

/** Which limit a call ran into, with the message the caller sees. */
export interface LimitHit {
  limit: 'processes' | 'memory' | 'scratch';
  message: string;
}

/** The limits of one worker tree and how they are enforced, as shown in a source's runtime info. */
export interface LimitsInfo extends TreeLimits {
  mode: LimitMode;
}

/** One worker's confinement: how to launch it inside its limits, and what it ran into. */
export interface Jail {
  command: string;
  args: string[];
  /** Limits hit since the previous call of `hits` (or since launch). */
  hits(): LimitHit[];
  /** Frees the worker's cgroup (killing stragglers). Idempotent. */
  release(): void;
}

// Joins the cgroups given as arguments before anything else runs, so every process the worker
// starts is counted from its first fork; then replaces itself with the real command.
const CGROUP_SHELL =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 97; shift; n=$((n-1)); done; unset PWD OLDPWD; exec "$@"';
// Without writable cgroups: per-process limits only (`-u` in bash, `-p` in dash). The process count is
// per user and not enforced for root, which is why the runtime info names the mode.
const RLIMIT_SHELL =
  'ulimit -u "$1" 2>/dev/null || ulimit -p "$1" 2>/dev/null; ulimit -v "$2" 2>/dev/null; shift 2; unset PWD OLDPWD; exec "$@"';

/** Settings a limit message names: the server-wide env setting and the manifest field that may lower it. */
export const LIMIT_SETTINGS = {
  processes: 'TOOLPORT_PYTHON_MAX_PROCESSES / python.max_processes',
  memory: 'TOOLPORT_PYTHON_MAX_MEMORY_MB / python.max_memory_mb',
  scratch: 'TOOLPORT_PYTHON_SCRATCH_MB / python.scratch_mb',
} as const;

/** The message of a hit limit, naming its value and setting. */
export function limitMessage(limit: LimitHit['limit'], limits: TreeLimits): string {
  switch (limit) {
    case 'processes':
      return `the worker reached its process limit (${limits.maxProcesses} processes; ${LIMIT_SETTINGS.processes})`;
    case 'memory':
      return `the worker's process tree exceeded its memory limit (${limits.maxMemoryMb} MB; ${LIMIT_SETTINGS.memory}) and was killed`;
    case 'scratch':
      return `the scratch directory is full (${limits.scratchMb} MB; ${LIMIT_SETTINGS.scratch})`;
  }
}

/** Wraps `command args` so the process tree it starts is confined to `limits`. */
export function createJail(command: string, args: string[], limits: TreeLimits, cgroups: CgroupManager | null): Jail {
  if (!cgroups) {
    return {
      command: '/bin/sh',
      args: [
        '-c',
        RLIMIT_SHELL,
        'sh',
        String(limits.maxProcesses),
        String(limits.maxMemoryMb * 1024),
        command,
        ...args,
      ],
      hits: () => [],
      release: () => {},
    };
  }
  const group = cgroups.create(limits);
  let seen: LimitCounters = { pidsMax: 0, oomKills: 0 };
  // Counters are kept from the moment of release: a worker killed by the OOM killer is released (its group
  // removed) before the failed call asks what happened.
  let final: LimitCounters | undefined;
  return {
    command: '/bin/sh',
    args: ['-c', CGROUP_SHELL, 'sh', String(group.procsFiles.length), ...group.procsFiles, command, ...args],
    hits() {
      const now = final ?? group.counters();
      const hits: LimitHit[] = [];
      if (now.pidsMax > seen.pidsMax) hits.push({ limit: 'processes', message: limitMessage('processes', limits) });
      if (now.oomKills > seen.oomKills) hits.push({ limit: 'memory', message: limitMessage('memory', limits) });
      seen = now;
      return hits;
    },
    release() {
      if (final) return;
      final = group.counters();
      group.release();
    },
  };
}
