import { resolve } from 'node:path';
import { createError, isoTime, sha256 } from '../../core/index.js';
import { canonicalManifestHash, diffTools, toToolDefinitions } from '../../manifest/index.js';
import type { ConnectorManifest } from '../../manifest/types.js';
import type { ConnectorRecord } from '../../store/store.js';
import type { InstallRequest } from '../types.js';
import { checkConfig, toManifestTool } from './install-input.js';
import type { LiveConnector } from './live.js';
import { assertSecretsStayWithOrigin } from './secret-origins.js';

/** What an install will do, decided before anything is written. */
export type InstallPlan =
  | { kind: 'unchanged' }
  /** Same content, other config / enablement / file: the connector row changes, no new version. */
  | { kind: 'settings'; record: ConnectorRecord }
  /** A new version (or the first one) with sequence number `seq`. */
  | { kind: 'version'; candidate: LiveConnector };

/** Refuses a manifest that names another connector than the request asks for (validate before acting). */
export function checkInstallName(request: InstallRequest, manifest: ConnectorManifest): void {
  if (request.name === undefined || manifest.name === request.name) return;
  throw createError('validation_failed', `the manifest names connector ${manifest.name}, not ${request.name}`, {
    issues: [{ pointer: '/manifest/name', message: `must equal name (${request.name})` }],
    manifest_name: manifest.name,
  });
}

/** Compares the request with the connector it would replace and plans the install (no side effects). */
export function planInstall(
  request: InstallRequest,
  manifest: ConnectorManifest,
  scriptHash: string,
  existing: Readonly<LiveConnector> | undefined,
  /** The next sequence number and the version strings the connector's history already holds. */
  nextSeq: () => Promise<{ seq: number; taken: ReadonlySet<string> }>,
): Promise<InstallPlan> | InstallPlan {
  const config = { ...(existing?.record.config ?? {}), ...(request.config ?? {}) };
  // Stored secrets never follow a new version to another origin unless re-sent or explicitly allowed.
  const current = existing && { manifest: existing.version.manifest, config: existing.record.config };
  assertSecretsStayWithOrigin(current, { manifest, config }, request);
  const hash = scriptHash
    ? sha256(`${canonicalManifestHash(manifest)}:${scriptHash}`)
    : canonicalManifestHash(manifest);
  const enabled = request.enabled ?? existing?.record.enabled ?? true;
  const trust = request.trust ?? 'tenant';
  // A disabled connector may wait for its secrets; enabling it checks them.
  checkConfig(manifest, config, enabled);
  const filePath = request.filePath ? resolve(request.filePath) : (existing?.record.source_path ?? null);
  const now = isoTime();
  if (existing && existing.version.hash === hash) {
    const sameConfig = JSON.stringify(existing.record.config) === JSON.stringify(config);
    const sameState = existing.record.enabled === enabled && existing.record.trust === trust;
    if (sameConfig && sameState && existing.record.source_path === filePath) {
      return { kind: 'unchanged' };
    }
    return {
      kind: 'settings',
      record: { ...existing.record, config, enabled, trust, source_path: filePath, updated_at: now },
    };
  }
  const reusesVersion = existing !== undefined && baseVersion(existing.version.version) === manifest.version;
  if (reusesVersion && !request.force && !request.reload) {
    throw createError(
      'conflict',
      `connector ${manifest.name} version ${manifest.version} is installed with different content; bump "version" or pass force`,
      { connector: manifest.name, version: manifest.version },
    );
  }
  return nextSeq().then(({ seq, taken }) => ({
    kind: 'version',
    candidate: {
      record: {
        tenant_id: request.tenantId,
        project_id: request.projectId,
        name: manifest.name,
        kind: manifest.kind,
        enabled,
        status: enabled ? 'active' : 'inactive',
        status_reason: null,
        current_version: seq,
        source_path: filePath,
        config,
        trust,
        metadata: { ...(existing?.record.metadata ?? {}), ...(request.metadata ?? {}) },
        created_at: existing?.record.created_at ?? now,
        updated_at: now,
      },
      version: {
        tenant_id: request.tenantId,
        project_id: request.projectId,
        connector_name: manifest.name,
        seq,
        // Hot reload keeps version strings unique per connector: a string already recorded gets a label.
        version: request.reload && taken.has(manifest.version) ? reloadLabel(manifest.version, seq) : manifest.version,
        hash,
        manifest,
        diff: { added: [], removed: [], changed: [] },
        source_path: filePath,
        created_at: now,
      },
      tools: [],
    },
  }));
}

/**
 * Completes a started candidate's version: python and MCP connectors discover their tools, so the version
 * keeps what was discovered (diffs and rollbacks describe the tools actually served).
 */
export function finishVersion(candidate: LiveConnector, previous: Readonly<LiveConnector> | undefined): void {
  const manifest = candidate.version.manifest;
  const served = candidate.source ? candidate.tools.map((t) => t.definition) : toToolDefinitions(manifest);
  const versionManifest: ConnectorManifest =
    manifest.tools.length === 0 && candidate.source ? { ...manifest, tools: served.map(toManifestTool) } : manifest;
  candidate.version = {
    ...candidate.version,
    manifest: versionManifest,
    diff: diffTools(previous ? toToolDefinitions(previous.version.manifest) : [], toToolDefinitions(versionManifest)),
  };
}

const RELOAD_SUFFIX = /[+.]reload\.\d+$/;

/** The version a manifest declared, without the hot reload label: `1.0.0+reload.3` → `1.0.0`. */
export function baseVersion(version: string): string {
  return version.replace(RELOAD_SUFFIX, '');
}

/** The label of a hot-reloaded version that kept its version string: `1.0.0` → `1.0.0+reload.3`. */
export function reloadLabel(version: string, seq: number): string {
  return `${version}${version.includes('+') ? '.' : '+'}reload.${seq}`;
}
