import { resolve } from 'node:path';
import {
  createError,
  isToolportError,
  isoTime,
  sha256,
  silentLogger,
  textResult,
  type InvokeContext,
  type Logger,
  type ToolCallResult,
} from '../core/index.js';
import { canonicalManifestHash, diffTools, toToolDefinitions } from '../manifest/index.js';
import type { ConnectorManifest } from '../manifest/types.js';
import type { ChangeNotice, ConnectorRecord, ConnectorVersionRecord, Store } from '../store/store.js';
import { EventBus } from './internal/event-bus.js';
import { HotReload, type ReloadResult } from './internal/hot-reload.js';
import { checkConfig, parseInstallRequest, toManifestTool } from './internal/install-input.js';
import { KeyedMutex } from './internal/keyed-mutex.js';
import { buildSnapshot, type LiveConnector, type LiveProject } from './internal/live.js';
import { assertSecretsStayWithOrigin } from './internal/secret-origins.js';
import { SourceRunner } from './internal/source-runner.js';
import { UsageRecorder } from './internal/usage.js';
import { ValidatorCache } from './internal/validators.js';
import type { SourceFactories } from './source-factory.js';
import type { InstallRequest, InstallResult, ProjectSnapshot, RegistryEvent, RegistryEventType } from './types.js';

/** Options of the registry core. */
export interface RegistryCoreOptions {
  store: Store;
  sources: SourceFactories;
  logger?: Logger;
  /** Identifies this node in change notices (multi-node PostgreSQL deployments). */
  nodeId: string;
  maxConnectorsPerProject?: number;
  usageFlushMs?: number;
  hotReload?: boolean;
  /** How long a source may take to load before the connector is marked `error`. */
  loadTimeoutMs?: number;
  /** Hot reload debounce per file. */
  reloadDebounceMs?: number;
}

/** Something that wraps every tool call (circuit breaker, metrics, tracing). */
export interface CallInterceptor {
  /** Throws ToolportError('upstream_unavailable') to fail fast; returns a token passed to `after`. */
  before(tenantId: string, projectId: string, connector: string, tool: string): unknown;
  after(token: unknown, result: ToolCallResult, elapsedMs: number): void;
}

const projectKey = (tenantId: string, projectId: string): string => `${tenantId}/${projectId}`;
const connectorKey = (tenantId: string, projectId: string, name: string): string => `${tenantId}/${projectId}/${name}`;

/**
 * The registry core: projects, connectors, versions, live sources and immutable per-project snapshots.
 * Mutations are serialised per connector; readers (`getSnapshot`, `callTool`) never wait on them.
 */
export class RegistryCore {
  readonly store: Store;
  readonly logger: Logger;
  readonly events = new EventBus();
  readonly usage: UsageRecorder;
  readonly projects = new Map<string, LiveProject>();
  readonly nodeId: string;
  readonly maxConnectors: number;
  readonly #mutex = new KeyedMutex();
  readonly #runner: SourceRunner;
  readonly #hot: HotReload;
  readonly #onToolsChanged = (live: LiveConnector): void => void this.#refreshTools(live);
  #interceptors: CallInterceptor[] = [];
  #revision = 0;
  #unsubscribeStore: (() => void) | undefined;
  #closed = false;

