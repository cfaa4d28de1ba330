import { createError, isoTime, type Trust } from '../../core/index.js';
import type { ConnectorRecord, ConnectorStatus, ConnectorVersionRecord } from '../../store/store.js';
import type { InstallRequest, InstallResult } from '../types.js';
import type { ConnectorCommandsOptions, RefreshOutcome } from './command-types.js';
import { checkConfig, parseInstallRequest } from './install-input.js';
import { checkInstallName, finishVersion, planInstall } from './install-plan.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { LiveConnector, LiveProject } from './live.js';
import { assertSecretsStayWithOrigin } from './secret-origins.js';

const keyOf = (tenantId: string, projectId: string, name: string): string => `${tenantId}/${projectId}/${name}`;

/** True when two records of one connector hold the same values (key order aside). */
function sameRecord(a: ConnectorRecord, b: ConnectorRecord): boolean {
  return (Object.keys(a) as (keyof ConnectorRecord)[]).every((k) =>
    typeof a[k] === 'object' && a[k] !== null ? JSON.stringify(a[k]) === JSON.stringify(b[k]) : a[k] === b[k],
  );
}

/**
 * Every change of a connector goes through here: one serialised path per connector (a keyed mutex) that
 * writes the store and then the live state, so memory and store cannot disagree. Status and metadata changes
 * write only their columns.
 */
export class ConnectorCommands {
  readonly #o: ConnectorCommandsOptions;
  readonly #mutex = new KeyedMutex();
  readonly #onToolsChanged = (live: LiveConnector): void => void this.#refreshTools(live);

  constructor(options: ConnectorCommandsOptions) {
    this.#o = options;
  }

  /** Runs `fn` serialised with every other change of the connector. */
  serialised<T>(tenantId: string, projectId: string, name: string, fn: () => Promise<T>): Promise<T> {
    return this.#mutex.run(keyOf(tenantId, projectId, name), fn);
  }

  /** Resolves when every queued change has finished. */
  drain(): Promise<void> {
    return this.#mutex.drain();
  }

