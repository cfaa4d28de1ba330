/**
 * The schema, written once for both dialects. Column types that differ are tokens filled in by each
 * dialect's `migrations.ts`, which lists the numbered migrations it applies.
 *
 * Timestamps are TEXT holding ISO-8601 strings in both dialects: they round-trip exactly and sort
 * correctly as text. Secrets live only in `*_enc` columns (SecretBox-sealed).
 */

/** Column types of one dialect. */
export interface ColumnTypes {
  json: string;
  bool: string;
  int: string;
  bigint: string;
  real: string;
  /** An auto-incrementing integer primary key column definition. */
  serialPk: string;
  /** Appended after each CREATE TABLE (SQLite: STRICT). */
  tableSuffix: string;
}

/** One numbered migration: statements run in order inside one transaction. */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

/** The bookkeeping table both dialects share. */
export const SCHEMA_MIGRATIONS_DDL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)';

/**
 * Migration 2: who a connector's content was admitted for. Rows from before default to `tenant`, the safe side:
 * an operator re-installs what must keep host powers.
 */
const TRUST_COLUMN_DDL = ["ALTER TABLE connectors ADD COLUMN trust TEXT NOT NULL DEFAULT 'tenant'"];

/**
 * Migration 3: what the nodes share of a 2025-era MCP session (log level, resource subscriptions, which nodes hold a
 * copy), keyed by a digest of the session id, and node messages too large for a NOTIFY. Every row expires.
 */
const SESSION_SHARE_DDL = (t: ColumnTypes): string[] => [
  `CREATE TABLE mcp_session_levels (
    session_key TEXT PRIMARY KEY, log_level TEXT NOT NULL, expires_at TEXT NOT NULL)${t.tableSuffix}`,
  `CREATE TABLE mcp_session_subscriptions (
    session_key TEXT NOT NULL, uri TEXT NOT NULL, expires_at TEXT NOT NULL,
    PRIMARY KEY (session_key, uri))${t.tableSuffix}`,
  `CREATE TABLE mcp_session_nodes (
    session_key TEXT NOT NULL, node TEXT NOT NULL, expires_at TEXT NOT NULL,
    PRIMARY KEY (session_key, node))${t.tableSuffix}`,
  `CREATE TABLE node_messages (id TEXT PRIMARY KEY, body TEXT NOT NULL, expires_at TEXT NOT NULL)${t.tableSuffix}`,
  'CREATE INDEX mcp_session_levels_expiry ON mcp_session_levels (expires_at)',
  'CREATE INDEX mcp_session_subscriptions_expiry ON mcp_session_subscriptions (expires_at)',
  'CREATE INDEX mcp_session_nodes_expiry ON mcp_session_nodes (expires_at)',
  'CREATE INDEX node_messages_expiry ON node_messages (expires_at)',
];

/**
 * Migration 4: sessions a client ended (DELETE), keyed like the shared state and expiring with the session id, so
 * that every node refuses the id, including one that would rebuild the session from it later.
 */
const SESSION_END_DDL = (t: ColumnTypes): string[] => [
  `CREATE TABLE mcp_session_ended (session_key TEXT PRIMARY KEY, expires_at TEXT NOT NULL)${t.tableSuffix}`,
  'CREATE INDEX mcp_session_ended_expiry ON mcp_session_ended (expires_at)',
];

/**
 * Every migration of one dialect, in order: both dialects run the same list, only the column types differ.
 * Append only; never edit an applied one.
 */
export function migrationsFor(types: ColumnTypes): readonly Migration[] {
  return [
    { version: 1, name: 'initial', statements: initialSchema(types) },
    { version: 2, name: 'connector trust', statements: TRUST_COLUMN_DDL },
    { version: 3, name: 'shared mcp sessions', statements: SESSION_SHARE_DDL(types) },
    { version: 4, name: 'ended mcp sessions', statements: SESSION_END_DDL(types) },
  ];
}

