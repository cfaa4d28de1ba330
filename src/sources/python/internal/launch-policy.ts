import { createError, type Trust } from '../../../core/index.js';

import type { TreeLimits } from '../../../sandbox/index.js';
import type { BwrapStatus } from './sandbox.js';
import type { NetworkMode } from './spawn-plan.js';

/** Server-wide caps on a worker tree; the defaults of `TOOLPORT_PYTHON_MAX_PROCESSES|MAX_MEMORY_MB|SCRATCH_MB`. */
export const DEFAULT_TREE_LIMITS: TreeLimits = { maxProcesses: 32, maxMemoryMb: 512, scratchMb: 64 };

/** What decides how one source's (or one analysis's) python processes are launched. */
export interface LaunchPolicyInput {
  trust: Trust;
  /** `auto` uses bubblewrap when it works here; `required` fails without it; `off` never uses it. */
  sandbox: 'auto' | 'off' | 'required';
  bwrap: BwrapStatus;
  /** The operator's explicit opt-out: tenant code may run unsandboxed when bubblewrap cannot be used. */
  allowUnsandboxed: boolean;
  /** What the manifest asks for. */
  allowNetwork: boolean;
  /** The operator lets tenant code ask for network (`TOOLPORT_TENANT_NETWORK`). */
  tenantNetwork: boolean;
  /** How operator code with `allow_network` reaches the network (`shared` = the host's, as always). */
  operatorNetwork: 'shared' | 'proxy';
}

/** The decision: sandboxed or not, and how the network is reached. */
export interface LaunchDecision {
  sandboxed: boolean;
  network: NetworkMode;
}

/** The message of a refused unsandboxed start (also used by script analysis). */
export function unsandboxedRefusal(why: string): Error {
  return createError(
    'upstream_unavailable',
    `tenant python code runs only sandboxed, and ${why}; the operator may let it run unsandboxed with TOOLPORT_ALLOW_UNSANDBOXED=1`,
    { setting: 'TOOLPORT_ALLOW_UNSANDBOXED' },
  );
}

/**
 * Decides how python processes start. Tenant code never runs unsandboxed unless the operator opted out, and reaches
 * the network only through the egress proxy (when the operator allows tenant network at all); operator code keeps
 * `sandbox: auto` and the host network when it asks for it.
 */
export function decideLaunch(input: LaunchPolicyInput): LaunchDecision {
  let sandboxed: boolean;
  if (input.trust === 'tenant') {
    if (input.sandbox === 'off' || !input.bwrap.available) {
      if (!input.allowUnsandboxed) {
        throw unsandboxedRefusal(
          input.sandbox === 'off'
            ? 'the sandbox is turned off on this server (TOOLPORT_SANDBOX=off)'
            : `bubblewrap is unavailable here (${input.bwrap.reason ?? 'unknown reason'})`,
        );
      }
      sandboxed = false;
    } else {
      sandboxed = true;
    }
  } else if (input.sandbox === 'off') {
    sandboxed = false;
  } else {
    if (input.sandbox === 'required' && !input.bwrap.available) {
      throw createError(
        'upstream_unavailable',
        `bubblewrap sandbox required but unavailable: ${input.bwrap.reason ?? 'unknown'}`,
      );
    }
    sandboxed = input.bwrap.available;
  }
  if (!input.allowNetwork) return { sandboxed, network: 'none' };
  if (input.trust === 'tenant') {
    if (!input.tenantNetwork) {
      throw createError(
        'forbidden',
        'python.allow_network is not allowed for tenant code on this server (TOOLPORT_TENANT_NETWORK)',
        { setting: 'TOOLPORT_TENANT_NETWORK' },
      );
    }
    // Unsandboxed (the operator's opt-out) there is no namespace to police: the host network it is.
    return { sandboxed, network: sandboxed ? 'proxy' : 'shared' };
  }
  return { sandboxed, network: sandboxed ? input.operatorNetwork : 'shared' };
}

/** The effective tree limits: the manifest may only lower the server's caps. */
export function effectiveLimits(
  caps: TreeLimits,
  manifest: { max_processes?: number | undefined; max_memory_mb?: number | undefined; scratch_mb?: number | undefined },
): TreeLimits {
  const lower = (cap: number, wanted: number | undefined): number =>
    wanted !== undefined && wanted > 0 ? Math.min(cap, wanted) : cap;
  return {
    maxProcesses: lower(caps.maxProcesses, manifest.max_processes),
    maxMemoryMb: lower(caps.maxMemoryMb, manifest.max_memory_mb),
    scratchMb: lower(caps.scratchMb, manifest.scratch_mb),
  };
}
