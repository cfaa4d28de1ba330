import { existsSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { Config } from '../config/index.js';
import { createError, ensurePrivateDir, ensurePrivateFile, type Logger } from '../core/index.js';
import { matchAllowedCommand, type SourceFactories } from '../registry/index.js';
import { createHttpSource } from '../sources/http/index.js';
import { createMcpSource } from '../sources/mcp/index.js';
import { createPythonSource, detectBwrap, limitMode } from '../sources/python/index.js';
import type { Store } from '../store/index.js';

/** The server-wide caps on each python worker tree, from the config. */
export function pythonLimits(config: Config): { maxProcesses: number; maxMemoryMb: number; scratchMb: number } {
  return {
    maxProcesses: config.pythonMaxProcesses,
    maxMemoryMb: config.pythonMaxMemoryMb,
    scratchMb: config.pythonScratchMb,
  };
}

/** The server-wide caps on each tenant stdio MCP upstream's process tree, from the config. */
export function mcpLimits(config: Config): { maxProcesses: number; maxMemoryMb: number } {
  return { maxProcesses: config.mcpMaxProcesses, maxMemoryMb: config.mcpMaxMemoryMb };
}

/** Logs once at start when tenant python code cannot run because bubblewrap is missing (or runs without it). */
function warnWithoutSandbox(config: Config, logger: Logger): void {
  const check =
    config.sandbox === 'off'
      ? Promise.resolve({ available: false, reason: 'TOOLPORT_SANDBOX=off' })
      : detectBwrap(config.bwrapPath);
  if (limitMode() === 'rlimit') {
    logger.warn(
      {},
      'no writable pids+memory cgroups: python and tenant stdio MCP process and memory limits apply per process ' +
        '(rlimits), not per process tree',
    );
  }
  void check.then((status) => {
    if (status.available) return;
    logger.warn(
      { reason: status.reason, bwrap: config.bwrapPath, allowUnsandboxed: config.allowUnsandboxed },
      config.allowUnsandboxed
        ? 'bubblewrap is unavailable: tenant python code will run UNSANDBOXED (TOOLPORT_ALLOW_UNSANDBOXED=1)'
        : 'bubblewrap is unavailable: tenant python connectors and script uploads are refused ' +
            '(install bubblewrap, or set TOOLPORT_ALLOW_UNSANDBOXED=1 to run them unsandboxed)',
    );
  });
}

/**
 * The concrete ToolSource factories by kind. Python connectors that reference an uploaded script
 * (`script_id`) get it materialised from the store into the data folder, so every node can run it.
 */
export function createSourceFactories(deps: {
  config: Config;
  store: Store;
  dataDir: string;
  logger: Logger;
}): SourceFactories {
  const { config, store, dataDir, logger } = deps;
  warnWithoutSandbox(config, logger);
  return {
    http: ({ manifest, config: values, connector, trust }) =>
      createHttpSource({
        manifest,
        config: values,
        // A per-connector allowance counts only for the operator's own content (admission refuses it for tenants).
        allowPrivateNetworks:
          config.allowPrivateNetworks || (trust === 'operator' && manifest.http?.allow_private_networks === true),
        logger: logger.child({ connector }),
      }),
    mcp: ({ tenantId, projectId, manifest, config: values, connector, trust }) => {
      const command = manifest.mcp?.command;
      // The absolute paths of the operator's allowlist entry (a script, a package folder) are what the sandboxed
      // command may read; a tenant's own arguments never add a bind.
      const entry =
        command === undefined ? undefined : matchAllowedCommand(config.mcpCommands, command, manifest.mcp!.args);
      return createMcpSource({
        manifest,
        config: values,
        trust,
        sandbox: {
          scratch: join(dataDir, 'scratch', tenantId, projectId, `mcp-${connector}`),
          protect: [dataDir],
          readOnly: (entry?.leadingArgs ?? []).filter((arg) => isAbsolute(arg)),
          allowUnsandboxed: config.allowUnsandboxed,
          bwrap: config.bwrapPath,
          limits: mcpLimits(config),
        },
        allowPrivateNetworks: config.allowPrivateNetworks,
        logger: logger.child({ connector }),
      });
    },
    python: async ({ tenantId, projectId, connector, manifest, config: values, trust }) => {
      const spec = manifest.python;
      if (!spec) throw createError('validation_failed', `connector ${connector} has no python section`);
      let script = spec.script;
      if (!script && spec.script_id) {
        const stored = await store.getScript(tenantId, spec.script_id);
        if (!stored) throw createError('not_found', `script ${spec.script_id} is not stored for this tenant`);
        // One folder per content hash, the file under the name it was uploaded with, so the script's
        // own messages (argparse usage, tracebacks) name `report.py`, not a hash.
        const dir = join(dataDir, 'scripts', tenantId, stored.id);
        ensurePrivateDir(dir);
        script = join(dir, uploadedName(stored.filename));
        // Content-addressed: an existing file with this name already holds exactly this content.
        if (!existsSync(script)) writeFileSync(script, stored.content, { mode: 0o600 });
        else ensurePrivateFile(script, undefined, { create: false });
      }
      if (!script) throw createError('validation_failed', `connector ${connector} names no python script`);
      const scratchRoot = join(dataDir, 'scratch', tenantId, projectId);
      ensurePrivateDir(scratchRoot);
      return createPythonSource({
        manifest: { ...manifest, python: { ...spec, script } },
        config: values,
        logger: logger.child({ connector }),
        python: config.python,
        sandbox: config.sandbox,
        scratchRoot,
        trust,
        bwrap: config.bwrapPath,
        allowUnsandboxed: config.allowUnsandboxed,
        tenantNetwork: config.tenantNetwork,
        // The proxy honours the private-network switch only for operator code (the source enforces it too).
        allowPrivateNetworks: trust === 'operator' && config.allowPrivateNetworks,
        limits: pythonLimits(config),
        // A script from a server path (the operator's, or a tenant's inside the file roots) may import its
        // siblings; an upload is a single file and gets nothing but itself.
        bindScriptDir: spec.script !== undefined,
      });
    },
  };
}

/** The uploaded file name, made safe to create: `my report.py` → `my_report.py`. */
function uploadedName(filename: string): string {
  const base = basename(filename || 'script.py')
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^\.+/, '');
  const stem = base.replace(/\.py$/i, '').slice(0, 100) || 'script';
  return `${stem}.py`;
}
