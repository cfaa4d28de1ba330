import type { CgroupManager, LimitCounters, ProcessLimits } from './cgroup.js';

/** Which limit a process tree ran into, with the message the caller sees. */
export interface LimitHit {
  limit: 'processes' | 'memory' | 'scratch';
  message: string;
}

/** How a source words its limit messages: who hit the limit, and the settings that set each one. */
export interface LimitWording {
  /** Who ran into the limit, e.g. `the worker`, `the upstream`. */
  subject: string;
  /** The setting(s) a message names per limit, e.g. `TOOLPORT_MCP_MAX_PROCESSES` (`scratch`: where one applies). */
  settings: { processes: string; memory: string; scratch?: string };
}

/** The message of a hit limit, naming its value and setting (`scratch` needs `limits.scratchMb`). */
export function describeLimit(
  limit: LimitHit['limit'],
  limits: ProcessLimits & { scratchMb?: number },
  wording: LimitWording,
): string {
  const setting = wording.settings[limit] ?? 'no setting';
  switch (limit) {
    case 'processes':
      return `${wording.subject} reached its process limit (${limits.maxProcesses} processes; ${setting})`;
    case 'memory':
      return `${wording.subject}'s process tree exceeded its memory limit (${limits.maxMemoryMb} MB; ${setting}) and was killed`;
    case 'scratch':
      return `the scratch directory is full (${String(limits.scratchMb)} MB; ${setting})`;
  }
}

/** One process tree's confinement: how to launch it inside its limits, and what it ran into. */
export interface Jail {
  command: string;
  args: string[];
  /** Limits hit since the previous call of `hits` (or since launch). */
  hits(): LimitHit[];
  /** Frees the tree's cgroup (killing stragglers). Idempotent; `hits` still answers afterwards. */
  release(): void;
}

// Joins the cgroups given as arguments before anything else runs, so every process the tree
// starts is counted from its first fork; then replaces itself with the real command.
const CGROUP_SHELL =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 97; shift; n=$((n-1)); done; unset PWD OLDPWD; exec "$@"';
// Without writable cgroups: per-process limits only (`-u` in bash, `-p` in dash). The process count is
// per user and not enforced for root, which is why the runtime info names the mode.
const RLIMIT_SHELL =
  'ulimit -u "$1" 2>/dev/null || ulimit -p "$1" 2>/dev/null; ulimit -v "$2" 2>/dev/null; shift 2; unset PWD OLDPWD; exec "$@"';

/**
 * Wraps `command args` so the process tree it starts is confined to `limits`: in a fresh cgroup of `cgroups`, or
 * under per-process rlimits when `cgroups` is null (then nothing is reported as hit).
 *
 * @example
 * const jail = createJail('bwrap', args, { maxProcesses: 64, maxMemoryMb: 1024 }, cgroupManager(), wording);
 * const child = spawn(jail.command, jail.args);
 * child.once('exit', () => { console.log(jail.hits()); jail.release(); });
 */
export function createJail(
  command: string,
  args: string[],
  limits: ProcessLimits,
  cgroups: CgroupManager | null,
  wording: LimitWording,
): Jail {
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
  // Counters are kept from the moment of release: a tree killed by the OOM killer is released (its group
  // removed) before the failed call asks what happened.
  let final: LimitCounters | undefined;
  const hit = (limit: 'processes' | 'memory'): LimitHit => ({ limit, message: describeLimit(limit, limits, wording) });
  return {
    command: '/bin/sh',
    args: ['-c', CGROUP_SHELL, 'sh', String(group.procsFiles.length), ...group.procsFiles, command, ...args],
    hits() {
      const now = final ?? group.counters();
      const hits: LimitHit[] = [];
      if (now.pidsMax > seen.pidsMax) hits.push(hit('processes'));
      if (now.oomKills > seen.oomKills) hits.push(hit('memory'));
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
