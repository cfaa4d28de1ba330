import type { ConnectorAddress, InvokeContext, ToolCallResult, Trust } from '../core/index.js';
import type { ConnectorManifest } from '../manifest/types.js';
import type {
  ConnectorRecord,
  ConnectorVersionRecord,
  HealthCheckRecord,
  ProjectRecord,
  ToolUsageRecord,
} from '../store/store.js';
import type { InstallRequest, InstallResult, RegisteredTool, RegistryEvent, ToolProvider } from './types.js';

/** A connector as the API returns it: no config values, only which keys are set. */
export interface ConnectorSummary extends Omit<ConnectorRecord, 'config'> {
  version: string;
  description?: string;
  tool_count: number;
  tools: string[];
  config_keys: string[];
  /** Facts from the running source (sandboxed, workers …). */
  runtime: Record<string, unknown>;
  /** The connector's circuit breaker (absent when no breaker is installed). */
  breaker?: {
    state: 'closed' | 'open' | 'half_open';
    failures: number;
    opened_at: string | null;
    retry_at: string | null;
  };
}

/** A version as the API returns it. */
export type VersionSummary = Omit<ConnectorVersionRecord, 'manifest'> & { current: boolean; tool_count: number };

/** A tool as the API returns it. */
export interface ToolSummary {
  name: string;
  qualified_name: string;
  connector: string;
  enabled: boolean;
  status: string;
  description?: string;
  input_schema: Record<string, unknown>;
  output_schema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
  usage: Omit<ToolUsageRecord, 'tenant_id' | 'project_id' | 'connector_name' | 'tool_name' | 'latency_buckets'> & {
    p50_ms: number | null;
    p95_ms: number | null;
    p99_ms: number | null;
  };
  /** From the probe's checks and the latest real calls (kept in memory; `unknown` until exercised). */
  health?: { status: 'ok' | 'failing' | 'unknown'; last_error?: string; last_checked_at?: string };
  /** The connector registry's `LoadedTool` words, next to `usage`: calls so far. */
  invocation_count: number;
  /** When the tool was last called (ISO time), or null. */
  last_used: string | null;
  /** When the serving source loaded the tool on this node, or null while it is not loaded. */
  loaded_at: string | null;
  /** The connector version (manifest `version`) the tool belongs to. */
  connector_version: string;
}

/** Per-project statistics. */
export interface ProjectStats {
  project_id: string;
  connector_count: number;
  tool_count: number;
  enabled_connectors: number;
  by_status: Record<string, number>;
  by_kind: Record<string, number>;
  calls: number;
  errors: number;
  avg_latency_ms: number | null;
}

/** What a hot reload pass did per connector. */
export interface ReloadOutcome {
  connector: string;
  file: string;
  outcome: 'reloaded' | 'unchanged' | 'error' | 'missing';
  message?: string;
  version?: number;
}

/**
 * The registry as the REST api and the CLI use it. All methods are tenant-scoped and throw
 * ToolportError (`not_found` for anything outside the tenant, `validation_failed`, `conflict`, `limit_exceeded`).
 */
export interface RegistryApi extends ToolProvider {
  /** Recent events after `afterId`, oldest first (SSE `Last-Event-ID` resumption). */
  eventsSince(afterId: number): RegistryEvent[];
  // Projects
  createProject(tenantId: string, input: { id: string; name?: string; description?: string }): Promise<ProjectRecord>;
  getProject(tenantId: string, projectId: string): Promise<ProjectRecord>;
  listProjects(tenantId: string): Promise<ProjectRecord[]>;
  updateProject(
    tenantId: string,
    projectId: string,
    patch: { name?: string; description?: string },
  ): Promise<ProjectRecord>;
  deleteProject(tenantId: string, projectId: string): Promise<void>;
  /** Creates the `default` project (and any missing snapshot) for a new tenant. */
  ensureTenantDefaults(tenantId: string): Promise<void>;
  /**
   * Deletes a tenant with everything below it in one store operation, then stops its sources and drops its
   * snapshots (here and, through `project.deleted` notices, on other nodes). False when it did not exist.
   */
  deleteTenant(tenantId: string): Promise<boolean>;

  // Connectors
  install(request: InstallRequest): Promise<InstallResult>;
  /** The descriptor of the current version (no config values). */
  getManifest(...connector: ConnectorAddress): Promise<ConnectorManifest>;
  listConnectors(tenantId: string, projectId: string): Promise<ConnectorSummary[]>;
  getConnector(...connector: ConnectorAddress): Promise<ConnectorSummary>;
  setEnabled(...args: [...ConnectorAddress, enabled: boolean]): Promise<ConnectorSummary>;
  uninstall(...connector: ConnectorAddress): Promise<void>;
  listVersions(...connector: ConnectorAddress): Promise<VersionSummary[]>;
  /**
   * Serves version `seq` again. Its content is admitted anew with `trust` (default `tenant`); `reuseSecrets` lets
   * stored secrets follow the version to another origin (see secret-origins).
   */
  rollback(
    ...args: [...ConnectorAddress, seq: number, options?: { trust?: Trust; reuseSecrets?: boolean }]
  ): Promise<ConnectorSummary>;
  /** Replaces config values (merged with the current ones; `null` removes a key). */
  updateConfig(...args: [...ConnectorAddress, config: Record<string, string | null>]): Promise<ConnectorSummary>;

  // Tools
  listTools(
    tenantId: string,
    projectId: string,
    filter?: { connector?: string; enabled?: boolean },
  ): Promise<ToolSummary[]>;
  /** Resolves `{connector}__{tool}` or a bare name unique in the project. */
  resolveTool(tenantId: string, projectId: string, name: string): Promise<RegisteredTool>;
  /** Validates arguments and calls the tool; `validation_failed` lists issues with JSON pointers. */
  invokeTool(
    tenantId: string,
    projectId: string,
    name: string,
    args: unknown,
    ctx?: InvokeContext,
  ): Promise<ToolCallResult>;

  // Stats, reload, health
  projectStats(tenantId: string, projectId: string): Promise<ProjectStats>;
  globalStats(tenantId?: string): Promise<Record<string, unknown>>;
  hotReload(tenantId: string, projectId: string): Promise<ReloadOutcome[]>;
  checkHealth(...connector: ConnectorAddress): Promise<HealthCheckRecord>;
  healthHistory(...args: [...ConnectorAddress, limit?: number]): Promise<HealthCheckRecord[]>;
  /**
   * Sets (or with `null` clears) a functional probe that overrides the manifest's; `validation_failed` names
   * the field.
   */
  setProbe(...args: [...ConnectorAddress, probe: unknown]): Promise<ConnectorSummary>;
  /** Installs the bundled samples into a project. */
  /** Installs the bundled samples; `configFor` gives config values per connector name (the demo's local API). */
  installSamples(
    tenantId: string,
    projectId: string,
    configFor?: (connector: string) => Record<string, string> | undefined,
  ): Promise<InstallResult[]>;
}
