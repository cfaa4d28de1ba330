import { createError, silentLogger, type ConnectorAddress, type Logger } from '../core/index.js';
import type { ChangeNotice, Store } from '../store/store.js';
import { CallPath } from './internal/call-path.js';
import { ClusterSync } from './internal/cluster-sync.js';
import type { AdmissionPolicy } from './internal/command-types.js';
import { ConnectorCommands } from './internal/connector-commands.js';
import { EventBus } from './internal/event-bus.js';
import { HealthChecker, type HealthThresholds } from './internal/health-check.js';
import { HotReload } from './internal/hot-reload.js';
import { LiveState, type LiveView } from './internal/live-state.js';
import type { LiveConnector } from './internal/live.js';
import { ProjectOps } from './internal/projects.js';
import { SourceRunner } from './internal/source-runner.js';
import { UsageRecorder } from './internal/usage.js';
import { ValidatorCache } from './internal/validators.js';
import type { SourceFactories } from './source-factory.js';
import type { RegistryEventType, UpstreamEvent } from './types.js';

export type { CallInterceptor } from './types.js';
export type { AdmissionPolicy } from './internal/command-types.js';

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
  /**
   * The operator's admission policy: called with every manifest before it is installed or rolled back to, with the
   * trust of the caller; throws ToolportError('forbidden') naming the setting that would allow it. Default: admit all.
   */
  admit?: AdmissionPolicy;
}

/** Health check settings of the core. */
export interface CoreHealthOptions {
  thresholds: HealthThresholds;
  historyKeep: number;
  onProbe(...args: [...ConnectorAddress, tool: string, ok: boolean, message?: string]): void;
}

/**
 * The registry's parts, wired: live state (read-only to everyone but the commands), the connector commands
 * (the one serialised write path), the call path, cluster sync, hot reload, project CRUD and health checks.
 * Each part gets only the narrow interface it needs; none of them receives this object.
 */
export class RegistryCore {
  readonly store: Store;
  readonly logger: Logger;
  readonly nodeId: string;
  readonly events = new EventBus();
  /** Notifications of upstream MCP connectors, for the gateway (never stored, never announced to other nodes). */
  readonly upstream = new Set<(event: UpstreamEvent) => void>();
  readonly usage: UsageRecorder;
  readonly live: LiveView;
  readonly commands: ConnectorCommands;
  readonly calls: CallPath;
  readonly hot: HotReload;
  readonly projects: ProjectOps;
  readonly health: HealthChecker;
  readonly #state = new LiveState();
  readonly #runner: SourceRunner;
  readonly #sync: ClusterSync;
  #closed = false;

