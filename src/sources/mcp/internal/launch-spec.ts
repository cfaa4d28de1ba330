import { createError, type ValidationIssue, validationError } from '../../../core/index.js';
import type { ConnectorManifest } from '../../../manifest/types.js';

/** How to reach the upstream, with every `${config.KEY}` resolved. Holds secrets: never log it whole. */
export type LaunchSpec =
  | { transport: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | { transport: 'http'; url: URL; headers: Record<string, string> };

const REFERENCE = /\$\{config\.([A-Za-z_][A-Za-z0-9_]*)\}/g;
/** The only variables a stdio child inherits from the server: enough to find and run a program. */
const BASE_ENV_KEYS = ['PATH', 'HOME', 'LANG'] as const;

/**
 * Resolves the manifest's `mcp` section against config values (install values, then manifest defaults).
 * Throws `validation_failed` naming the field when a referenced key has no value or the section is unusable.
 */
export function resolveLaunchSpec(manifest: ConnectorManifest, config: Record<string, string>): LaunchSpec {
  const spec = manifest.mcp;
  if (manifest.kind !== 'mcp' || !spec) {
    throw createError('validation_failed', `connector ${manifest.name} is not an mcp connector (no mcp section)`);
  }
  const issues: ValidationIssue[] = [];
  const resolve = (text: string, pointer: string): string =>
    text.replace(REFERENCE, (_match, key: string) => {
      const value = config[key] ?? manifest.config[key]?.default;
      if (value === undefined) {
        // The key name is safe to show; a value never is.
        issues.push({ pointer, message: `config key ${key} has no value` });
        return '';
      }
      return value;
    });
  const resolveMap = (map: Record<string, string>, base: string): Record<string, string> =>
    Object.fromEntries(Object.entries(map).map(([k, v]) => [k, resolve(v, `${base}/${k}`)]));

  let launch: LaunchSpec;
  if (spec.command !== undefined && spec.url === undefined) {
    const env: Record<string, string> = {};
    for (const key of BASE_ENV_KEYS) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
    Object.assign(env, resolveMap(spec.env, '/mcp/env'));
    launch = {
      transport: 'stdio',
      command: resolve(spec.command, '/mcp/command'),
      args: spec.args.map((a, i) => resolve(a, `/mcp/args/${i}`)),
      env,
      ...(spec.cwd !== undefined ? { cwd: resolve(spec.cwd, '/mcp/cwd') } : {}),
    };
  } else if (spec.url !== undefined && spec.command === undefined) {
    const text = resolve(spec.url, '/mcp/url');
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      issues.push({ pointer: '/mcp/url', message: 'is not an absolute URL' });
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:') {
      issues.push({ pointer: '/mcp/url', message: 'must be an http(s) URL' });
    }
    launch = {
      transport: 'http',
      url: url ?? new URL('http://invalid'),
      headers: resolveMap(spec.headers, '/mcp/headers'),
    };
  } else {
    issues.push({ pointer: '/mcp', message: 'exactly one of command or url is required' });
    launch = { transport: 'http', url: new URL('http://invalid'), headers: {} };
  }
  if (issues.length) throw validationError(`connector ${manifest.name} cannot start its upstream`, issues);
  return launch;
}

/** A log-safe description of the upstream: the command name or the URL origin, never args, env or headers. */
export function describeLaunch(launch: LaunchSpec): string {
  return launch.transport === 'stdio' ? launch.command : `${launch.url.origin}${launch.url.pathname}`;
}
