import {
  createError,
  systemClock,
  validationError,
  type Clock,
  type InvokeContext,
  type ToolCallResult,
  type UpstreamPeer,
} from '../core/index.js';
import type { ConnectorManifest } from '../manifest/types.js';
import type { HealthCheckRecord, ProjectRecord } from '../store/store.js';
import {
  CircuitBreaker,
  InterceptorChain,
  parseProbeInput,
  ToolHealthTracker,
  type BreakerOptions,
  type HealthTarget,
} from './health/index.js';
import type { HealthThresholds } from './internal/health-check.js';
import type { LiveProjectView } from './internal/live-state.js';
import { connectorStates, healthTargets, type ConnectorState } from './internal/node-views.js';
import { installSamples } from './internal/samples.js';
import { projectStats, sumStats } from './internal/stats.js';
import { toConnectorSummary, toToolSummaries, toVersionSummary } from './internal/summaries.js';
import type {
  ConnectorSummary,
  ProjectStats,
  RegistryApi,
  ReloadOutcome,
  ToolSummary,
  VersionSummary,
} from './registry-api.js';
import { RegistryCore, type CallInterceptor, type RegistryCoreOptions } from './registry.js';
import type {
  InstallRequest,
  InstallResult,
  ProjectSnapshot,
  RegisteredTool,
  RegistryEvent,
  ToolProvider,
  UpstreamEvent,
} from './types.js';

/** Options of the registry. */
export interface RegistryOptions extends RegistryCoreOptions {
  /** Folder of bundled sample manifests (`install-samples`). */
  samplesDir?: string;
  health?: Partial<HealthThresholds> & { historyKeep?: number };
  /** Per-connector circuit breaker around tool calls; `false` turns it off. Default 5 failures, 30 s cooldown. */
  breaker?: Omit<BreakerOptions, 'onChange' | 'clock'> | false;
  /** Time source of the breaker and per-tool health (tests). */
  clock?: Clock;
}

/** Events after which a connector's circuit and per-tool health start afresh: every change but a status one. */
const resets = (type: RegistryEvent['type']): boolean =>
  type.startsWith('connector.') && type !== 'connector.status_changed';

/**
 * The registry as the API, the gateway and the CLI use it: summaries, statistics, tool resolution, health
 * checks and samples over the registry's parts. Every change goes through the connector commands; reads go
 * to the live view. Everything is tenant-scoped.
 */
export class Registry implements RegistryApi {
  readonly #core: RegistryCore;
  /** The circuit breaker, unless turned off. */
  readonly breaker: CircuitBreaker | undefined;
  /** Per-tool health from probes and real calls. */
  readonly toolHealth: ToolHealthTracker;
  readonly #samplesDir: string | undefined;
  readonly #chain: InterceptorChain;
  /**
   * The InvokeContext of the call being started, for interceptors (tracing reads its traceparent). Interceptors'
   * `before` runs synchronously inside `callTool`, so a plain slot set around that synchronous start is enough: no
   * AsyncLocalStorage context (and its per-call async-hook cost) is needed.
   */
  #callContext: InvokeContext | undefined;

