import { AsyncLocalStorage } from 'node:async_hooks';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createError,
  isoTime,
  systemClock,
  validationError,
  type Clock,
  type InvokeContext,
  type ToolCallResult,
} from '../core/index.js';
import { parseManifest } from '../manifest/index.js';
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
import { HealthChecker, type HealthThresholds } from './internal/health-check.js';
import { ProjectOps } from './internal/projects.js';
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
import type { InstallRequest, InstallResult, ProjectSnapshot, RegisteredTool, RegistryEvent } from './types.js';

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

/** One connector's observable state on this node (no secrets). */
export interface ConnectorState {
  tenantId: string;
  projectId: string;
  name: string;
  kind: string;
  enabled: boolean;
  status: 'active' | 'inactive' | 'error';
  runtime: Record<string, unknown>;
  breaker: 'closed' | 'open' | 'half_open';
}

/** Events after which a connector's circuit and per-tool health start afresh. */
const RESET_ON = new Set([
  'connector.installed',
  'connector.updated',
  'connector.enabled',
  'connector.disabled',
  'connector.uninstalled',
  'connector.reloaded',
]);

/**
 * The registry as the API, the gateway and the CLI use it: the core's state plus summaries, statistics,
 * tool resolution, health checks and samples. Everything is tenant-scoped.
 */
export class Registry implements RegistryApi {
  readonly core: RegistryCore;
  readonly #projects: ProjectOps;
  readonly health: HealthChecker;
  /** The circuit breaker, unless turned off. */
  readonly breaker: CircuitBreaker | undefined;
  /** Per-tool health from probes and real calls. */
  readonly toolHealth: ToolHealthTracker;
  readonly #samplesDir: string | undefined;
  readonly #chain: InterceptorChain;
  /** The InvokeContext of the call in progress, for interceptors (tracing reads its traceparent). */
  readonly #callContext = new AsyncLocalStorage<InvokeContext | undefined>();

