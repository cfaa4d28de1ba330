import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { createError, ensurePrivateDir, ensurePrivateFile, type Logger } from '../core/index.js';
import type { SourceFactories } from '../registry/index.js';
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
    http: ({ manifest, config: values, connector }) =>
      createHttpSource({
        manifest,
        config: values,
        allowPrivateNetworks: config.allowPrivateNetworks,
        logger: logger.child({ connector }),
      }),
    mcp: ({ manifest, config: values, connector }) =>
      createMcpSource({
        manifest,
        config: values,
        allowPrivateNetworks: config.allowPrivateNetworks,
        logger: logger.child({ connector }),
      }),
    python: async ({ tenantId, projectId, connector, manifest, config: values }) => {
      const spec = manifest.python;
      if (!spec) throw createError('validation_failed', `connector ${connector} has no python section`);
      let script = spec.script;
      if (!script && spec.script_id) {
        const stored = await store.getScript(tenantId, spec.script_id);
        if (!stored) throw createError('not_found', `script ${spec.script_id} is not stored for this tenant`);
        const dir = join(dataDir, 'scripts', tenantId);
        ensurePrivateDir(dir);
        script = join(dir, `${stored.id}.py`);
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
      });
    },
  };
}