  constructor(options: RegistryCoreOptions, health: CoreHealthOptions) {
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
    this.nodeId = options.nodeId;
    this.live = this.#state;
    this.usage = new UsageRecorder(this.store, this.logger, options.usageFlushMs ?? 2_000);
    this.#runner = new SourceRunner({
      sources: options.sources,
      validators: new ValidatorCache(),
      logger: this.logger,
      loadTimeoutMs: options.loadTimeoutMs ?? 30_000,
      onUpstream: (live, notification) => {
        const { tenant_id: tenantId, project_id: projectId, name: connector } = live.record;
        for (const listener of [...this.upstream]) {
          try {
            listener({ tenantId, projectId, connector, notification });
          } catch (err) {
            this.logger.warn({ err: (err as Error).message }, 'upstream notification listener failed');
          }
        }
      },
    });
    const announce = this.announce.bind(this);
    // Hot reload acts through the commands, which watch the files of the connectors they make live.
    this.hot = new HotReload(
      {
        live: this.live,
        install: (request) => this.commands.install(request),
        setStatus: (t, p, n, status, reason) => this.commands.setStatus(t, p, n, status, reason),
        reloaded: (t, p, n, data) => announce('connector.reloaded', t, p, n, data),
      },
      { watch: options.hotReload === true, debounceMs: options.reloadDebounceMs ?? 15 },
    );
    this.commands = new ConnectorCommands({
      store: this.store,
      live: this.#state,
      runner: this.#runner,
      files: this.hot,
      announce,
      forgetUsage: (t, p, n) => this.usage.forget(t, p, n),
      logger: this.logger,
      maxConnectors: options.maxConnectorsPerProject ?? 100,
      admit: options.admit ?? (() => undefined),
    });
    this.calls = new CallPath(
      this.live,
      (t, p, c, tool, ms, isError) => this.usage.record(t, p, c, tool, ms, isError),
      this.logger,
    );
    this.projects = new ProjectOps({
      store: this.store,
      adoptProject: (t, p) => this.adoptProject(t, p),
      dropProject: (t, p) => this.dropProject(t, p),
      announce,
    });
    this.health = new HealthChecker(
      {
        live: this.live,
        store: this.store,
        requireLive: (t, p, n) => this.requireLive(t, p, n),
        restartSource: (t, p, n) => this.commands.restartSource(t, p, n),
        setStatus: (t, p, n, status, reason) => this.commands.setStatus(t, p, n, status, reason),
        callTool: (t, p, c, tool, args) => this.calls.callTool(t, p, c, tool, args),
        checked: (t, p, n, data) => announce('health.checked', t, p, n, data),
      },
      health.thresholds,
      health.historyKeep,
      { onProbe: health.onProbe },
    );
    this.#sync = new ClusterSync({
      store: this.store,
      target: {
        live: this.live,
        refreshConnector: (t, p, n) => this.commands.refreshFromStore(t, p, n),
        adoptProject: (t, p) => this.adoptProject(t, p),
        dropProject: (t, p) => this.dropProject(t, p),
        publishLocal: (type, t, p, c, data) => this.events.publish(type, t, p, c, { ...data }),
      },
      nodeId: this.nodeId,
      logger: this.logger,
    });
  }

  /** Loads every project and connector from the store and starts enabled sources. */
  async start(): Promise<void> {
    // Subscribe before reading: a change made by another node while this one loads is applied, not lost.
    await this.#sync.start();
    await this.usage.load();
    for (const project of await this.store.listProjects()) this.#state.ensure(project.tenant_id, project.id);
    const queue = await this.store.listConnectors();
    const worker = async (): Promise<void> => {
      for (let record = queue.shift(); record; record = queue.shift()) await this.commands.restore(record);
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    for (const project of this.live.projects())
      this.#state.publish(this.#state.mutable(project.tenantId, project.projectId)!);
  }

  /** Stops watchers, flushes usage and closes every source. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sync.close();
    this.hot.close();
    await this.commands.drain();
    await this.usage.close();
    for (const project of [...this.live.projects()]) {
      await this.commands.stopAll(this.#state.mutable(project.tenantId, project.projectId)!);
    }
  }

  /** Publishes an event and announces it to other nodes (health checks stay local). */
  announce(
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

  /** The live connector; `not_found` (adopting a project another node created) otherwise. */
  async requireLive(tenantId: string, projectId: string, name: string): Promise<Readonly<LiveConnector>> {
    const project = await this.commands.requireProject(tenantId, projectId);
    const live = project.connectors.get(name);
    if (!live) {
      throw createError('not_found', `connector ${name} not found in project ${projectId}`);
    }
    return live;
  }

  /** Makes a stored project live on this node (idempotent) and publishes its snapshot. */
  adoptProject(tenantId: string, projectId: string): void {
    this.#state.publish(this.#state.ensure(tenantId, projectId));
  }

  /** Forgets a deleted project on this node: stops its sources and watches, drops its usage. */
  async dropProject(tenantId: string, projectId: string): Promise<void> {
    const live = this.#state.remove(tenantId, projectId);
    if (live) await this.commands.stopAll(live);
    this.usage.forget(tenantId, projectId);
  }
}