  /** Installs a connector or a new version of it. See InstallRequest. */
  async install(request: InstallRequest): Promise<InstallResult> {
    // Admission runs before any file of the request is read or anything is started.
    const { manifest, scriptHash } = await parseInstallRequest(request, (m) =>
      this.#o.admit(m, request.trust ?? 'tenant'),
    );
    checkInstallName(request, manifest);
    const { tenantId, projectId } = request;
    return this.serialised(tenantId, projectId, manifest.name, async () => {
      const project = await this.requireProject(tenantId, projectId);
      const existing = project.connectors.get(manifest.name);
      const { maxConnectors } = this.#o;
      if (!existing && project.connectors.size >= maxConnectors) {
        throw createError(
          'limit_exceeded',
          `project ${projectId} already has ${project.connectors.size} connectors (MAX_CONCURRENT_CONNECTORS is ${maxConnectors})`,
          { limit: maxConnectors },
        );
      }
      const plan = await planInstall(request, manifest, scriptHash, existing, async () => {
        const versions = existing ? await this.#o.store.listConnectorVersions(tenantId, projectId, manifest.name) : [];
        const seq = versions.length ? Math.max(...versions.map((v) => v.seq)) + 1 : 1;
        return { seq, taken: new Set(versions.map((v) => v.version)) };
      });
      if (plan.kind !== 'version') {
        if (plan.kind === 'settings') {
          await this.#o.store.updateConnector(plan.record);
          await this.#replace(project, existing, plan.record, existing!.version);
        }
        return { connector: existing!.record, version: existing!.version, changed: false, created: false };
      }
      const { candidate } = plan;
      if (candidate.record.enabled) await this.#o.runner.start(candidate, this.#onToolsChanged);
      finishVersion(candidate, existing);
      try {
        await this.#o.store.saveConnectorVersion(candidate.record, candidate.version);
      } catch (err) {
        await this.#o.runner.stop(candidate);
        throw err;
      }
      // Serve the new version first, then stop the old source: calls running on it finish before it closes.
      if (existing) this.#o.files.unwatch(existing);
      project.connectors.set(manifest.name, candidate);
      this.#o.files.watch(candidate);
      this.#o.live.publish(project);
      if (existing) await this.#o.runner.stop(existing);
      const { seq, diff } = candidate.version;
      this.#o.announce(existing ? 'connector.updated' : 'connector.installed', tenantId, projectId, manifest.name, {
        version: candidate.version.version,
        seq,
        diff,
        status: candidate.record.status,
      });
      return { connector: candidate.record, version: candidate.version, changed: true, created: !existing };
    });
  }

  async setEnabled(tenantId: string, projectId: string, name: string, enabled: boolean): Promise<ConnectorRecord> {
    return this.#change(tenantId, projectId, name, async (project, live) => {
      if (live.record.enabled === enabled) return live.record;
      checkConfig(live.version.manifest, live.record.config, enabled);
      const status = enabled ? 'active' : 'inactive';
      const record: ConnectorRecord = { ...live.record, enabled, status, status_reason: null, updated_at: isoTime() };
      await this.#o.store.updateConnector(record);
      const next = await this.#replace(project, live, record, live.version);
      this.#o.announce(enabled ? 'connector.enabled' : 'connector.disabled', tenantId, projectId, name, {
        status: next.record.status,
      });
      return next.record;
    });
  }

  async uninstall(tenantId: string, projectId: string, name: string): Promise<void> {
    await this.#change(tenantId, projectId, name, async (project, live) => {
      await this.#o.store.deleteConnector(tenantId, projectId, name);
      project.connectors.delete(name);
      await this.#retire(live);
      this.#o.forgetUsage(tenantId, projectId, name);
      this.#o.live.publish(project);
      this.#o.announce('connector.uninstalled', tenantId, projectId, name, { version: live.version.version });
    });
  }

  /** Serves an earlier version again; its content is admitted anew with the caller's trust. */
  async rollback(
    tenantId: string,
    projectId: string,
    name: string,
    seq: number,
    options: { trust?: Trust; reuseSecrets?: boolean } = {},
  ): Promise<ConnectorRecord> {
    const trust = options.trust ?? 'tenant';
    return this.#change(tenantId, projectId, name, async (project, live) => {
      const version = await this.#o.store.getConnectorVersion(tenantId, projectId, name, seq);
      if (!version) throw createError('not_found', `connector ${name} has no version ${seq}`);
      if (version.seq === live.version.seq) return live.record;
      await this.#o.admit(version.manifest, trust);
      const current = { manifest: live.version.manifest, config: live.record.config };
      assertSecretsStayWithOrigin(current, { manifest: version.manifest, config: live.record.config }, options);
      const record: ConnectorRecord = { ...live.record, current_version: seq, trust, updated_at: isoTime() };
      await this.#o.store.updateConnector(record);
      const next = await this.#replace(project, live, record, version);
      this.#o.announce('connector.updated', tenantId, projectId, name, {
        version: version.version,
        seq,
        rollback_from: live.version.seq,
      });
      return next.record;
    });
  }

  /** Merges config values (`null` removes a key) and restarts the source with them. */
  async updateConfig(
    tenantId: string,
    projectId: string,
    name: string,
    patch: Record<string, string | null>,
  ): Promise<ConnectorRecord> {
    return this.#change(tenantId, projectId, name, async (project, live) => {
      const config = { ...live.record.config };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete config[key];
        else config[key] = value;
      }
      checkConfig(live.version.manifest, config, live.record.enabled);
      const current = { manifest: live.version.manifest, config: live.record.config };
      assertSecretsStayWithOrigin(current, { manifest: live.version.manifest, config }, { config: patch });
      const record: ConnectorRecord = { ...live.record, config, updated_at: isoTime() };
      await this.#o.store.updateConnector(record);
      const next = await this.#replace(project, live, record, live.version);
      this.#o.announce('connector.updated', tenantId, projectId, name, { config_keys: Object.keys(config).sort() });
      return next.record;
    });
  }

  /** Replaces a connector's metadata; only the metadata column is written. */
  async setMetadata(
    tenantId: string,
    projectId: string,
    name: string,
    change: (metadata: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<ConnectorRecord> {
    return this.#change(tenantId, projectId, name, async (project, live) => {
      const metadata = change(live.record.metadata);
      const updated_at = isoTime();
      await this.#o.store.updateConnectorMetadata(tenantId, projectId, name, metadata, updated_at);
      live.record = { ...live.record, metadata, updated_at };
      this.#o.live.publish(project);
      return live.record;
    });
  }

  /**
   * Sets the observed status of an enabled connector (health checks, hot reload); emits `status_changed` on a
   * change. Only the status columns are written, so it can never roll back a version or a config.
   */
  async setStatus(
    tenantId: string,
    projectId: string,
    name: string,
    status: ConnectorStatus,
    reason: string | null,
  ): Promise<void> {
    await this.serialised(tenantId, projectId, name, async () => {
      const project = this.#o.live.mutable(tenantId, projectId);
      const live = project?.connectors.get(name);
      if (!project || !live || !live.record.enabled) return;
      if (live.record.status === status && live.record.status_reason === reason) return;
      const previous = live.record.status;
      const updated_at = isoTime();
      await this.#o.store.updateConnectorStatus(tenantId, projectId, name, {
        status,
        status_reason: reason,
        updated_at,
      });
      live.record = { ...live.record, status, status_reason: reason, updated_at };
      this.#o.live.publish(project);
      this.#o.announce('connector.status_changed', tenantId, projectId, name, { from: previous, to: status, reason });
    });
  }

  /**
   * Starts the source of an enabled connector that is not running (it failed to load). Resolves true when the
   * source is running afterwards.
   */
  async restartSource(tenantId: string, projectId: string, name: string): Promise<boolean> {
    return this.serialised(tenantId, projectId, name, async () => {
      const project = this.#o.live.mutable(tenantId, projectId);
      const live = project?.connectors.get(name);
      if (!project || !live || !live.record.enabled) return false;
      if (live.source) return true;
      const next = await this.#replace(project, live, { ...live.record }, live.version);
      if (next.source && live.record.status === 'error') {
        this.#o.announce('connector.status_changed', tenantId, projectId, name, {
          from: 'error',
          to: next.record.status,
          reason: 'source started',
        });
      }
      return next.source !== undefined;
    });
  }

  /** Re-reads one connector from the store (a change made by another node) and applies it. */
  refreshFromStore(tenantId: string, projectId: string, name: string): Promise<RefreshOutcome> {
    return this.serialised(tenantId, projectId, name, async () => {
      const project = this.#o.live.ensure(tenantId, projectId);
      const live = project.connectors.get(name);
      const record = await this.#o.store.getConnector(tenantId, projectId, name);
      if (!record) {
        if (!live) return 'none';
        project.connectors.delete(name);
        await this.#retire(live);
        this.#o.live.publish(project);
        return 'removed';
      }
      if (live && sameRecord(live.record, record)) return 'none';
      const sameRuntime =
        live &&
        live.record.current_version === record.current_version &&
        live.record.enabled === record.enabled &&
        JSON.stringify(live.record.config) === JSON.stringify(record.config);
      if (sameRuntime) {
        live.record = record;
        this.#o.live.publish(project);
        return 'changed';
      }
      const version = await this.#o.store.getConnectorVersion(tenantId, projectId, name, record.current_version);
      if (!version) return 'none';
      await this.#replace(project, live, record, version);
      return 'changed';
    });
  }

  /** Brings a stored connector to life at start (snapshots are published once, after all are restored). */
  async restore(record: ConnectorRecord): Promise<void> {
    const { tenant_id: tenantId, project_id: projectId, name } = record;
    const version = await this.#o.store.getConnectorVersion(tenantId, projectId, name, record.current_version);
    if (!version) {
      this.#o.logger.error({ connector: name }, 'connector has no current version in the store; skipped');
      return;
    }
    await this.serialised(tenantId, projectId, name, () =>
      this.#replace(this.#o.live.ensure(tenantId, projectId), undefined, record, version, false),
    );
  }

  /** Stops the sources and watches of a project's connectors (the project was deleted or the node closes). */
  async stopAll(project: LiveProject): Promise<void> {
    await Promise.allSettled([...project.connectors.values()].map((live) => this.#retire(live)));
  }

  /** The live project, adopting one another node created a moment ago; `not_found` otherwise. */
  async requireProject(tenantId: string, projectId: string): Promise<LiveProject> {
    const live = this.#o.live.mutable(tenantId, projectId);
    if (live) return live;
    if (await this.#o.store.getProject(tenantId, projectId)) {
      const adopted = this.#o.live.ensure(tenantId, projectId);
      this.#o.live.publish(adopted);
      return adopted;
    }
    throw createError('not_found', `project ${projectId} not found`);
  }

  /** Runs a change of an existing connector, serialised; `not_found` when it does not exist. */
  #change<T>(
    tenantId: string,
    projectId: string,
    name: string,
    fn: (project: LiveProject, live: LiveConnector) => Promise<T>,
  ): Promise<T> {
    return this.serialised(tenantId, projectId, name, async () => {
      const project = await this.requireProject(tenantId, projectId);
      const live = project.connectors.get(name);
      if (!live) throw createError('not_found', `connector ${name} not found in project ${projectId}`);
      return fn(project, live);
    });
  }

  /** Swaps a connector to a new record/version: starts the new source first, then stops the old one. */
  async #replace(
    project: LiveProject,
    old: LiveConnector | undefined,
    record: ConnectorRecord,
    version: ConnectorVersionRecord,
    publish = true,
  ): Promise<LiveConnector> {
    const next: LiveConnector = { record, version, tools: [] };
    if (record.enabled) await this.#o.runner.start(next, this.#onToolsChanged);
    if (next.record.status !== record.status || next.record.status_reason !== record.status_reason) {
      const { status, status_reason, updated_at } = next.record;
      await this.#o.store.updateConnectorStatus(record.tenant_id, record.project_id, record.name, {
        status,
        status_reason,
        updated_at,
      });
    }
    // Serve the new version first, then stop the old source: calls running on it finish before it closes.
    if (old) this.#o.files.unwatch(old);
    project.connectors.set(record.name, next);
    this.#o.files.watch(next);
    if (publish) this.#o.live.publish(project);
    if (old) await this.#o.runner.stop(old);
    return next;
  }

  async #retire(live: LiveConnector): Promise<void> {
    this.#o.files.unwatch(live);
    await this.#o.runner.stop(live);
  }

  /** The source's own tool list changed (upstream MCP): re-load it, serialised with the connector's changes. */
  async #refreshTools(live: LiveConnector): Promise<void> {
    const { tenant_id: tenantId, project_id: projectId, name } = live.record;
    await this.serialised(tenantId, projectId, name, async () => {
      const project = this.#o.live.mutable(tenantId, projectId);
      if (!live.source || project?.connectors.get(name) !== live) return;
      try {
        const definitions = await live.source.load();
        live.tools = definitions.map((d) => this.#o.runner.register(name, d));
        this.#o.live.publish(project);
        this.#o.announce('connector.reloaded', tenantId, projectId, name, { reason: 'tools changed upstream' });
      } catch (err) {
        this.#o.logger.warn({ connector: name, err: (err as Error).message }, 'tool list refresh failed');
      }
    });
  }
}