  constructor(options: RegistryOptions) {
    this.core = new RegistryCore(options);
    this.#projects = new ProjectOps(this.core);
    this.#samplesDir = options.samplesDir;
    const clock = options.clock ?? systemClock;
    this.toolHealth = new ToolHealthTracker(clock);
    this.health = new HealthChecker(
      this.core,
      { failures: options.health?.failures ?? 3, successes: options.health?.successes ?? 1 },
      options.health?.historyKeep ?? 100,
      { onProbe: (t, p, c, tool, ok, message) => this.toolHealth.recordProbe(t, p, c, tool, ok, message) },
    );
    this.breaker =
      options.breaker === false
        ? undefined
        : new CircuitBreaker({
            ...options.breaker,
            clock,
            onChange: (tenantId, projectId, connector, breaker) => {
              const status = this.core.liveConnector(tenantId, projectId, connector)?.record.status;
              this.core.emit('connector.status_changed', tenantId, projectId, connector, { status, breaker });
            },
          });
    // Tool health sits outside the breaker so calls it fails fast still mark the tool failing.
    this.#chain = new InterceptorChain(this.breaker ? [this.toolHealth, this.breaker] : [this.toolHealth]);
    this.core.addInterceptor(this.#chain);
    this.core.subscribe((event) => {
      if (!event.connector || !RESET_ON.has(event.type)) return;
      this.breaker?.reset(event.tenant_id, event.project_id, event.connector);
      this.toolHealth.forget(event.tenant_id, event.project_id, event.connector);
    });
  }

  start(): Promise<void> {
    return this.core.start();
  }

  close(): Promise<void> {
    return this.core.close();
  }

  /** Adds a wrapper around every tool call; it runs outside the built-in breaker, so it sees fast failures too. */
  addInterceptor(interceptor: CallInterceptor): void {
    this.#chain.add(interceptor);
  }

  // ToolProvider
  getSnapshot(tenantId: string, projectId: string): ProjectSnapshot | undefined {
    return this.core.getSnapshot(tenantId, projectId);
  }

  callTool(
    tenantId: string,
    projectId: string,
    connector: string,
    tool: string,
    args: Record<string, unknown>,
    ctx?: InvokeContext,
  ): Promise<ToolCallResult> {
    return this.#callContext.run(ctx, () => this.core.callTool(tenantId, projectId, connector, tool, args, ctx));
  }

  /** The InvokeContext of the tool call in progress (read by interceptors such as tracing). */
  currentCallContext(): InvokeContext | undefined {
    return this.#callContext.getStore();
  }

  subscribe(listener: (event: RegistryEvent) => void): () => void {
    return this.core.subscribe(listener);
  }

  eventsSince(afterId: number): RegistryEvent[] {
    return this.core.eventsSince(afterId);
  }

  // Projects
  createProject(tenantId: string, input: { id: string; name?: string; description?: string }): Promise<ProjectRecord> {
    return this.#projects.create(tenantId, input);
  }

  getProject(tenantId: string, projectId: string): Promise<ProjectRecord> {
    return this.#projects.get(tenantId, projectId);
  }

  listProjects(tenantId: string): Promise<ProjectRecord[]> {
    return this.core.store.listProjects(tenantId);
  }

  updateProject(
    tenantId: string,
    projectId: string,
    patch: { name?: string; description?: string },
  ): Promise<ProjectRecord> {
    return this.#projects.update(tenantId, projectId, patch);
  }

  deleteProject(tenantId: string, projectId: string): Promise<void> {
    return this.#projects.delete(tenantId, projectId);
  }

  ensureTenantDefaults(tenantId: string): Promise<void> {
    return this.#projects.ensureDefault(tenantId);
  }

  // Connectors
  install(request: InstallRequest): Promise<InstallResult> {
    return this.core.install(request);
  }

  async listConnectors(tenantId: string, projectId: string): Promise<ConnectorSummary[]> {
    const project = await this.#project(tenantId, projectId);
    return [...project.connectors.values()]
      .sort((a, b) => a.record.name.localeCompare(b.record.name))
      .map((live) => toConnectorSummary(live, this.breaker?.status(tenantId, projectId, live.record.name)));
  }

  async getConnector(tenantId: string, projectId: string, name: string): Promise<ConnectorSummary> {
    return toConnectorSummary(
      await this.core.requireLive(tenantId, projectId, name),
      this.breaker?.status(tenantId, projectId, name),
    );
  }

  async setEnabled(tenantId: string, projectId: string, name: string, enabled: boolean): Promise<ConnectorSummary> {
    await this.core.setEnabled(tenantId, projectId, name, enabled);
    this.health.reset(tenantId, projectId, name);
    return this.getConnector(tenantId, projectId, name);
  }

  async uninstall(tenantId: string, projectId: string, name: string): Promise<void> {
    await this.core.uninstall(tenantId, projectId, name);
    this.health.reset(tenantId, projectId, name);
  }

  /** The descriptor of the connector's current version (config values are not part of it). */
  async getManifest(tenantId: string, projectId: string, name: string): Promise<ConnectorManifest> {
    return (await this.core.requireLive(tenantId, projectId, name)).version.manifest;
  }

  async listVersions(tenantId: string, projectId: string, name: string): Promise<VersionSummary[]> {
    const live = await this.core.requireLive(tenantId, projectId, name);
    const versions = await this.core.store.listConnectorVersions(tenantId, projectId, name);
    return versions.sort((a, b) => b.seq - a.seq).map((v) => toVersionSummary(v, live.record.current_version));
  }

  async rollback(
    tenantId: string,
    projectId: string,
    name: string,
    seq: number,
    options: { reuseSecrets?: boolean } = {},
  ): Promise<ConnectorSummary> {
    await this.core.rollback(tenantId, projectId, name, seq, options);
    this.health.reset(tenantId, projectId, name);
    return this.getConnector(tenantId, projectId, name);
  }

  async updateConfig(
    tenantId: string,
    projectId: string,
    name: string,
    config: Record<string, string | null>,
  ): Promise<ConnectorSummary> {
    await this.core.updateConfig(tenantId, projectId, name, config);
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
    for (const live of project.connectors.values()) {
      if (filter.connector !== undefined && live.record.name !== filter.connector) continue;
      if (filter.enabled !== undefined && live.record.enabled !== filter.enabled) continue;
      tools.push(...toToolSummaries(live, this.core.usage, (c, t) => this.toolHealth.get(tenantId, projectId, c, t)));
    }
    return tools.sort((a, b) => a.qualified_name.localeCompare(b.qualified_name));
  }

  async resolveTool(tenantId: string, projectId: string, name: string): Promise<RegisteredTool> {
    await this.#project(tenantId, projectId);
    const snapshot = this.core.getSnapshot(tenantId, projectId)!;
    const exact = snapshot.byQualifiedName.get(name);
    if (exact) return exact;
    const matches = snapshot.tools.filter((t) => t.name === name);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw createError(
        'conflict',
        `tool name ${name} is ambiguous; use one of ${matches.map((t) => t.qualifiedName).join(', ')}`,
        {
          candidates: matches.map((t) => t.qualifiedName),
        },
      );
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
    const project = await this.#project(tenantId, projectId);
    const stats: ProjectStats = {
      project_id: projectId,
      connector_count: project.connectors.size,
      tool_count: 0,
      enabled_connectors: 0,
      by_status: { active: 0, inactive: 0, error: 0 },
      by_kind: {},
      calls: 0,
      errors: 0,
      avg_latency_ms: null,
    };
    let latency = 0;
    for (const live of project.connectors.values()) {
      const { status, kind, enabled } = live.record;
      stats.by_status[status] = (stats.by_status[status] ?? 0) + 1;
      stats.by_kind[kind] = (stats.by_kind[kind] ?? 0) + 1;
      if (enabled) stats.enabled_connectors += 1;
      for (const tool of toToolSummaries(live, this.core.usage)) {
        stats.tool_count += 1;
        stats.calls += tool.usage.calls;
        stats.errors += tool.usage.errors;
        latency += tool.usage.total_latency_ms;
      }
    }
    stats.avg_latency_ms = stats.calls ? Math.round((latency / stats.calls) * 100) / 100 : null;
    return stats;
  }

  async globalStats(tenantId?: string): Promise<Record<string, unknown>> {
    const projects =
      tenantId === undefined ? await this.core.store.listProjects() : await this.core.store.listProjects(tenantId);
    const totals = {
      total_projects: projects.length,
      total_connectors: 0,
      total_tools: 0,
      enabled_connectors: 0,
      by_status: { active: 0, inactive: 0, error: 0 } as Record<string, number>,
      by_kind: {} as Record<string, number>,
      calls: 0,
      errors: 0,
    };
    for (const p of projects) {
      const s = await this.projectStats(p.tenant_id, p.id);
      totals.total_connectors += s.connector_count;
      totals.total_tools += s.tool_count;
      totals.enabled_connectors += s.enabled_connectors;
      totals.calls += s.calls;
      totals.errors += s.errors;
      for (const [k, v] of Object.entries(s.by_status)) totals.by_status[k] = (totals.by_status[k] ?? 0) + v;
      for (const [k, v] of Object.entries(s.by_kind)) totals.by_kind[k] = (totals.by_kind[k] ?? 0) + v;
    }
    return totals;
  }

  // Hot reload, health, samples
  async hotReload(tenantId: string, projectId: string): Promise<ReloadOutcome[]> {
    const project = await this.#project(tenantId, projectId);
    const outcomes: ReloadOutcome[] = [];
    for (const live of [...project.connectors.values()]) {
      const file = live.record.source_path;
      if (!file) continue;
      const result = await this.core.reloadConnector(tenantId, projectId, live.record.name);
      outcomes.push({ connector: live.record.name, file, ...result });
    }
    return outcomes;
  }

  checkHealth(tenantId: string, projectId: string, name: string): Promise<HealthCheckRecord> {
    return this.health.check(tenantId, projectId, name);
  }

  /** Sets (or clears with null) a functional probe kept in connector metadata; it overrides the manifest's. */
  async setProbe(tenantId: string, projectId: string, name: string, probe: unknown): Promise<ConnectorSummary> {
    const live = await this.core.requireLive(tenantId, projectId, name);
    const tools = live.source ? live.tools.map((t) => t.name) : live.version.manifest.tools.map((t) => t.name);
    const parsed = probe === null ? null : parseProbeInput(probe, tools);
    const { probe: _previous, ...metadata } = live.record.metadata;
    const record = {
      ...live.record,
      metadata: parsed ? { ...metadata, probe: parsed } : metadata,
      updated_at: isoTime(),
    };
    await this.core.store.updateConnector(record);
    // Re-read: an install may have replaced the live connector while the store wrote.
    const current = this.core.liveConnector(tenantId, projectId, name);
    if (current) current.record = { ...current.record, metadata: record.metadata };
    this.health.reset(tenantId, projectId, name);
    this.core.emit('connector.updated', tenantId, projectId, name, { probe: parsed ? parsed.tool : null });
    return this.getConnector(tenantId, projectId, name);
  }

  /** Every connector on this node with its status, runtime facts and circuit (metrics read it at scrape time). */
  *connectorStates(): Iterable<ConnectorState> {
    for (const project of this.core.projects.values()) {
      for (const live of project.connectors.values()) {
        const { name, kind, enabled, status } = live.record;
        yield {
          tenantId: project.tenantId,
          projectId: project.projectId,
          name,
          kind,
          enabled,
          status,
          runtime: live.source?.info?.() ?? {},
          breaker: this.breaker?.status(project.tenantId, project.projectId, name).state ?? 'closed',
        };
      }
    }
  }

  /** Every enabled connector with its health interval (the health monitor's schedule). */
  *healthTargets(): Iterable<HealthTarget> {
    for (const project of this.core.projects.values()) {
      for (const live of project.connectors.values()) {
        if (!live.record.enabled) continue;
        const intervalMs = live.version.manifest.health?.interval_ms;
        yield {
          tenantId: project.tenantId,
          projectId: project.projectId,
          name: live.record.name,
          ...(intervalMs ? { intervalMs } : {}),
        };
      }
    }
  }

  async healthHistory(tenantId: string, projectId: string, name: string, limit = 50): Promise<HealthCheckRecord[]> {
    await this.core.requireLive(tenantId, projectId, name);
    return this.core.store.listHealthChecks(tenantId, projectId, name, limit);
  }

  async installSamples(tenantId: string, projectId: string): Promise<InstallResult[]> {
    if (!this.#samplesDir) throw createError('unprocessable', 'this server has no samples folder configured');
    await this.#project(tenantId, projectId);
    const files = (await readdir(this.#samplesDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
    const results: InstallResult[] = [];
    const installed = new Set<string>();
    for (const file of files) {
      const filePath = join(this.#samplesDir, file);
      // Two samples may describe the same connector (a legacy-format twin): the first one wins.
      const parsed = parseManifest(await readFile(filePath, 'utf8'), { file: filePath });
      if (!parsed.ok || installed.has(parsed.manifest.name)) continue;
      installed.add(parsed.manifest.name);
      // A sample that needs a secret (an API key) is installed disabled until the key is set.
      const needsSecret = Object.values(parsed.manifest.config).some((c) => c.required && c.default === undefined);
      results.push(await this.core.install({ tenantId, projectId, filePath, enabled: !needsSecret }));
    }
    return results;
  }

  async #project(
    tenantId: string,
    projectId: string,
  ): Promise<NonNullable<ReturnType<RegistryCore['projects']['get']>>> {
    const live = this.core.projects.get(`${tenantId}/${projectId}`);
    if (live) return live;
    await this.#projects.get(tenantId, projectId);
    this.core.adoptProject(tenantId, projectId);
    const adopted = this.core.projects.get(`${tenantId}/${projectId}`);
    if (!adopted) throw createError('not_found', `project ${projectId} not found`);
    return adopted;
  }
}
