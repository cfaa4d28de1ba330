import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The limits a cgroup (or rlimits) enforce on one process tree: a command and everything it starts. */
export interface ProcessLimits {
  /** Processes (and threads) of the whole tree. */
  maxProcesses: number;
  /** Memory of the whole tree (a tmpfs it writes to included), in MiB. */
  maxMemoryMb: number;
}

/** The limits of one sandboxed tree with a size-limited scratch tmpfs (python workers). */
export interface TreeLimits extends ProcessLimits {
  /** Size of the scratch tmpfs in MiB. */
  scratchMb: number;
}

/** Counters read from a tree's cgroup: how often each limit was hit so far. */
export interface LimitCounters {
  pidsMax: number;
  oomKills: number;
}

/** How limits are enforced on this host. */
export type LimitMode = 'cgroup-v1' | 'cgroup-v2' | 'rlimit';

/** A per-tree cgroup: its `cgroup.procs` files (written by the launch shell), counters, cleanup. */
export interface TreeCgroup {
  procsFiles: string[];
  counters(): LimitCounters;
  /** Kills what is left in the group and removes it (retried while processes are still exiting). */
  release(): void;
}

/** Creates per-tree cgroups under one parent per server process. */
export interface CgroupManager {
  mode: LimitMode;
  create(limits: ProcessLimits): TreeCgroup;
}

const ROOT = '/sys/fs/cgroup';

/** The cgroup path of this process for a v1 controller (or the v2 path for `''`). */
function ownPath(controller: string): string | undefined {
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, controllers, path] = line.split(':');
      if (controllers === undefined || path === undefined) continue;
      if (controller === '' ? controllers === '' : controllers.split(',').includes(controller)) return path;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function tryMkdir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

function readNumber(file: string, key: string): number {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, value] = line.trim().split(/\s+/);
      if (name === key) return Number(value) || 0;
    }
  } catch {
    // a group already removed has no counters left
  }
  return 0;
}

function killAndRemove(dirs: string[], attempt = 0): void {
  const left: string[] = [];
  for (const dir of dirs) {
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
    }
  }
  // Processes take a moment to leave the group after SIGKILL; a handful of retries suffices.
  if (left.length && attempt < 50) setTimeout(() => killAndRemove(left, attempt + 1), 100).unref();
}

/** Removes a `toolport-<pid>` parent and its tree groups, as far as they are empty. */
function removeTree(parent: string): void {
  try {
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      if (!entry.isDirectory() || !entry.name.startsWith('w-')) continue;
      try {
        rmdirSync(join(parent, entry.name));
      } catch {
        // a tree still exiting
      }
    }
    rmdirSync(parent);
  } catch {
    // not empty yet, or already gone
  }
}

/** Removes the groups left by Toolport processes that no longer run (killed servers, crashed tests). */
function sweepStale(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    const match = /^toolport-(\d+)$/.exec(name);
    if (!match || Number(match[1]) === process.pid) continue;
    try {
      process.kill(Number(match[1]), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') removeTree(join(dir, name));
    }
  }
}

/** cgroup v1: separate `pids` and `memory` hierarchies, a group below this process's own in each. */
function detectV1(): CgroupManager | undefined {
  const pidsOwn = ownPath('pids');
  const memOwn = ownPath('memory');
  if (pidsOwn === undefined || memOwn === undefined) return undefined;
  const tag = `toolport-${process.pid}`;
  sweepStale(join(ROOT, 'pids', pidsOwn));
  sweepStale(join(ROOT, 'memory', memOwn));
  const pidsParent = join(ROOT, 'pids', pidsOwn, tag);
  const memParent = join(ROOT, 'memory', memOwn, tag);
  if (!tryMkdir(pidsParent) || !tryMkdir(memParent)) return undefined;
  return {
    mode: 'cgroup-v1',
    create(limits) {
      const name = `w-${randomBytes(6).toString('hex')}`;
      const pids = join(pidsParent, name);
      const mem = join(memParent, name);
      mkdirSync(pids);
      mkdirSync(mem);
      try {
        writeFileSync(join(pids, 'pids.max'), String(limits.maxProcesses));
        const bytes = String(limits.maxMemoryMb * 1024 * 1024);
        writeFileSync(join(mem, 'memory.limit_in_bytes'), bytes);
        try {
          // Without this a host with swap pages the tree out instead of enforcing the limit.
          writeFileSync(join(mem, 'memory.memsw.limit_in_bytes'), bytes);
        } catch {
          // no swap accounting on this kernel
        }
      } catch (err) {
        killAndRemove([pids, mem]);
        throw err;
      }
      return {
        procsFiles: [join(pids, 'cgroup.procs'), join(mem, 'cgroup.procs')],
        counters: () => ({
          pidsMax: readNumber(join(pids, 'pids.events'), 'max'),
          oomKills: readNumber(join(mem, 'memory.oom_control'), 'oom_kill'),
        }),
        release: () => killAndRemove([pids, mem]),
      };
    },
  };
}

/** cgroup v2: one hierarchy; works when this process's group may delegate pids and memory to children. */
function detectV2(): CgroupManager | undefined {
  const own = ownPath('');
  if (own === undefined) return undefined;
  let controllers: string;
  try {
    controllers = readFileSync(join(ROOT, 'cgroup.controllers'), 'utf8');
  } catch {
    return undefined;
  }
  if (!/\bpids\b/.test(controllers) || !/\bmemory\b/.test(controllers)) return undefined;
  sweepStale(join(ROOT, own));
  const parent = join(ROOT, own, `toolport-${process.pid}`);
  if (!tryMkdir(parent)) return undefined;
  try {
    writeFileSync(join(parent, 'cgroup.subtree_control'), '+pids +memory');
  } catch {
    killAndRemove([parent]);
    return undefined;
  }
  return {
    mode: 'cgroup-v2',
    create(limits) {
      const dir = join(parent, `w-${randomBytes(6).toString('hex')}`);
      mkdirSync(dir);
      try {
        writeFileSync(join(dir, 'pids.max'), String(limits.maxProcesses));
        writeFileSync(join(dir, 'memory.max'), String(limits.maxMemoryMb * 1024 * 1024));
        try {
          writeFileSync(join(dir, 'memory.swap.max'), '0');
        } catch {
          // no swap controller
        }
      } catch (err) {
        killAndRemove([dir]);
        throw err;
      }
      return {
        procsFiles: [join(dir, 'cgroup.procs')],
        counters: () => ({
          pidsMax: readNumber(join(dir, 'pids.events'), 'max'),
          oomKills: readNumber(join(dir, 'memory.events'), 'oom_kill'),
        }),
        release: () => killAndRemove([dir]),
      };
    },
  };
}

let manager: CgroupManager | null | undefined;

/**
 * The cgroup manager of this host, or null when no writable pids+memory controllers exist (then limits fall back
 * to per-process rlimits). Detected once per process; the empty parent groups go when the process exits.
 */
export function cgroupManager(): CgroupManager | null {
  if (manager === undefined) {
    manager = detectV1() ?? detectV2() ?? null;
    if (manager) process.once('exit', removeParents);
  }
  return manager;
}

function removeParents(): void {
  const tag = `toolport-${process.pid}`;
  for (const dir of [
    join(ROOT, 'pids', ownPath('pids') ?? '/', tag),
    join(ROOT, 'memory', ownPath('memory') ?? '/', tag),
    join(ROOT, ownPath('') ?? '/', tag),
  ]) {
    removeTree(dir);
  }
}
