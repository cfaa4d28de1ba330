import {
  type CgroupManager,
  createJail as createTreeJail,
  describeLimit,
  type Jail,
  type LimitHit,
  type TreeLimits,
} from '../../../sandbox/index.js';

export type { Jail, LimitHit } from '../../../sandbox/index.js';

/** Settings a limit message names: the server-wide env setting and the manifest field that may lower it. */
export const LIMIT_SETTINGS = {
  processes: 'TOOLPORT_PYTHON_MAX_PROCESSES / python.max_processes',
  memory: 'TOOLPORT_PYTHON_MAX_MEMORY_MB / python.max_memory_mb',
  scratch: 'TOOLPORT_PYTHON_SCRATCH_MB / python.scratch_mb',
} as const;

const WORDING = { subject: 'the worker', settings: LIMIT_SETTINGS };

/** The message of a hit limit, naming its value and setting. */
export function limitMessage(limit: LimitHit['limit'], limits: TreeLimits): string {
  return describeLimit(limit, limits, WORDING);
}

/** Wraps `command args` so the worker tree it starts is confined to `limits`, its messages naming the python settings. */
export function createJail(command: string, args: string[], limits: TreeLimits, cgroups: CgroupManager | null): Jail {
  return createTreeJail(command, args, limits, cgroups, WORDING);
}
