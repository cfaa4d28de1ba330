/**
 * The store interface: everything Toolport persists. Two drivers implement it (SQLite and
 * PostgreSQL); one conformance suite (`test/store/store-conformance.ts`) runs against both.
 *
 * Rules every driver keeps:
 * - every method that writes is one transaction: after a crash either the old or the new state is there;
 * - `config` maps hold plaintext in memory; drivers encrypt them at rest (AES-256-GCM) with the SecretBox
 *   they were given and never log them;
 * - tenant scoping is explicit: every lookup below the tenant takes the tenant id;
 * - timestamps are ISO-8601 strings; JSON columns round-trip plain objects.
 */
import type { ConnectorAddress, Trust } from '../core/index.js';
import type { ConnectorManifest } from '../manifest/types.js';

/** A tenant. */
export interface TenantRecord {
  id: string;
  name: string;
  created_at: string;
}

/** Scopes an API key can carry. */
/** `operator` (only the operator may grant it) gives a key the admin token's powers. */
export type ApiKeyScope = 'admin' | 'invoke' | 'operator';

/** An API key as stored: never the key itself, only its hash. */
export interface ApiKeyRecord {
  id: string;
  tenant_id: string;
  name: string;
  /** The first characters of the key, shown in listings to recognise it. */
  prefix: string;
  /** SHA-256 hex of the full key. */
  hash: string;
  scopes: ApiKeyScope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A project inside a tenant. */
export interface ProjectRecord {
  tenant_id: string;
  id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

/** Observed status of a connector. */
export type ConnectorStatus = 'active' | 'inactive' | 'error';

/** The observed-status columns of a connector (what a status-only update writes). */
export type StatusChange = Pick<ConnectorRecord, 'status' | 'status_reason' | 'updated_at'>;

/** A connector: desired state (`enabled`), observed state (`status`) and the version it serves. */
export interface ConnectorRecord {
  tenant_id: string;
  project_id: string;
  name: string;
  kind: ConnectorManifest['kind'];
  enabled: boolean;
  status: ConnectorStatus;
  status_reason: string | null;
  /** Sequence number of the version being served (1-based). */
  current_version: number;
  /** File the connector was installed from (hot reload watches it), or null. */
  source_path: string | null;
  /** Plaintext config values (secrets included); encrypted at rest by the driver. */
  config: Record<string, string>;
  /** Who the current content was admitted for (see `Trust`): decides sandboxing and host powers. */
  trust: Trust;
  /** Free-form facts: service surface fields (type, hosting_mode, script_id …), health settings. */
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

/** Tool changes of a version against the one before it. */
export interface ToolDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** An immutable version of a connector's descriptor. */
export interface ConnectorVersionRecord {
  tenant_id: string;
  project_id: string;
  connector_name: string;
  /** 1, 2, 3 … per connector. */
  seq: number;
  /** The descriptor's own semver. */
  version: string;
  /** SHA-256 of the canonical descriptor JSON. */
  hash: string;
  manifest: ConnectorManifest;
  diff: ToolDiff;
  source_path: string | null;
  created_at: string;
}

/** Accumulated usage of one tool. Flushed in batches by the registry; `add` semantics. */
export interface ToolUsageRecord {
  tenant_id: string;
  project_id: string;
  connector_name: string;
  tool_name: string;
  calls: number;
  errors: number;
  total_latency_ms: number;
  last_used_at: string | null;
  /** Latency histogram: counts per bucket upper bound in ms (`"+Inf"` for the rest). */
  latency_buckets: Record<string, number>;
}

/** An uploaded Python script (content-addressed per tenant). */
export interface ScriptRecord {
  /** SHA-256 hex of the content. */
  id: string;
  tenant_id: string;
  filename: string;
  content: string;
  size: number;
  /** Analysis result (functions, schemas, warnings); null until analysed. */
  analysis: Record<string, unknown> | null;
  created_at: string;
}

/** One health check outcome. */
export interface HealthCheckRecord {
  tenant_id: string;
  project_id: string;
  connector_name: string;
  checked_at: string;
  ok: boolean;
  latency_ms: number;
  message: string | null;
  details: Record<string, unknown>;
}

/** A webhook subscription of a project. `secret` is encrypted at rest. */
export interface WebhookRecord {
  id: string;
  tenant_id: string;
  project_id: string;
  url: string;
  secret: string;
  events: string[];
  enabled: boolean;
  created_at: string;
}

/** One delivery attempt log entry. */
export interface WebhookDeliveryRecord {
  id: string;
  webhook_id: string;
  tenant_id: string;
  event: string;
  attempt: number;
  status_code: number | null;
  ok: boolean;
  error: string | null;
  delivered_at: string;
}

/** The persistence interface. All methods may throw ToolportError('store_failed' | 'conflict' | 'not_found'). */
export interface Store {
  readonly driver: 'sqlite' | 'postgres';