  constructor(options: RegistryOptions) {
    const clock = options.clock ?? systemClock;
    this.toolHealth = new ToolHealthTracker(clock);
    const core = new RegistryCore(options, {
      thresholds: { failures: options.health?.failures ?? 3, successes: options.health?.successes ?? 1 },
      historyKeep: options.health?.historyKeep ?? 100,
      onProbe: (t, p, c, tool, ok, message) => this.toolHealth.recordProbe(t, p, c, tool, ok, message),
    });
    this.#core = core;
    this.#samplesDir = options.samplesDir;
    this.breaker =
      options.breaker === false
        ? undefined
        : new CircuitBreaker({
            ...options.breaker,
            clock,
            onChange: (tenantId, projectId, connector, breaker) => {
              const status = core.live.connector(tenantId, projectId, connector)?.record.status;
              core.announce('connector.status_changed', tenantId, projectId, connector, { status, breaker });
            },
          });
    // Tool health sits outside the breaker so calls it fails fast still mark the tool failing.
    this.#chain = new InterceptorChain(this.breaker ? [this.toolHealth, this.breaker] : [this.toolHealth]);
    core.calls.addInterceptor(this.#chain);
    core.events.subscribe((event) => {
      if (!event.connector || !resets(event.type)) return;
      this.breaker?.reset(event.tenant_id, event.project_id, event.connector);
      this.toolHealth.forget(event.tenant_id, event.project_id, event.connector);
    });
  }

  start(): Promise<void> {
    return this.#core.start();
  }

  close(): Promise<void> {
    return this.#core.close();
  }

  /** Adds a wrapper around every tool call; it runs outside the built-in breaker, so it sees fast failures too. */
  addInterceptor(interceptor: CallInterceptor): void {
    this.#chain.add(interceptor);
  }

  // ToolProvider
  getSnapshot(tenantId: string, projectId: string): ProjectSnapshot | undefined {
    return this.#core.live.snapshot(tenantId, projectId);
  }

  readonly callTool: ToolProvider['callTool'] = (tenantId, projectId, connector, tool, args, ctx) => {
    const outer = this.#callContext;
    this.#callContext = ctx;
    try {
      return this.#core.calls.callTool(tenantId, projectId, connector, tool, args, ctx);
    } finally {
      this.#callContext = outer;
    }
  };

  /** The InvokeContext of the tool call being started: valid inside interceptors' `before` (tracing reads it). */
  currentCallContext(): InvokeContext | undefined {
    return this.#callContext;
  }

  subscribe(listener: (event: RegistryEvent) => void): () => void {
    return this.#core.events.subscribe(listener);
  }

  peer(tenantId: string, projectId: string, connector: string): UpstreamPeer | undefined {
    const live = this.#core.live.connector(tenantId, projectId, connector);
    return live?.record.enabled ? live.source?.peer : undefined;
  }

  subscribeUpstream(listener: (event: UpstreamEvent) => void): () => void {
    this.#core.upstream.add(listener);
    return () => this.#core.upstream.delete(listener);
  }

  eventsSince(afterId: number): RegistryEvent[] {
    return this.#core.events.since(afterId);
  }

  // Projects
  createProject(tenantId: string, input: { id: string; name?: string; description?: string }): Promise<ProjectRecord> {
    return this.#core.projects.create(tenantId, input);
  }

  getProject(tenantId: string, projectId: string): Promise<ProjectRecord> {
    return this.#core.projects.get(tenantId, projectId);
  }

  listProjects(tenantId: string): Promise<ProjectRecord[]> {
    return this.#core.store.listProjects(tenantId);
  }

  updateProject(
    tenantId: string,
    projectId: string,
    patch: { name?: string; description?: string },
  ): Promise<ProjectRecord> {
    return this.#core.projects.update(tenantId, projectId, patch);
  }

  deleteProject(tenantId: string, projectId: string): Promise<void> {
    return this.#core.projects.delete(tenantId, projectId);
  }

  deleteTenant(tenantId: string): Promise<boolean> {
    return this.#core.projects.deleteTenant(tenantId);
  }

  ensureTenantDefaults(tenantId: string): Promise<void> {
    return this.#core.projects.ensureDefault(tenantId);
  }

  // Connectors
  install(request: InstallRequest): Promise<InstallResult> {
    return this.#core.commands.install(request);
  }

  async listConnectors(tenantId: string, projectId: string): Promise<ConnectorSummary[]> {
    const project = await this.#project(tenantId, projectId);
    return [...project.connectors.values()]
      .sort((a, b) => a.record.name.localeCompare(b.record.name))
      .map((live) => toConnectorSummary(live, this.breaker?.status(tenantId, projectId, live.record.name)));
  }

  async getConnector(tenantId: string, projectId: string, name: string): Promise<ConnectorSummary> {
    return toConnectorSummary(
      await this.#core.requireLive(tenantId, projectId, name),
      this.breaker?.status(tenantId, projectId, name),
    );
  }

  async setEnabled(tenantId: string, projectId: string, name: string, enabled: boolean): Promise<ConnectorSummary> {
    await this.#core.commands.setEnabled(tenantId, projectId, name, enabled);
    this.#core.health.reset(tenantId, projectId, name);
    return this.getConnector(tenantId, projectId, name);
  }

  async uninstall(tenantId: string, projectId: string, name: string): Promise<void> {
    await this.#core.commands.uninstall(tenantId, projectId, name);
    this.#core.health.reset(tenantId, projectId, name);
  }

  /** The descriptor of the connector's current version (config values are not part of it). */
  async getManifest(tenantId: string, projectId: string, name: string): Promise<ConnectorManifest> {
    return (await this.#core.requireLive(tenantId, projectId, name)).version.manifest;
  }

  async listVersions(tenantId: string, projectId: string, name: string): Promise<VersionSummary[]> {
    const live = await this.#core.requireLive(tenantId, projectId, name);
    const versions = await this.#core.store.listConnectorVersions(tenantId, projectId, name);
    return versions.sort((a, b) => b.seq - a.seq).map((v) => toVersionSummary(v, live.record.current_version));
  }

  async rollback(...args: Parameters<RegistryApi['rollback']>): Promise<ConnectorSummary> {
    const [tenantId, projectId, name] = args;
    await this.#core.commands.rollback(...args);
    this.#core.health.reset(tenantId, projectId, name);
    return this.getConnector(tenantId, projectId, name);
  }

  async updateConfig(
    tenantId: string,
    projectId: string,
    name: string,
    config: Record<string, string | null>,
  ): Promise<ConnectorSummary> {
    await this.#core.commands.updateConfig(tenantId, projectId, name, config);
    return this.getConnector(tenantId, projectId, name);
  }

  // Tools
  async listTools(
    tenantId: string,
    projectId: string,
    filter: { connector?: string; enabled?: boolean } = {},
  ): Promise<ToolSummary[]> {
    const project = await this.#project(tenantId, projectId);
    if (filter.connector !== undefined && !project.connectors.has(filter.connector)) {
      throw createError('not_found', `connector ${filter.connector} not found in project ${projectId}`);
    }
    const tools: ToolSummary[] = [];
    const health = (c: string, t: string) => this.toolHealth.get(tenantId, projectId, c, t);
    for (const live of project.connectors.values()) {
      if (filter.connector !== undefined && live.record.name !== filter.connector) continue;
      if (filter.enabled !== undefined && live.record.enabled !== filter.enabled) continue;
      tools.push(...toToolSummaries(live, this.#core.usage, health));
    }
    return tools.sort((a, b) => a.qualified_name.localeCompare(b.qualified_name));
  }

  async resolveTool(tenantId: string, projectId: string, name: string): Promise<RegisteredTool> {
    const { snapshot } = await this.#project(tenantId, projectId);
    const exact = snapshot.byQualifiedName.get(name);
    if (exact) return exact;
    const matches = snapshot.tools.filter((t) => t.name === name);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      const candidates = matches.map((t) => t.qualifiedName);
      throw createError('conflict', `tool name ${name} is ambiguous; use one of ${candidates.join(', ')}`, {
        candidates,
      });
    }
    throw createError('tool_not_found', `no enabled tool named ${name} in project ${projectId}`);
  }

  async invokeTool(
    tenantId: string,
    projectId: string,
    name: string,
    args: unknown,
    ctx?: InvokeContext,
  ): Promise<ToolCallResult> {
    const tool = await this.resolveTool(tenantId, projectId, name);
    const input = args ?? {};
    const issues = tool.validate(input);
    if (issues) {
      throw validationError(
        `arguments of ${tool.qualifiedName} are invalid`,
        issues.map((i) => ({ ...i, pointer: `/arguments${i.pointer === '/' ? '' : i.pointer}` })),
      );
    }
    return this.callTool(tenantId, projectId, tool.connector, tool.name, input as Record<string, unknown>, ctx);
  }

  // Stats
  async projectStats(tenantId: string, projectId: string): Promise<ProjectStats> {
    return projectStats(await this.#project(tenantId, projectId), this.#core.usage);
  }

  async globalStats(tenantId?: string): Promise<Record<string, unknown>> {
    const store = this.#core.store;
    const projects = tenantId === undefined ? await store.listProjects() : await store.listProjects(tenantId);
    const all: ProjectStats[] = [];
    for (const p of projects) all.push(await this.projectStats(p.tenant_id, p.id));
    return sumStats(projects.length, all);
  }

  // Hot reload, health, samples
  async hotReload(tenantId: string, projectId: string): Promise<ReloadOutcome[]> {
    const project = await this.#project(tenantId, projectId);
    const outcomes: ReloadOutcome[] = [];
    for (const live of [...project.connectors.values()]) {
      const file = live.record.source_path;
      if (!file) continue;
      const result = await this.#core.hot.reloadConnector(tenantId, projectId, live.record.name);
      outcomes.push({ connector: live.record.name, file, ...result });
    }
    return outcomes;
  }

  checkHealth(tenantId: string, projectId: string, name: string): Promise<HealthCheckRecord> {
    return this.#core.health.check(tenantId, projectId, name);
  }

  /** Sets (or clears with null) a functional probe kept in connector metadata; it overrides the manifest's. */
  async setProbe(tenantId: string, projectId: string, name: string, probe: unknown): Promise<ConnectorSummary> {
    const live = await this.#core.requireLive(tenantId, projectId, name);
    const tools = live.source ? live.tools.map((t) => t.name) : live.version.manifest.tools.map((t) => t.name);
    const parsed = probe === null ? null : parseProbeInput(probe, tools);
    await this.#core.commands.setMetadata(tenantId, projectId, name, (current) => {
      const { probe: _previous, ...metadata } = current;
      return parsed ? { ...metadata, probe: parsed } : metadata;
    });
    this.#core.health.reset(tenantId, projectId, name);
    this.#core.announce('connector.updated', tenantId, projectId, name, { probe: parsed ? parsed.tool : null });
    return this.getConnector(tenantId, projectId, name);
  }

  /** Every connector on this node with its status, runtime facts and circuit (metrics read it at scrape time). */
  connectorStates(): Iterable<ConnectorState> {
    return connectorStates(this.#core.live, this.breaker);
  }

  /** Every enabled connector with its health interval (the health monitor's schedule). */
  healthTargets(): Iterable<HealthTarget> {
    return healthTargets(this.#core.live);
  }

  async healthHistory(tenantId: string, projectId: string, name: string, limit = 50): Promise<HealthCheckRecord[]> {
    await this.#core.requireLive(tenantId, projectId, name);
    return this.#core.store.listHealthChecks(tenantId, projectId, name, limit);
  }

  async installSamples(
    tenantId: string,
    projectId: string,
    configFor?: (connector: string) => Record<string, string> | undefined,
  ): Promise<InstallResult[]> {
    if (!this.#samplesDir) throw createError('unprocessable', 'this server has no samples folder configured');
    await this.#project(tenantId, projectId);
    return installSamples(this.#samplesDir, tenantId, projectId, (request) => this.install(request), configFor);
  }

  /** The live project, adopting a stored one this node has not seen yet; `not_found` otherwise. */
  async #project(tenantId: string, projectId: string): Promise<LiveProjectView> {
    const live = this.#core.live.project(tenantId, projectId);
    if (live) return live;
    await this.#core.projects.get(tenantId, projectId);
    this.#core.adoptProject(tenantId, projectId);
    const adopted = this.#core.live.project(tenantId, projectId);
    if (!adopted) throw createError('not_found', `project ${projectId} not found`);
    return adopted;
  }
}
