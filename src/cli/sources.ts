import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Config } from '../config/index.js';
import { createError, type Logger } from '../core/index.js';
import { matchAllowedCommand, type SourceFactories } from '../registry/index.js';
import { createHttpSource } from '../sources/http/index.js';
import { createMcpSource } from '../sources/mcp/index.js';
import { createPythonSource } from '../sources/python/index.js';
import type { Store } from '../store/index.js';

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
        },
        allowPrivateNetworks: config.allowPrivateNetworks,
        logger: logger.child({ connector }),
      });
    },
    python: async ({ tenantId, projectId, connector, manifest, config: values }) => {
      const spec = manifest.python;
      if (!spec) throw createError('validation_failed', `connector ${connector} has no python section`);
      let script = spec.script;
      if (!script && spec.script_id) {
        const stored = await store.getScript(tenantId, spec.script_id);
        if (!stored) throw createError('not_found', `script ${spec.script_id} is not stored for this tenant`);
        const dir = join(dataDir, 'scripts', tenantId);
        mkdirSync(dir, { recursive: true });
        script = join(dir, `${stored.id}.py`);
        // Content-addressed: an existing file with this name already holds exactly this content.
        if (!existsSync(script)) writeFileSync(script, stored.content, { mode: 0o600 });
      }
      if (!script) throw createError('validation_failed', `connector ${connector} names no python script`);
      const scratchRoot = join(dataDir, 'scratch', tenantId, projectId);
      mkdirSync(scratchRoot, { recursive: true });
      return createPythonSource({
        manifest: { ...manifest, python: { ...spec, script } },
        config: values,
        logger: logger.child({ connector }),
        python: config.python,
        sandbox: config.sandbox,
        scratchRoot,
      });
    },
  };
}
