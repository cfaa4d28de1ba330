import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  createError,
  isSlug,
  isToolportError,
  isoTime,
  sha256,
  silentLogger,
  textResult,
  validationError,
  type InvokeContext,
  type Logger,
  type ToolCallResult,
  type ToolDefinition,
  type ValidationIssue,
} from '../core/index.js';
import { canonicalManifestHash, diffTools, formatIssues, parseManifest, toToolDefinitions } from '../manifest/index.js';
import type { ConnectorManifest } from '../manifest/types.js';
import type { ChangeNotice, ConnectorRecord, ConnectorVersionRecord, ProjectRecord, Store } from '../store/store.js';
import { EventBus } from './internal/event-bus.js';
import { FileWatcher } from './internal/file-watcher.js';
import { KeyedMutex } from './internal/keyed-mutex.js';
import { buildSnapshot, type LiveConnector, type LiveProject } from './internal/live.js';
import { UsageRecorder } from './internal/usage.js';
import { ValidatorCache } from './internal/validators.js';
import type { SourceFactories } from './source-factory.js';
import type {
  InstallRequest,
  InstallResult,
  ProjectSnapshot,
  RegisteredTool,
  RegistryEvent,
  RegistryEventType,
} from './types.js';

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
  readonly #sources: SourceFactories;
  readonly #mutex = new KeyedMutex();
  readonly #validators = new ValidatorCache();
  readonly #watcher: FileWatcher | undefined;
  /** Watched file → connectors whose descriptor (or python script) it is. */
  readonly #watched = new Map<string, Set<string>>();
  readonly #loadTimeoutMs: number;
  #interceptors: CallInterceptor[] = [];
  #revision = 0;
  #unsubscribeStore: (() => void) | undefined;
  #closed = false;

  constructor(options: RegistryCoreOptions) {
    this.store = options.store;
    this.#sources = options.sources;
    this.logger = options.logger ?? silentLogger;
    this.nodeId = options.nodeId;
    this.maxConnectors = options.maxConnectorsPerProject ?? 100;
    this.#loadTimeoutMs = options.loadTimeoutMs ?? 30_000;
    this.usage = new UsageRecorder(this.store, this.logger, options.usageFlushMs ?? 2_000);
    this.#watcher = options.hotReload
      ? new FileWatcher((file) => void this.reloadFile(file), options.reloadDebounceMs ?? 15)
      : undefined;
  }

  /** Loads every project and connector from the store and starts enabled sources. */
  async start(): Promise<void> {
    await this.usage.load();
    for (const project of await this.store.listProjects()) this.#ensureLiveProject(project.tenant_id, project.id);
    const records = await this.store.listConnectors();
    const queue = [...records];
    const worker = async (): Promise<void> => {
      for (let record = queue.shift(); record; record = queue.shift()) await this.#restore(record);
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    for (const live of this.projects.values()) this.#publishSnapshot(live);
    this.#unsubscribeStore = this.store.onChange((notice) => void this.#onNotice(notice));
  }

  /** Stops watchers, flushes usage and closes every source. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribeStore?.();
    this.#watcher?.close();
    await this.#mutex.drain();
    await this.usage.close();
    const closing: Promise<void>[] = [];
    for (const project of this.projects.values()) {
      for (const live of project.connectors.values()) closing.push(this.#stopSource(live));
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

  // ── Projects ────────────────────────────────────────────────────────────────────────────────────

  async createProject(
    tenantId: string,
    input: { id: string; name?: string; description?: string },
  ): Promise<ProjectRecord> {
    if (!isSlug(input.id)) {
      throw validationError('invalid project id', [
        { pointer: '/id', message: 'must be a slug: lower-case letters, digits, - and _, 1-64 characters' },
      ]);
    }
    const now = isoTime();
    const record: ProjectRecord = {
      tenant_id: tenantId,
      id: input.id,
      name: input.name ?? input.id,
      description: input.description ?? '',
      created_at: now,
      updated_at: now,
    };
    await this.store.createProject(record);
    this.#publishSnapshot(this.#ensureLiveProject(tenantId, input.id));
    this.emit('project.created', tenantId, input.id, undefined, { name: record.name });
    return record;
  }

  async getProject(tenantId: string, projectId: string): Promise<ProjectRecord> {
    const project = await this.store.getProject(tenantId, projectId);
    if (!project) throw createError('not_found', `project ${projectId} not found`);
    return project;
  }

  listProjects(tenantId: string): Promise<ProjectRecord[]> {
    return this.store.listProjects(tenantId);
  }

  async updateProject(
    tenantId: string,
    projectId: string,
    patch: { name?: string; description?: string },
  ): Promise<ProjectRecord> {
    const updated = await this.store.updateProject(tenantId, projectId, { ...patch, updated_at: isoTime() });
    if (!updated) throw createError('not_found', `project ${projectId} not found`);
    return updated;
  }

  async deleteProject(tenantId: string, projectId: string): Promise<void> {
    if (projectId === 'default') {
      throw createError('conflict', 'the default project cannot be deleted; it backs the /api/v1/services surface');
    }
    const live = this.projects.get(projectKey(tenantId, projectId));
    if (!(await this.store.deleteProject(tenantId, projectId))) {
      throw createError('not_found', `project ${projectId} not found`);
    }
    if (live) {
      this.projects.delete(projectKey(tenantId, projectId));
      for (const connector of live.connectors.values()) {
        this.#unwatch(connector);
        await this.#stopSource(connector);
      }
    }
    this.usage.forget(tenantId, projectId);
    this.emit('project.deleted', tenantId, projectId, undefined);
  }

  async ensureTenantDefaults(tenantId: string): Promise<void> {
    if (await this.store.getProject(tenantId, 'default')) {
      this.#publishSnapshot(this.#ensureLiveProject(tenantId, 'default'));
      return;
    }
    try {
      await this.createProject(tenantId, { id: 'default', name: 'Default project' });
    } catch (err) {
      // Another node (or a concurrent request) created it first: that is the state we wanted.
      if (!isToolportError(err, 'conflict')) throw err;
      this.#publishSnapshot(this.#ensureLiveProject(tenantId, 'default'));
    }
  }

  // ── Connectors ──────────────────────────────────────────────────────────────────────────────────

  /** Installs a connector or a new version of it. See InstallRequest. */
  async install(request: InstallRequest): Promise<InstallResult> {
    const { manifest, scriptHash } = await this.#parseRequest(request);
    const { tenantId, projectId } = request;
    return this.#mutex.run(connectorKey(tenantId, projectId, manifest.name), () =>
      this.#installLocked(request, manifest, scriptHash),
    );
  }

  async #parseRequest(request: InstallRequest): Promise<{ manifest: ConnectorManifest; scriptHash: string }> {
    const file = request.filePath ? resolve(request.filePath) : undefined;
    let input = request.manifest;
    if (input === undefined) {
      if (!file) throw validationError('nothing to install', [{ pointer: '/manifest', message: 'is required' }]);
      try {
        input = await readFile(file, 'utf8');
      } catch {
        throw validationError('manifest file cannot be read', [
          { pointer: '/file_path', message: `file ${file} cannot be read` },
        ]);
      }
    }
    const parsed = parseManifest(input, file ? { file, baseDir: dirname(file) } : {});
    if (!parsed.ok) throw validationError(`manifest is invalid:\n${formatIssues(parsed.issues)}`, parsed.issues);
    const manifest = parsed.manifest;
    let scriptHash = '';
    if (manifest.kind === 'python' && manifest.python?.script) {
      const script = isAbsolute(manifest.python.script)
        ? manifest.python.script
        : resolve(file ? dirname(file) : process.cwd(), manifest.python.script);
      manifest.python.script = script;
      try {
        scriptHash = sha256(await readFile(script));
      } catch {
        throw validationError('python script not found', [
          { pointer: '/python/script', message: `file ${script} cannot be read`, ...(file ? { file } : {}) },
        ]);
      }
    }
    return { manifest, scriptHash };
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
    const hash = scriptHash
      ? sha256(`${canonicalManifestHash(manifest)}:${scriptHash}`)
      : canonicalManifestHash(manifest);
    const enabled = request.enabled ?? existing?.record.enabled ?? true;
    // A disabled connector may wait for its secrets; enabling it checks them.
    this.#checkConfig(manifest, config, enabled);
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
    if (enabled) await this.#startSource(candidate);
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
      await this.#stopSource(candidate);
      throw err;
    }
    if (existing) {
      this.#unwatch(existing);
      await this.#stopSource(existing);
    }
    project.connectors.set(manifest.name, candidate);
    this.#watch(candidate);
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
      this.#checkConfig(live.version.manifest, live.record.config, enabled);
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
      this.#unwatch(live);
      await this.#stopSource(live);
      this.usage.forget(tenantId, projectId, name);
      this.#publishSnapshot(project);
      this.emit('connector.uninstalled', tenantId, projectId, name, { version: live.version.version });
    });
  }

  async rollback(tenantId: string, projectId: string, name: string, seq: number): Promise<ConnectorRecord> {
    return this.#mutex.run(connectorKey(tenantId, projectId, name), async () => {
      const { project, live } = await this.#requireConnector(tenantId, projectId, name);
      const version = await this.store.getConnectorVersion(tenantId, projectId, name, seq);
      if (!version) throw createError('not_found', `connector ${name} has no version ${seq}`);
      if (version.seq === live.version.seq) return live.record;
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
      this.#checkConfig(live.version.manifest, config, live.record.enabled);
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

  // ── Hot reload ──────────────────────────────────────────────────────────────────────────────────

  /** Re-reads one watched file and updates every connector installed from it (or using it as its script). */
  async reloadFile(
    file: string,
  ): Promise<{ connector: string; outcome: string; message?: string; version?: number }[]> {
    const keys = [...(this.#watched.get(resolve(file)) ?? [])];
    const outcomes = [];
    for (const key of keys) {
      const [tenantId = '', projectId = '', name = ''] = key.split('/');
      outcomes.push({ connector: name, ...(await this.reloadConnector(tenantId, projectId, name)) });
    }
    return outcomes;
  }

  /** Reloads one connector from its source file: a new version when it changed, `error` when invalid or gone. */
  async reloadConnector(
    tenantId: string,
    projectId: string,
    name: string,
  ): Promise<{ outcome: 'reloaded' | 'unchanged' | 'error' | 'missing'; message?: string; version?: number }> {
    const live = this.projects.get(projectKey(tenantId, projectId))?.connectors.get(name);
    const file = live?.record.source_path;
    if (!live || !file) return { outcome: 'unchanged' };
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      const message = `source file ${file} is missing; serving the last good version`;
      await this.setStatus(tenantId, projectId, name, 'error', message);
      return { outcome: 'missing', message };
    }
    try {
      const result = await this.install({ tenantId, projectId, manifest: text, filePath: file, force: true });
      if (result.connector.name !== name) {
        // The file now names another connector: keep this one as it was and say why.
        const message = `source file ${file} now describes connector ${result.connector.name}`;
        await this.setStatus(tenantId, projectId, name, 'error', message);
        return { outcome: 'error', message };
      }
      const current = this.projects.get(projectKey(tenantId, projectId))?.connectors.get(name);
      if (!result.changed) {
        if (
          current?.record.status === 'error' &&
          current.source &&
          /^source file|manifest is invalid/.test(current.record.status_reason ?? '')
        ) {
          await this.setStatus(tenantId, projectId, name, 'active', null);
        }
        return { outcome: 'unchanged', version: result.version.seq };
      }
      this.emit('connector.reloaded', tenantId, projectId, name, {
        version: result.version.version,
        seq: result.version.seq,
      });
      return { outcome: 'reloaded', version: result.version.seq };
    } catch (err) {
      const message = isToolportError(err) ? err.message : `reload failed: ${(err as Error).message}`;
      await this.setStatus(tenantId, projectId, name, 'error', message);
      return { outcome: 'error', message };
    }
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

  #checkConfig(manifest: ConnectorManifest, config: Record<string, string>, requireAll: boolean): void {
    const issues: ValidationIssue[] = [];
    for (const [key, spec] of Object.entries(manifest.config)) {
      if (requireAll && spec.required && config[key] === undefined && spec.default === undefined) {
        issues.push({ pointer: `/config/${key}`, message: `required config key ${key} is missing` });
      }
    }
    for (const [key, value] of Object.entries(config)) {
      if (typeof value !== 'string') issues.push({ pointer: `/config/${key}`, message: 'must be a string' });
    }
    if (issues.length) throw validationError('connector config is incomplete', issues);
  }

  /** Starts the source of `live` (config defaults applied); on failure marks it `error` with the reason. */
  async #startSource(live: LiveConnector): Promise<void> {
    const factory = this.#sources[live.record.kind];
    const manifest = live.version.manifest;
    const config: Record<string, string> = {};
    for (const [key, spec] of Object.entries(manifest.config))
      if (spec.default !== undefined) config[key] = spec.default;
    Object.assign(config, live.record.config);
    if (!factory) {
      this.#markLoadFailure(live, `no runtime for connector kind ${live.record.kind} on this node`);
      return;
    }
    let source;
    try {
      source = await factory({
        tenantId: live.record.tenant_id,
        projectId: live.record.project_id,
        connector: live.record.name,
        manifest,
        config,
      });
      const definitions = await withTimeout(source.load(), this.#loadTimeoutMs, `loading ${live.record.name}`);
      live.source = source;
      live.tools = definitions.map((d) => this.#register(live.record.name, d));
      if (source.onToolsChanged) live.unwatchSource = source.onToolsChanged(() => void this.#refreshTools(live));
      if (live.record.status === 'error' && /^failed to load/.test(live.record.status_reason ?? '')) {
        live.record = { ...live.record, status: 'active', status_reason: null };
      }
    } catch (err) {
      await source?.close().catch(() => undefined);
      this.#markLoadFailure(live, `failed to load: ${isToolportError(err) ? err.message : (err as Error).message}`);
    }
  }

  #markLoadFailure(live: LiveConnector, reason: string): void {
    live.source = undefined;
    live.tools = [];
    live.record = { ...live.record, status: 'error', status_reason: reason };
    this.logger.warn(
      { connector: live.record.name, project: live.record.project_id, reason },
      'connector failed to load',
    );
  }

  async #stopSource(live: LiveConnector): Promise<void> {
    live.unwatchSource?.();
    live.unwatchSource = undefined;
    const source = live.source;
    live.source = undefined;
    await source?.close().catch((err: unknown) => {
      this.logger.warn({ connector: live.record.name, err: (err as Error).message }, 'source close failed');
    });
  }

  /** Swaps a connector to a new record/version: starts the new source first, then stops the old one. */
  async #replace(
    project: LiveProject,
    old: LiveConnector,
    record: ConnectorRecord,
    version: ConnectorVersionRecord,
  ): Promise<void> {
    const next: LiveConnector = { record, version, tools: [] };
    if (record.enabled) await this.#startSource(next);
    if (next.record.status !== record.status || next.record.status_reason !== record.status_reason) {
      await this.store.updateConnector(next.record);
    }
    this.#unwatch(old);
    await this.#stopSource(old);
    project.connectors.set(record.name, next);
    this.#watch(next);
    this.#publishSnapshot(project);
  }

  async #restore(record: ConnectorRecord): Promise<void> {
    const version = await this.store.getConnectorVersion(
      record.tenant_id,
      record.project_id,
      record.name,
      record.current_version,
    );
    if (!version) {
      this.logger.error({ connector: record.name }, 'connector has no current version in the store; skipped');
      return;
    }
    const project = this.#ensureLiveProject(record.tenant_id, record.project_id);
    const live: LiveConnector = { record, version, tools: [] };
    if (record.enabled) await this.#startSource(live);
    if (live.record.status !== record.status || live.record.status_reason !== record.status_reason) {
      await this.store.updateConnector(live.record);
    }
    project.connectors.set(record.name, live);
    this.#watch(live);
  }

  async #refreshTools(live: LiveConnector): Promise<void> {
    if (!live.source) return;
    try {
      const definitions = await live.source.load();
      live.tools = definitions.map((d) => this.#register(live.record.name, d));
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

  #register(connector: string, definition: ToolDefinition): RegisteredTool {
    return Object.freeze({
      connector,
      name: definition.name,
      qualifiedName: `${connector}__${definition.name}`,
      definition,
      validate: this.#validators.compile(definition.inputSchema),
    });
  }

  #watch(live: LiveConnector): void {
    if (!this.#watcher) return;
    const key = connectorKey(live.record.tenant_id, live.record.project_id, live.record.name);
    for (const file of watchedFiles(live)) {
      if (!this.#watcher.add(file)) continue;
      let set = this.#watched.get(file);
      if (!set) this.#watched.set(file, (set = new Set()));
      set.add(key);
    }
  }

  #unwatch(live: LiveConnector): void {
    if (!this.#watcher) return;
    const key = connectorKey(live.record.tenant_id, live.record.project_id, live.record.name);
    for (const file of watchedFiles(live)) {
      const set = this.#watched.get(file);
      if (!set) continue;
      set.delete(key);
      if (set.size === 0) {
        this.#watched.delete(file);
        this.#watcher.remove(file);
      }
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
        const live = this.projects.get(projectKey(tenantId, projectId));
        this.projects.delete(projectKey(tenantId, projectId));
        for (const c of live?.connectors.values() ?? []) await this.#stopSource(c);
      } else if (notice.event === 'project.created') {
        this.#publishSnapshot(this.#ensureLiveProject(tenantId, projectId));
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
        this.#unwatch(live);
        await this.#stopSource(live);
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
    if (!version) return;
    const next: LiveConnector = { record, version, tools: [] };
    if (record.enabled) await this.#startSource(next);
    if (live) {
      this.#unwatch(live);
      await this.#stopSource(live);
    }
    project.connectors.set(name, next);
    this.#watch(next);
    this.#publishSnapshot(project);
  }
}

function watchedFiles(live: LiveConnector): string[] {
  const files: string[] = [];
  if (live.record.source_path) files.push(resolve(live.record.source_path));
  const script = live.version.manifest.python?.script;
  if (live.record.source_path && script) files.push(resolve(script));
  return files;
}

function toManifestTool(def: ToolDefinition): ConnectorManifest['tools'][number] {
  return {
    name: def.name,
    ...(def.title === undefined ? {} : { title: def.title }),
    ...(def.description === undefined ? {} : { description: def.description }),
    input_schema: def.inputSchema,
    ...(def.outputSchema === undefined ? {} : { output_schema: def.outputSchema }),
    ...(def.annotations === undefined ? {} : { annotations: def.annotations }),
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(createError('tool_timeout', `${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