/** Migration 1: every table of the Store interface. */
export function initialSchema(t: ColumnTypes): string[] {
  const s = t.tableSuffix;
  return [
    `CREATE TABLE tenants (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL)${s}`,
    `CREATE TABLE api_keys (
      id TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      name TEXT NOT NULL, prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, scopes ${t.json} NOT NULL,
      created_at TEXT NOT NULL, last_used_at TEXT, revoked_at TEXT)${s}`,
    'CREATE INDEX api_keys_tenant ON api_keys (tenant_id)',
    `CREATE TABLE projects (
      tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      PRIMARY KEY (tenant_id, id))${s}`,
    `CREATE TABLE connectors (
      tenant_id TEXT NOT NULL, project_id TEXT NOT NULL, name TEXT NOT NULL,
      kind TEXT NOT NULL, enabled ${t.bool} NOT NULL, status TEXT NOT NULL, status_reason TEXT,
      current_version ${t.int} NOT NULL, source_path TEXT, config_enc TEXT NOT NULL, metadata ${t.json} NOT NULL,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      PRIMARY KEY (tenant_id, project_id, name),
      FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE)${s}`,
    `CREATE TABLE connector_versions (
      tenant_id TEXT NOT NULL, project_id TEXT NOT NULL, connector_name TEXT NOT NULL, seq ${t.int} NOT NULL,
      version TEXT NOT NULL, hash TEXT NOT NULL, manifest ${t.json} NOT NULL, diff ${t.json} NOT NULL,
      source_path TEXT, created_at TEXT NOT NULL,
      PRIMARY KEY (tenant_id, project_id, connector_name, seq),
      FOREIGN KEY (tenant_id, project_id, connector_name)
        REFERENCES connectors (tenant_id, project_id, name) ON DELETE CASCADE)${s}`,
    `CREATE TABLE tool_usage (
      tenant_id TEXT NOT NULL, project_id TEXT NOT NULL, connector_name TEXT NOT NULL, tool_name TEXT NOT NULL,
      calls ${t.bigint} NOT NULL, errors ${t.bigint} NOT NULL, total_latency_ms ${t.real} NOT NULL,
      last_used_at TEXT, latency_buckets ${t.json} NOT NULL,
      PRIMARY KEY (tenant_id, project_id, connector_name, tool_name),
      FOREIGN KEY (tenant_id, project_id, connector_name)
        REFERENCES connectors (tenant_id, project_id, name) ON DELETE CASCADE)${s}`,
    `CREATE TABLE scripts (
      tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      id TEXT NOT NULL, filename TEXT NOT NULL, content TEXT NOT NULL, size ${t.bigint} NOT NULL,
      analysis ${t.json}, created_at TEXT NOT NULL,
      PRIMARY KEY (tenant_id, id))${s}`,
    `CREATE TABLE health_checks (
      seq ${t.serialPk},
      tenant_id TEXT NOT NULL, project_id TEXT NOT NULL, connector_name TEXT NOT NULL,
      checked_at TEXT NOT NULL, ok ${t.bool} NOT NULL, latency_ms ${t.real} NOT NULL, message TEXT,
      details ${t.json} NOT NULL,
      FOREIGN KEY (tenant_id, project_id, connector_name)
        REFERENCES connectors (tenant_id, project_id, name) ON DELETE CASCADE)${s}`,
    'CREATE INDEX health_checks_connector ON health_checks (tenant_id, project_id, connector_name, checked_at)',
    `CREATE TABLE webhooks (
      id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, project_id TEXT NOT NULL,
      url TEXT NOT NULL, secret_enc TEXT NOT NULL, events ${t.json} NOT NULL, enabled ${t.bool} NOT NULL,
      created_at TEXT NOT NULL,
      FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE)${s}`,
    'CREATE INDEX webhooks_project ON webhooks (tenant_id, project_id)',
    `CREATE TABLE webhook_deliveries (
      seq ${t.serialPk},
      id TEXT NOT NULL, webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
      tenant_id TEXT NOT NULL, event TEXT NOT NULL, attempt ${t.int} NOT NULL, status_code ${t.int},
      ok ${t.bool} NOT NULL, error TEXT, delivered_at TEXT NOT NULL)${s}`,
    'CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, delivered_at)',
    `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)${s}`,
  ];
}
