import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createError, type Logger } from '../../../core/index.js';
import type { ConnectorManifest, PythonConnectorSpec } from '../../../manifest/types.js';

import type { CgroupManager, TreeLimits } from '../../../sandbox/index.js';
import { baseEnv, bwrapArgs, type PythonInstall, SANDBOX_PRIVATE_DIR, sandboxRunnerArgs } from './sandbox.js';
import type { SpawnSpec } from './worker.js';

/** How a worker reaches the network: not at all, the host's network, or only through the egress proxy. */
export type NetworkMode = 'none' | 'shared' | 'proxy';

/** The egress socket's name in the private folder (bound at `/run/toolport` in the sandbox). */
export const EGRESS_SOCKET = 'egress.sock';

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
  /** Kept for callers of the boolean form: true means `network: 'shared'`. */
  allowNetwork?: boolean;
  network?: NetworkMode;
  /** The bubblewrap command (`bwrap` on PATH by default). */
  bwrap?: string;
  /** Host folder for env files and the egress socket, bound read-only in the sandbox. */
  privateDir?: string;
  scratchMb?: number;
  bindScriptDir?: boolean;
  /** Tree limits and the cgroups enforcing them (a jail per worker); none = unconfined. */
  limits?: { tree: TreeLimits; cgroups: CgroupManager | null };
}): SpawnSpec {
  const base = baseEnv(input.install, input.scratch);
  const network = input.network ?? (input.allowNetwork ? 'shared' : 'none');
  if (!input.sandboxed) {
    return {
      command: input.install.executable,
      args: [input.runner, ...input.runnerArgs],
      env: { ...base, ...input.secretsEnv },
      cwd: input.scratch,
      ...(input.limits ? { limits: input.limits } : {}),
    };
  }
  const sandbox = bwrapArgs({
    install: input.install,
    runnerDir: input.runnerDir,
    script: input.script,
    bindScriptDir: input.bindScriptDir ?? false,
    scratch: input.scratch,
    ...(input.scratchMb ? { scratchMb: input.scratchMb } : {}),
    ...(input.privateDir ? { privateDir: input.privateDir } : {}),
    allowNetwork: network === 'shared',
    baseEnv: base,
  });
  // With egress the sandbox's entry point is the forwarder, which then runs the runner in-process.
  const entry =
    network === 'proxy'
      ? [
          join(input.runnerDir, 'toolport_egress.py'),
          '--socket',
          `${SANDBOX_PRIVATE_DIR}/${EGRESS_SOCKET}`,
          '--',
          input.runner,
        ]
      : [input.runner];
  const hasSecrets = Object.keys(input.secretsEnv).length > 0;
  // Config values (secrets) travel in a 0600 file, never in argv (bwrap --setenv would show them in the
  // process list). It lives in the private folder (the scratch is the sandbox's own tmpfs) and is removed
  // once the worker has started; the runner deletes it too where it can.
  const envDir = input.privateDir ?? input.scratch;
  const envDirInside = input.privateDir ? SANDBOX_PRIVATE_DIR : input.scratch;
  return {
    command: input.bwrap ?? 'bwrap',
    args: [...sandbox, input.install.executable, ...entry, ...input.runnerArgs, ...sandboxRunnerArgs()],
    // bwrap itself gets the scrubbed env too; --clearenv then leaves the sandbox only --setenv values.
    env: base,
    cwd: input.scratch,
    ...(input.limits ? { limits: input.limits } : {}),
    prepare: hasSecrets
      ? () => {
          const name = `.toolport-env-${randomBytes(8).toString('hex')}.json`;
          const file = join(envDir, name);
          try {
            writeFileSync(file, JSON.stringify(input.secretsEnv), { mode: 0o600 });
          } catch (err) {
            throw createError('upstream_unavailable', 'cannot write the python worker env file', {}, err);
          }
          return { args: ['--env-file', join(envDirInside, name)], cleanup: () => rmSync(file, { force: true }) };
        }
      : undefined,
  };
}
