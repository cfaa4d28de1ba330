import { createError } from '../../core/index.js';
import type { ConnectorManifest } from '../../manifest/types.js';

/**
 * Secrets follow their origin. A stored config value was given for the places the connector version it was
 * given with sends it to (an HTTP API origin, an OAuth token endpoint origin, an upstream MCP URL origin or
 * stdio command). A new version — or a config change, when `base_url` is itself a template — that would send
 * a stored value anywhere else gets it only when the request re-sends it or says `reuse_secrets: true`.
 */

/** One side of a comparison: a manifest and the config values it would run with. */
export interface ConfiguredManifest {
  manifest: ConnectorManifest;
  config: Record<string, string>;
}

const REFERENCE = /\$\{config\.([A-Za-z0-9_.-]+)\}/g;

/** Where each config key would be sent: key → the set of targets (`https://host:port`, `stdio:cmd`). */
export function configTargets({ manifest, config }: ConfiguredManifest): Map<string, Set<string>> {
  const value = (key: string): string | undefined => config[key] ?? manifest.config[key]?.default;
  const resolve = (text: string): string => text.replace(REFERENCE, (_m, key: string) => value(key) ?? '');
  const targets = new Map<string, Set<string>>();
  const add = (target: string, texts: unknown): void => {
    for (const key of referencedKeys(texts)) {
      let set = targets.get(key);
      if (!set) targets.set(key, (set = new Set()));
      set.add(target);
    }
  };
  if (manifest.kind === 'http' && manifest.http) {
    const { http } = manifest;
    const api = originOf(resolve(http.base_url));
    if (http.auth.type === 'oauth2_client_credentials') {
      const { token_url, ...rest } = http.auth;
      add(originOf(resolve(token_url)), [token_url, rest]);
    } else add(api, http.auth);
    // Everything else that can hold a reference (base_url, headers, tool mappings) reaches the API origin.
    add(api, [http.base_url, http.headers, manifest.tools.map((t) => t.http)]);
  } else if (manifest.kind === 'mcp' && manifest.mcp) {
    const { mcp } = manifest;
    const target = mcp.url !== undefined ? originOf(resolve(mcp.url)) : `stdio:${resolve(mcp.command ?? '')}`;
    add(target, mcp);
  }
  return targets;
}

/**
 * The stored keys the next version would send somewhere the current one does not, and that the request did
 * not re-send. Empty when nothing changes place (or there is no current version).
 */
export function secretsNeedingResend(
  current: ConfiguredManifest | undefined,
  next: ConfiguredManifest,
  resent: Iterable<string>,
): string[] {
  if (!current) return [];
  const given = new Set(resent);
  const before = configTargets(current);
  const after = configTargets(next);
  const keys: string[] = [];
  for (const key of Object.keys(current.config)) {
    // Values both versions declare non-secret may move freely; undeclared ones are treated as secrets.
    if (
      given.has(key) ||
      (current.manifest.config[key]?.secret === false && next.manifest.config[key]?.secret === false)
    )
      continue;
    const was = before.get(key) ?? new Set<string>();
    const goes = after.get(key);
    if (goes && [...goes].some((target) => !was.has(target))) keys.push(key);
  }
  return keys.sort();
}

/**
 * Throws `secrets_required` (409) naming the stored keys that would reach a new origin, unless the request
 * re-sent them or `reuseSecrets` is set. Call before anything is written.
 */
export function assertSecretsStayWithOrigin(
  current: ConfiguredManifest | undefined,
  next: ConfiguredManifest,
  request: { config?: Record<string, string | null>; reuseSecrets?: boolean },
): void {
  if (request.reuseSecrets) return;
  const keys = secretsNeedingResend(current, next, Object.keys(request.config ?? {}));
  if (keys.length === 0) return;
  throw createError(
    'secrets_required',
    `connector ${next.manifest.name} would send stored config value(s) ${keys.join(', ')} to a different origin; ` +
      're-send them in config, or set reuse_secrets: true to carry them over',
    {
      keys,
      issues: keys.map((key) => ({ pointer: `/config/${key}`, message: 'must be re-sent: its target origin changed' })),
    },
  );
}

function referencedKeys(node: unknown): Set<string> {
  const keys = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') for (const m of value.matchAll(REFERENCE)) keys.add(m[1] ?? '');
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(node);
  return keys;
}

/** `scheme://host:port` of a URL, or the text itself when it is not one (compared verbatim then). */
function originOf(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}`;
  } catch {
    return `unparsed:${text}`;
  }
}
