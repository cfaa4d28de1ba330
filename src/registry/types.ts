import type {
  ConnectorAddress,
  InvokeContext,
  PeerNotification,
  ToolCallResult,
  ToolDefinition,
  Trust,
  UpstreamPeer,
  ValidationIssue,
} from '../core/index.js';
import type { ConnectorRecord, ConnectorStatus, ConnectorVersionRecord } from '../store/store.js';

/** Names of registry events. */
export type RegistryEventType =
  | 'project.created'
  | 'project.deleted'
  | 'connector.installed'
  | 'connector.updated'
  | 'connector.enabled'
  | 'connector.disabled'
  | 'connector.uninstalled'
  | 'connector.reloaded'
  | 'connector.status_changed'
  | 'health.checked';

/** An event published on every registry change. `data` never holds secrets. */
export interface RegistryEvent {
  /** Monotonic per process; used as SSE event id. */
  id: number;
  type: RegistryEventType;
  tenant_id: string;
  project_id: string;
  connector?: string;
  at: string;
  data: Record<string, unknown>;
}

/** A tool as served: its source connector, definition and precompiled argument validator. */
export interface RegisteredTool {
  connector: string;
  /** Original tool name within the connector. */
  name: string;
  /** `{connector}__{name}` — unique within a project. */
  qualifiedName: string;
  definition: ToolDefinition;
  /** Checks arguments against the input schema; returns null when valid. Compiled once per version. */
  validate(args: unknown): ValidationIssue[] | null;
}

/** What the registry knows of one connector at snapshot time (no secrets). */
export interface ConnectorView {
  name: string;
  kind: ConnectorRecord['kind'];
  enabled: boolean;
  status: ConnectorStatus;
  status_reason: string | null;
  version: string;
  seq: number;
  tools: RegisteredTool[];
}

/**
 * An immutable view of one project's served tools. Replaced as a whole on every change,
 * so readers never lock. `tools` holds only tools of enabled connectors that loaded.
 */
export interface ProjectSnapshot {
  readonly tenantId: string;
  readonly projectId: string;
  /** Increases with every change of this project. */
  readonly revision: number;
  readonly tools: readonly RegisteredTool[];
  readonly byQualifiedName: ReadonlyMap<string, RegisteredTool>;
  readonly connectors: ReadonlyMap<string, ConnectorView>;
}

/** What the gateway needs from the registry. */
export interface ToolProvider {
  /** The current snapshot, or undefined when the project does not exist in that tenant. */
  getSnapshot(tenantId: string, projectId: string): ProjectSnapshot | undefined;
  /** Calls a tool of a connector (original name), recording usage; tool failures resolve as isError results. */
  callTool(
    tenantId: string,
    projectId: string,
    connector: string,
    tool: string,
    args: Record<string, unknown>,
    ctx?: InvokeContext,
  ): Promise<ToolCallResult>;
  /** Subscribes to registry events; returns an unsubscribe function. */
  subscribe(listener: (event: RegistryEvent) => void): () => void;
  /**
   * The federation facet of a connector — only an enabled upstream MCP connector whose source is running has one
   * (resources, prompts, completions, logging, server→client requests). Scoped to the tenant and project.
   */
  peer?(...connector: ConnectorAddress): UpstreamPeer | undefined;
  /** Subscribes to the notifications upstream MCP connectors send (list changes, resource updates, log messages). */
  subscribeUpstream?(listener: (event: UpstreamEvent) => void): () => void;
}

/** A notification of one connector's upstream. */
export interface UpstreamEvent {
  tenantId: string;
  projectId: string;
  connector: string;
  notification: PeerNotification;
}

/** Input of an install. */
export interface InstallRequest {
  tenantId: string;
  projectId: string;
  /** YAML text or an already-parsed object; omitted → read from `filePath`. */
  manifest?: string | Record<string, unknown>;
  /**
   * The connector the manifest must describe. When set, a manifest naming another connector is refused
   * (`validation_failed` at `/manifest/name`) before anything is written.
   */
  name?: string;
  /** File the manifest came from (watched for hot reload; base for relative script paths). */
  filePath?: string;
  config?: Record<string, string>;
  enabled?: boolean;
  /** Allow the same version number with different content. */
  force?: boolean;
  /**
   * Hot reload: changed content that keeps the current version string is recorded under the label
   * `VERSION+reload.SEQ` (`VERSION.reload.SEQ` when VERSION already has build metadata), so version strings
   * stay unique per connector. Implies `force`.
   */
  reload?: boolean;
  /** Carry stored secrets over even when the new version sends them to another origin (see secret-origins). */
  reuseSecrets?: boolean;
  /** Extra metadata kept on the connector (service surface fields). */
  metadata?: Record<string, unknown>;
  /** Who asks: `operator` content may use host powers; default `tenant` (sandboxed, within the operator's limits). */
  trust?: Trust;
}

/** Result of an install. */
export interface InstallResult {
  connector: ConnectorRecord;
  version: ConnectorVersionRecord;
  /** False when the content was identical to the current version (nothing changed). */
  changed: boolean;
  created: boolean;
}

/** Something that wraps every tool call (circuit breaker, metrics, tracing). */
export interface CallInterceptor {
  /** Throws ToolportError('upstream_unavailable') to fail fast; returns a token passed to `after`. */
  before(tenantId: string, projectId: string, connector: string, tool: string): unknown;
  after(token: unknown, result: ToolCallResult, elapsedMs: number): void;
}