  /** Applies pending migrations. Called once at start; idempotent and safe to run from several nodes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** One trivial round trip to the database; throws `store_failed` when it cannot be reached. */
  ping(): Promise<void>;

  // Tenants — createTenant throws `conflict` when the id exists.
  createTenant(tenant: TenantRecord): Promise<void>;
  getTenant(id: string): Promise<TenantRecord | null>;
  listTenants(): Promise<TenantRecord[]>;
  /** Deletes a tenant and everything below it. Returns false when absent. */
  deleteTenant(id: string): Promise<boolean>;

  // API keys
  createApiKey(key: ApiKeyRecord): Promise<void>;
  getApiKeyByHash(hash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  /** Sets revoked_at; returns false when no such key in that tenant. */
  revokeApiKey(tenantId: string, keyId: string, at: string): Promise<boolean>;
  touchApiKey(keyId: string, at: string): Promise<void>;

  // Projects — createProject throws `conflict` when (tenant, id) exists.
  createProject(project: ProjectRecord): Promise<void>;
  getProject(tenantId: string, id: string): Promise<ProjectRecord | null>;
  listProjects(tenantId?: string): Promise<ProjectRecord[]>;
  updateProject(
    tenantId: string,
    id: string,
    patch: { name?: string; description?: string; updated_at: string },
  ): Promise<ProjectRecord | null>;
  /** Deletes the project with its connectors, versions, usage, health and webhooks. */
  deleteProject(tenantId: string, id: string): Promise<boolean>;

  // Connectors
  /** Inserts the connector row and its version row in one transaction (first install or new version). */
  saveConnectorVersion(connector: ConnectorRecord, version: ConnectorVersionRecord): Promise<void>;
  /** Updates the connector row only (enable/disable, status, rollback to an existing version, config). */
  updateConnector(connector: ConnectorRecord): Promise<void>;
  /**
   * Updates only the observed status of a connector (status, status_reason, updated_at), so a status change
   * can never roll back a concurrent change of its version, enablement or config. False when absent.
   */
  updateConnectorStatus(...args: [...ConnectorAddress, change: StatusChange]): Promise<boolean>;
  /** Updates only a connector's metadata (and updated_at). False when absent. */
  updateConnectorMetadata(
    ...args: [...ConnectorAddress, metadata: Record<string, unknown>, updatedAt: string]
  ): Promise<boolean>;
  getConnector(...connector: ConnectorAddress): Promise<ConnectorRecord | null>;
  /** All connectors; filter by tenant and/or project. */
  listConnectors(filter?: { tenantId?: string; projectId?: string }): Promise<ConnectorRecord[]>;
  /** Deletes a connector with its versions, usage and health history. */
  deleteConnector(...connector: ConnectorAddress): Promise<boolean>;
  listConnectorVersions(...connector: ConnectorAddress): Promise<ConnectorVersionRecord[]>;
  getConnectorVersion(...args: [...ConnectorAddress, seq: number]): Promise<ConnectorVersionRecord | null>;

  // Usage — additive upsert of a batch, one transaction.
  addToolUsage(batch: ToolUsageRecord[]): Promise<void>;
  listToolUsage(filter?: { tenantId?: string; projectId?: string; connectorName?: string }): Promise<ToolUsageRecord[]>;

  // Scripts
  /** Inserts or returns the existing record for (tenant, id). */
  saveScript(script: ScriptRecord): Promise<ScriptRecord>;
  getScript(tenantId: string, id: string): Promise<ScriptRecord | null>;
  listScripts(tenantId: string, search?: string): Promise<Omit<ScriptRecord, 'content'>[]>;
  setScriptAnalysis(tenantId: string, id: string, analysis: Record<string, unknown>): Promise<void>;
  deleteScript(tenantId: string, id: string): Promise<boolean>;

  // Health history — keeps at most `keep` newest records per connector.
  addHealthCheck(check: HealthCheckRecord, keep: number): Promise<void>;
  listHealthChecks(...args: [...ConnectorAddress, limit: number]): Promise<HealthCheckRecord[]>;

  // Webhooks
  createWebhook(hook: WebhookRecord): Promise<void>;
  listWebhooks(tenantId: string, projectId?: string): Promise<WebhookRecord[]>;
  deleteWebhook(tenantId: string, id: string): Promise<boolean>;
  addWebhookDelivery(delivery: WebhookDeliveryRecord, keep: number): Promise<void>;
  listWebhookDeliveries(tenantId: string, webhookId: string, limit: number): Promise<WebhookDeliveryRecord[]>;

  // Key/value settings (cluster-wide facts such as the admin token hash).
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;

  /**
   * Subscribes to change notices from other nodes (PostgreSQL LISTEN/NOTIFY; SQLite: local only).
   * `notify` publishes one. Returns an unsubscribe function.
   */
  onChange(listener: (notice: ChangeNotice) => void): () => void;
  /**
   * Resolves once change notices are being received (PostgreSQL: the LISTEN connection is up; SQLite: at once),
   * so a node that subscribes, waits, then reads its state misses no change made meanwhile.
   */
  listening(): Promise<void>;
  /**
   * Subscribes to "notices may have been missed": PostgreSQL calls it when the LISTEN connection is back after
   * being lost (a subscriber re-reads everything); SQLite never does. Returns an unsubscribe function.
   */
  onResync(listener: () => void): () => void;
  notify(notice: ChangeNotice): Promise<void>;

  // What the nodes share of a 2025-era MCP session, keyed by a digest of its id. Rows carry the session id's own
  // expiry and are removed by purgeSessionShares once past it (or by endSessionShare when the client ends it).
  getSessionShare(key: string): Promise<SessionShareRecord>;
  /** The nodes recorded as holding a copy of the session (sorted): `getSessionShare(key).nodes` alone. */
  getSessionNodes(key: string): Promise<string[]>;
  /** Records that `node` holds a copy of the session (idempotent). */
  addSessionNode(key: string, node: string, expiresAt: string): Promise<void>;
  removeSessionNode(key: string, node: string): Promise<void>;
  setSessionLogLevel(key: string, level: string, expiresAt: string): Promise<void>;
  /** Adds (or, with `subscribed` false, removes) one resource subscription of the session. */
  setSessionSubscription(key: string, uri: string, subscribed: boolean, expiresAt: string): Promise<void>;
  /**
   * The client ended the session: records it as ended (until `expiresAt`) and deletes its state, in one transaction.
   * Returns the nodes that were recorded as holding a copy.
   */
  endSessionShare(key: string, expiresAt: string): Promise<string[]>;
  /** Deletes every session row and parked node message expired at `now`; returns how many rows went. */
  purgeSessionShares(now: string): Promise<number>;

  /**
   * Sends a message to another node, or to every node (PostgreSQL: NOTIFY on `toolport_nodes`, bodies too large for
   * a NOTIFY parked in a table; SQLite: this process only, unless `serve --workers` relays it). Best effort: a node
   * that is not listening misses it.
   */
  sendNodeMessage(message: NodeMessage): Promise<void>;
  /** Receives the messages for node `node` or for every node (not the ones `node` sent). Returns an unsubscribe. */
  onNodeMessage(node: string, listener: (message: NodeMessage) => void): () => void;

  /**
   * Runs `fn` only if this node holds the named cluster-wide lock (PostgreSQL advisory lock;
   * SQLite: always). Returns whether it ran.
   */
  withLeaderLock(name: string, fn: () => Promise<void>): Promise<boolean>;
}

/** What the nodes share of one 2025-era MCP session (see docs/deployment.md). */
export interface SessionShareRecord {
  /** The client's `logging/setLevel`, if it sent one. */
  log_level: string | null;
  /** The resource URIs it subscribed to, as it named them (sorted). */
  subscriptions: string[];
  /** The nodes holding a copy of the session (their message addresses, sorted). */
  nodes: string[];
  /** The client ended the session (DELETE): every node refuses its id until it expires. */
  ended: boolean;
}

/** A message between nodes. */
export interface NodeMessage {
  /** The sending node's address. */
  from: string;
  /** The one node it is for; every node when absent. */
  to?: string;
  body: Record<string, unknown>;
}

/** A registry change announced to other nodes. */
export interface ChangeNotice {
  /** Node that made the change (nodes ignore their own notices). */
  node: string;
  tenant_id: string;
  project_id: string;
  connector_name?: string;
  event: string;
}