  constructor(options: RegistryCoreOptions) {
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
    this.nodeId = options.nodeId;
    this.maxConnectors = options.maxConnectorsPerProject ?? 100;
    this.usage = new UsageRecorder(this.store, this.logger, options.usageFlushMs ?? 2_000);
    this.#runner = new SourceRunner({
      sources: options.sources,
      validators: new ValidatorCache(),
      logger: this.logger,
      loadTimeoutMs: options.loadTimeoutMs ?? 30_000,
    });
    this.#hot = new HotReload(this, { watch: options.hotReload === true, debounceMs: options.reloadDebounceMs ?? 15 });
  }

  /** Loads every project and connector from the store and starts enabled sources. */
  async start(): Promise<void> {
    // Subscribe before reading: a change made by another node while this one loads is applied, not lost.
    this.#unsubscribeStore = this.store.onChange((notice) => void this.#onNotice(notice));
    await this.store.listening();
    await this.usage.load();
    for (const project of await this.store.listProjects()) this.#ensureLiveProject(project.tenant_id, project.id);
    const records = await this.store.listConnectors();
    const queue = [...records];
    const worker = async (): Promise<void> => {
      for (let record = queue.shift(); record; record = queue.shift()) await this.#restore(record);
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    for (const live of this.projects.values()) this.#publishSnapshot(live);
  }

  /** Stops watchers, flushes usage and closes every source. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribeStore?.();
    this.#hot.close();
    await this.#mutex.drain();
    await this.usage.close();
    const closing: Promise<void>[] = [];
    for (const project of this.projects.values()) {
      for (const live of project.connectors.values()) closing.push(this.#runner.stop(live));
    }
    await Promise.allSettled(closing);
  }

  /** Adds a wrapper around every tool call (circuit breaker, metrics, tracing). */
  addInterceptor(interceptor: CallInterceptor): void {
    this.#interceptors = [...this.#interceptors, interceptor];
  }

  // ── ToolProvider ────────────────────────────────────────────────────────────────────────────────

  getSnapshot(tenantId: string, projectId: string): ProjectSnapshot | undefined {
    return this.projects.get(projectKey(tenantId, projectId))?.snapshot;
  }

  subscribe(listener: (event: RegistryEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  /** Recent events after `afterId` (for `Last-Event-ID` resumption). */
  eventsSince(afterId: number): RegistryEvent[] {
    return this.events.since(afterId);
  }

  async callTool(
    tenantId: string,
    projectId: string,
    connector: string,
    tool: string,
    args: Record<string, unknown>,
    ctx?: InvokeContext,
  ): Promise<ToolCallResult> {
    const live = this.projects.get(projectKey(tenantId, projectId))?.connectors.get(connector);
    const source = live?.record.enabled ? live.source : undefined;
    if (!source) throw createError('tool_not_found', `connector ${connector} is not serving tools`);
    const started = performance.now();
    const interceptors = this.#interceptors;
    const tokens: unknown[] = [];
    let result: ToolCallResult;
    try {
      for (const interceptor of interceptors) tokens.push(interceptor.before(tenantId, projectId, connector, tool));
      result = await source.invoke(tool, args, ctx);
    } catch (err) {
      result = textResult(this.#safeFailure(err, connector, tool), true);
    }
    const elapsed = performance.now() - started;
    for (let i = 0; i < tokens.length; i++) interceptors[i]!.after(tokens[i], result, elapsed);
    this.usage.record(tenantId, projectId, connector, tool, elapsed, result.isError === true);
    return result;
  }

  // ── Projects (live state only; CRUD is in internal/projects.ts) ──────────────────────────────────

  /** Makes a stored project live on this node (idempotent) and publishes its snapshot. */
  adoptProject(tenantId: string, projectId: string): void {
    this.#publishSnapshot(this.#ensureLiveProject(tenantId, projectId));
  }

  /** Forgets a deleted project on this node: stops its sources and watches, drops its usage. */
  async dropProject(tenantId: string, projectId: string): Promise<void> {
    const live = this.projects.get(projectKey(tenantId, projectId));
    this.projects.delete(projectKey(tenantId, projectId));
    for (const connector of live?.connectors.values() ?? []) {
      this.#hot.unwatch(connector);
      await this.#runner.stop(connector);
    }
    this.usage.forget(tenantId, projectId);
  }

  // ── Connectors ──────────────────────────────────────────────────────────────────────────────────

  /** Installs a connector or a new version of it. See InstallRequest. */
  async install(request: InstallRequest): Promise<InstallResult> {
    const { manifest, scriptHash } = await parseInstallRequest(request);
    const { tenantId, projectId } = request;
    return this.#mutex.run(connectorKey(tenantId, projectId, manifest.name), () =>
      this.#installLocked(request, manifest, scriptHash),
    );
  }

  async #installLocked(
    request: InstallRequest,
    manifest: ConnectorManifest,
    scriptHash: string,
  ): Promise<InstallResult> {
    const { tenantId, projectId } = request;
    const project = await this.#requireProject(tenantId, projectId);
    const existing = project.connectors.get(manifest.name);
    if (!existing && project.connectors.size >= this.maxConnectors) {
      throw createError(
        'limit_exceeded',
        `project ${projectId} already has ${project.connectors.size} connectors (MAX_CONCURRENT_CONNECTORS is ${this.maxConnectors})`,
        { limit: this.maxConnectors },
      );
    }
    const config = { ...(existing?.record.config ?? {}), ...(request.config ?? {}) };
    const current = existing && { manifest: existing.version.manifest, config: existing.record.config };
    assertSecretsStayWithOrigin(current, { manifest, config }, request);
    const hash = scriptHash
      ? sha256(`${canonicalManifestHash(manifest)}:${scriptHash}`)
      : canonicalManifestHash(manifest);
    const enabled = request.enabled ?? existing?.record.enabled ?? true;
    // A disabled connector may wait for its secrets; enabling it checks them.
    checkConfig(manifest, config, enabled);
    const filePath = request.filePath ? resolve(request.filePath) : (existing?.record.source_path ?? null);
    const now = isoTime();

    if (existing && existing.version.hash === hash) {
      const sameConfig = JSON.stringify(existing.record.config) === JSON.stringify(config);
      if (sameConfig && existing.record.enabled === enabled && existing.record.source_path === filePath) {
        return { connector: existing.record, version: existing.version, changed: false, created: false };
      }
      const record: ConnectorRecord = { ...existing.record, config, enabled, source_path: filePath, updated_at: now };
      await this.store.updateConnector(record);
      await this.#replace(project, existing, record, existing.version);
      return { connector: existing.record, version: existing.version, changed: false, created: false };
    }
    if (existing && existing.version.version === manifest.version && !request.force) {
      throw createError(
        'conflict',
        `connector ${manifest.name} version ${manifest.version} is installed with different content; bump "version" or pass force`,
        { connector: manifest.name, version: manifest.version },
      );
    }

    const previousSeqs = existing
      ? (await this.store.listConnectorVersions(tenantId, projectId, manifest.name)).map((v) => v.seq)
      : [];
    const seq = previousSeqs.length ? Math.max(...previousSeqs) + 1 : 1;
    const record: ConnectorRecord = {
      tenant_id: tenantId,
      project_id: projectId,
      name: manifest.name,
      kind: manifest.kind,
      enabled,
      status: enabled ? 'active' : 'inactive',
      status_reason: null,
      current_version: seq,
      source_path: filePath,
      config,
      metadata: { ...(existing?.record.metadata ?? {}), ...(request.metadata ?? {}) },
      created_at: existing?.record.created_at ?? now,
      updated_at: now,
    };
    const candidate: LiveConnector = {
      record,
      version: {
        tenant_id: tenantId,
        project_id: projectId,
        connector_name: manifest.name,
        seq,
        version: manifest.version,
        hash,
        manifest,
        diff: { added: [], removed: [], changed: [] },
        source_path: filePath,
        created_at: now,
      },
      tools: [],
    };
    if (enabled) await this.#runner.start(candidate, this.#onToolsChanged);
    // Python and MCP connectors discover their tools: the version keeps what was discovered, so diffs and
    // rollbacks describe the tools actually served.
    const served = candidate.source ? candidate.tools.map((t) => t.definition) : toToolDefinitions(manifest);
    const versionManifest: ConnectorManifest =
      manifest.tools.length === 0 && candidate.source ? { ...manifest, tools: served.map(toManifestTool) } : manifest;
    candidate.version = {
      ...candidate.version,
      manifest: versionManifest,
      diff: diffTools(existing ? toToolDefinitions(existing.version.manifest) : [], toToolDefinitions(versionManifest)),
    };
    try {
      await this.store.saveConnectorVersion(candidate.record, candidate.version);
    } catch (err) {
      await this.#runner.stop(candidate);
      throw err;
    }
    if (existing) {
      this.#hot.unwatch(existing);
      await this.#runner.stop(existing);
    }
    project.connectors.set(manifest.name, candidate);
    this.#hot.watch(candidate);
    this.#publishSnapshot(project);
    this.emit(existing ? 'connector.updated' : 'connector.installed', tenantId, projectId, manifest.name, {
      version: manifest.version,
      seq,
      diff: candidate.version.diff,
      status: candidate.record.status,
    });
    return { connector: candidate.record, version: candidate.version, changed: true, created: !existing };
  }

  async setEnabled(tenantId: string, projectId: string, name: string, enabled: boolean): Promise<ConnectorRecord> {
    return this.#mutex.run(connectorKey(tenantId, projectId, name), async () => {
      const { project, live } = await this.#requireConnector(tenantId, projectId, name);
      if (live.record.enabled === enabled) return live.record;
      checkConfig(live.version.manifest, live.record.config, enabled);
      const record: ConnectorRecord = {
        ...live.record,
        enabled,
        status: enabled ? 'active' : 'inactive',
        status_reason: null,
        updated_at: isoTime(),
      };
      await this.store.updateConnector(record);
      await this.#replace(project, live, record, live.version);
      this.emit(enabled ? 'connector.enabled' : 'connector.disabled', tenantId, projectId, name, {
        status: project.connectors.get(name)!.record.status,
      });
      return project.connectors.get(name)!.record;
    });
  }

  async uninstall(tenantId: string, projectId: string, name: string): Promise<void> {
    await this.#mutex.run(connectorKey(tenantId, projectId, name), async () => {
      const { project, live } = await this.#requireConnector(tenantId, projectId, name);
      await this.store.deleteConnector(tenantId, projectId, name);
      project.connectors.delete(name);
      this.#hot.unwatch(live);
      await this.#runner.stop(live);
      this.usage.forget(tenantId, projectId, name);
      this.#publishSnapshot(project);
      this.emit('connector.uninstalled', tenantId, projectId, name, { version: live.version.version });
    });
  }

  async rollback(
    tenantId: string,
    projectId: string,
    name: string,
    seq: number,
    options: { reuseSecrets?: boolean } = {},
  ): Promise<ConnectorRecord> {
    return this.#mutex.run(connectorKey(tenantId, projectId, name), async () => {
      const { project, live } = await this.#requireConnector(tenantId, projectId, name);
      const version = await this.store.getConnectorVersion(tenantId, projectId, name, seq);
      if (!version) throw createError('not_found', `connector ${name} has no version ${seq}`);
      if (version.seq === live.version.seq) return live.record;
      const current = { manifest: live.version.manifest, config: live.record.config };
      assertSecretsStayWithOrigin(current, { manifest: version.manifest, config: live.record.config }, options);
      const record: ConnectorRecord = { ...live.record, current_version: seq, updated_at: isoTime() };
      await this.store.updateConnector(record);
      await this.#replace(project, live, record, version);
      this.emit('connector.updated', tenantId, projectId, name, {
        version: version.version,
        seq,
        rollback_from: live.version.seq,
      });
      return project.connectors.get(name)!.record;
    });
  }

  async updateConfig(
    tenantId: string,
    projectId: string,
    name: string,
    patch: Record<string, string | null>,
  ): Promise<ConnectorRecord> {
    return this.#mutex.run(connectorKey(tenantId, projectId, name), async () => {
      const { project, live } = await this.#requireConnector(tenantId, projectId, name);
      const config = { ...live.record.config };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete config[key];
        else config[key] = value;
      }
      checkConfig(live.version.manifest, config, live.record.enabled);
      const current = { manifest: live.version.manifest, config: live.record.config };
      assertSecretsStayWithOrigin(current, { manifest: live.version.manifest, config }, { config: patch });
      const record: ConnectorRecord = { ...live.record, config, updated_at: isoTime() };
      await this.store.updateConnector(record);
      await this.#replace(project, live, record, live.version);
      this.emit('connector.updated', tenantId, projectId, name, { config_keys: Object.keys(config).sort() });
      return project.connectors.get(name)!.record;
    });
  }

  /**
   * Starts the source of an enabled connector that is not running (it failed to load). Returns true when the
   * source is running afterwards. Serialised with the connector's other changes.
   */
  async restartSource(tenantId: string, projectId: string, name: string): Promise<boolean> {
    return this.#mutex.run(connectorKey(tenantId, projectId, name), async () => {
      const project = this.projects.get(projectKey(tenantId, projectId));
      const live = project?.connectors.get(name);
      if (!project || !live || !live.record.enabled) return false;
      if (live.source) return true;
      const previous = live.record;
      await this.#replace(project, live, { ...live.record }, live.version);
      const next = project.connectors.get(name)!;
      if (next.source && previous.status === 'error') {
        this.emit('connector.status_changed', tenantId, projectId, name, {
          from: 'error',
          to: next.record.status,
          reason: 'source started',
        });
      }
      return next.source !== undefined;
    });
  }

  /** Sets a connector's observed status (health monitor, hot reload); emits `status_changed` on a change. */
  async setStatus(
    tenantId: string,
    projectId: string,
    name: string,
    status: ConnectorRecord['status'],
    reason: string | null,
  ): Promise<void> {
    const live = this.projects.get(projectKey(tenantId, projectId))?.connectors.get(name);
    if (!live || !live.record.enabled) return;
    if (live.record.status === status && live.record.status_reason === reason) return;
    const previous = live.record.status;
    live.record = { ...live.record, status, status_reason: reason, updated_at: isoTime() };
    await this.store.updateConnector(live.record);
    this.#publishSnapshot(this.projects.get(projectKey(tenantId, projectId))!);
    this.emit('connector.status_changed', tenantId, projectId, name, { from: previous, to: status, reason });
  }

  /** Reloads one connector from its source file (see HotReload). */
  reloadConnector(tenantId: string, projectId: string, name: string): Promise<ReloadResult> {
    return this.#hot.reloadConnector(tenantId, projectId, name);
  }

  // ── Internals ───────────────────────────────────────────────────────────────────────────────────

  emit(
    type: RegistryEventType,
    tenantId: string,
    projectId: string,
    connector: string | undefined,
    data: Record<string, unknown> = {},
  ): void {
    this.events.publish(type, tenantId, projectId, connector, data);
    if (type === 'health.checked') return;
    const notice: ChangeNotice = { node: this.nodeId, tenant_id: tenantId, project_id: projectId, event: type };
    if (connector !== undefined) notice.connector_name = connector;
    this.store.notify(notice).catch((err: unknown) => {
      this.logger.warn({ err: (err as Error).message }, 'change notice failed');
    });
  }

  liveConnector(tenantId: string, projectId: string, name: string): LiveConnector | undefined {
    return this.projects.get(projectKey(tenantId, projectId))?.connectors.get(name);
  }

  async requireLive(tenantId: string, projectId: string, name: string): Promise<LiveConnector> {
    return (await this.#requireConnector(tenantId, projectId, name)).live;
  }

  async #requireProject(tenantId: string, projectId: string): Promise<LiveProject> {
    const live = this.projects.get(projectKey(tenantId, projectId));
    if (live) return live;
    // Created by another node a moment ago: adopt it.
    if (await this.store.getProject(tenantId, projectId)) {
      const adopted = this.#ensureLiveProject(tenantId, projectId);
      this.#publishSnapshot(adopted);
      return adopted;
    }
    throw createError('not_found', `project ${projectId} not found`);
  }

  async #requireConnector(
    tenantId: string,
    projectId: string,
    name: string,
  ): Promise<{ project: LiveProject; live: LiveConnector }> {
    const project = await this.#requireProject(tenantId, projectId);
    const live = project.connectors.get(name);
    if (!live) throw createError('not_found', `connector ${name} not found in project ${projectId}`);
    return { project, live };
  }

  #ensureLiveProject(tenantId: string, projectId: string): LiveProject {
    const key = projectKey(tenantId, projectId);
    let live = this.projects.get(key);
    if (!live) {
      const base = { tenantId, projectId, connectors: new Map<string, LiveConnector>() };
      live = { ...base, snapshot: buildSnapshot(base, ++this.#revision) };
      this.projects.set(key, live);
    }
    return live;
  }

  #publishSnapshot(project: LiveProject): void {
    project.snapshot = buildSnapshot(project, ++this.#revision);
  }

  /** Swaps a connector to a new record/version: starts the new source first, then stops the old one. */
  async #replace(
    project: LiveProject,
    old: LiveConnector | undefined,
    record: ConnectorRecord,
    version: ConnectorVersionRecord,
    publish = true,
  ): Promise<void> {
    const next: LiveConnector = { record, version, tools: [] };
    if (record.enabled) await this.#runner.start(next, this.#onToolsChanged);
    if (next.record.status !== record.status || next.record.status_reason !== record.status_reason) {
      await this.store.updateConnector(next.record);
    }
    if (old) {
      this.#hot.unwatch(old);
      await this.#runner.stop(old);
    }
    project.connectors.set(record.name, next);
    this.#hot.watch(next);
    if (publish) this.#publishSnapshot(project);
  }

  /** Brings a stored connector to life at start (snapshots are published once, after all are restored). */
  async #restore(record: ConnectorRecord): Promise<void> {
    const { tenant_id: tenantId, project_id: projectId, name } = record;
    const version = await this.store.getConnectorVersion(tenantId, projectId, name, record.current_version);
    if (!version) {
      this.logger.error({ connector: name }, 'connector has no current version in the store; skipped');
      return;
    }
    await this.#replace(this.#ensureLiveProject(tenantId, projectId), undefined, record, version, false);
  }

  async #refreshTools(live: LiveConnector): Promise<void> {
    if (!live.source) return;
    try {
      const definitions = await live.source.load();
      live.tools = definitions.map((d) => this.#runner.register(live.record.name, d));
      const project = this.projects.get(projectKey(live.record.tenant_id, live.record.project_id));
      if (project?.connectors.get(live.record.name) !== live) return;
      this.#publishSnapshot(project);
      this.emit('connector.reloaded', live.record.tenant_id, live.record.project_id, live.record.name, {
        reason: 'tools changed upstream',
      });
    } catch (err) {
      this.logger.warn({ connector: live.record.name, err: (err as Error).message }, 'tool list refresh failed');
    }
  }

  #safeFailure(err: unknown, connector: string, tool: string): string {
    if (isToolportError(err)) return `${err.code}: ${err.message}`;
    this.logger.error({ connector, tool, err: (err as Error)?.message }, 'tool call failed unexpectedly');
    return 'internal error while calling the tool';
  }

  /** Applies a change made by another node: re-reads the connector (or project) from the store. */
  async #onNotice(notice: ChangeNotice): Promise<void> {
    if (notice.node === this.nodeId || this.#closed) return;
    const { tenant_id: tenantId, project_id: projectId, connector_name: name } = notice;
    try {
      if (notice.event === 'project.deleted') {
        await this.dropProject(tenantId, projectId);
      } else if (notice.event === 'project.created') {
        this.adoptProject(tenantId, projectId);
      } else if (name) {
        await this.#mutex.run(connectorKey(tenantId, projectId, name), () =>
          this.#refreshFromStore(tenantId, projectId, name),
        );
      }
      this.events.publish(notice.event as RegistryEventType, tenantId, projectId, name, { remote: true });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, notice }, 'applying a change notice failed');
    }
  }

  async #refreshFromStore(tenantId: string, projectId: string, name: string): Promise<void> {
    const project = this.#ensureLiveProject(tenantId, projectId);
    const live = project.connectors.get(name);
    const record = await this.store.getConnector(tenantId, projectId, name);
    if (!record) {
      if (live) {
        project.connectors.delete(name);
        this.#hot.unwatch(live);
        await this.#runner.stop(live);
        this.#publishSnapshot(project);
      }
      return;
    }
    const sameRuntime =
      live &&
      live.record.current_version === record.current_version &&
      live.record.enabled === record.enabled &&
      JSON.stringify(live.record.config) === JSON.stringify(record.config);
    if (sameRuntime) {
      live.record = record;
      this.#publishSnapshot(project);
      return;
    }
    const version = await this.store.getConnectorVersion(tenantId, projectId, name, record.current_version);
    if (version) await this.#replace(project, live, record, version);
  }
}
