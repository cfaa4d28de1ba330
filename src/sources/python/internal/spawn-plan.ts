import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createError, type Logger } from '../../../core/index.js';
import type { ConnectorManifest, PythonConnectorSpec } from '../../../manifest/types.js';

import { baseEnv, bwrapArgs, type PythonInstall, sandboxRunnerArgs } from './sandbox.js';
import type { SpawnSpec } from './worker.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The environment variables a connector's declared config keys become (`env` name or the key). */
export function configEnv(
  manifest: ConnectorManifest,
  config: Record<string, string>,
  logger: Logger,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, spec] of Object.entries(manifest.config)) {
    const value = config[key] ?? spec.default;
    if (value === undefined) continue;
    const name = spec.env ?? key;
    if (!ENV_NAME.test(name)) {
      logger.warn({ key }, 'python config key is not a valid environment variable name; not passed');
      continue;
    }
    env[name] = value;
  }
  return env;
}

/** The runner's own arguments for `serve`, from the connector's python spec. */
export function serveArgs(manifest: ConnectorManifest, spec: PythonConnectorSpec, script: string): string[] {
  const args = ['serve', script];
  if (spec.mode === 'script') {
    args.push('--mode', 'script', '--params-json', JSON.stringify(spec.parameters));
    args.push('--tool-name', spec.tool_name ?? manifest.name);
    if (manifest.description) args.push('--description', manifest.description);
  } else if (spec.functions.length > 0) {
    args.push('--functions', spec.functions.join(','));
  }
  if (spec.memory_mb > 0) args.push('--memory-mb', String(spec.memory_mb));
  return args;
}

/** Everything needed to start workers of one source, sandboxed or not. */
export function createSpawnSpec(input: {
  install: PythonInstall;
  runner: string;
  runnerDir: string;
  script: string;
  scratch: string;
  runnerArgs: string[];
  secretsEnv: Record<string, string>;
  sandboxed: boolean;
  allowNetwork: boolean;
}): SpawnSpec {
  const base = baseEnv(input.install, input.scratch);
  if (!input.sandboxed) {
    return {
      command: input.install.executable,
      args: [input.runner, ...input.runnerArgs],
      env: { ...base, ...input.secretsEnv },
      cwd: input.scratch,
    };
  }
  const sandbox = bwrapArgs({
    install: input.install,
    runnerDir: input.runnerDir,
    script: input.script,
    scratch: input.scratch,
    allowNetwork: input.allowNetwork,
    baseEnv: base,
  });
  const hasSecrets = Object.keys(input.secretsEnv).length > 0;
  return {
    command: 'bwrap',
    args: [...sandbox, input.install.executable, input.runner, ...input.runnerArgs, ...sandboxRunnerArgs()],
    // bwrap itself gets the scrubbed env too; --clearenv then leaves the sandbox only --setenv values.
    env: base,
    cwd: input.scratch,
    // Config values (secrets) travel in a 0600 file the runner deletes on start, never in argv
    // (bwrap --setenv would show them in the process list).
    prepare: hasSecrets
      ? () => {
          const file = join(input.scratch, `.toolport-env-${randomBytes(8).toString('hex')}.json`);
          try {
            writeFileSync(file, JSON.stringify(input.secretsEnv), { mode: 0o600 });
          } catch (err) {
            throw createError('upstream_unavailable', 'cannot write the python worker env file', {}, err);
          }
          return ['--env-file', file];
        }
      : undefined,
  };
}
