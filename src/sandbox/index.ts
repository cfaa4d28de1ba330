/**
 * The sandbox layer: bubblewrap detection and argument building shared by every source kind that runs code
 * (python workers, stdio MCP upstreams), and the mounts a sandboxed command needs. Imports core only.
 */
export { buildBwrapArgs, detectBwrap, isSystemPath, SYSTEM_DIRS } from './bwrap.js';
export type { BwrapOptions, BwrapStatus } from './bwrap.js';
export { resolveCommandMounts } from './command-mounts.js';
export type { CommandMountOptions, CommandMounts } from './command-mounts.js';
export { cgroupManager } from './cgroup.js';
export type { CgroupManager, LimitCounters, LimitMode, ProcessLimits, TreeCgroup, TreeLimits } from './cgroup.js';
export { createJail, describeLimit } from './jail.js';
export type { Jail, LimitHit, LimitWording } from './jail.js';
