/**
 * Row ↔ record mapping shared by both drivers. SQLite hands back JSON as text and booleans as 0/1;
 * PostgreSQL hands back parsed JSONB, booleans and BIGINT as strings — these helpers accept both.
 */
import type {
  ApiKeyRecord,
  ConnectorRecord,
  ConnectorVersionRecord,
  HealthCheckRecord,
  ProjectRecord,
  ScriptRecord,
  TenantRecord,
  ToolUsageRecord,
  WebhookDeliveryRecord,
  WebhookRecord,
} from '../store.js';

/** A raw row as a driver returns it. */
export type Row = Record<string, unknown>;

/** Parses a JSON column (text on SQLite, already parsed on PostgreSQL). */
export function fromJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A JSON column value as a bind parameter: always text, so arrays are not taken for PostgreSQL arrays. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

const bool = (value: unknown): boolean => value === true || value === 1 || value === '1';
const num = (value: unknown): number => Number(value);
const str = (value: unknown): string => String(value);
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** Maps a tenants row. */
export function toTenant(r: Row): TenantRecord {
  return { id: str(r.id), name: str(r.name), created_at: str(r.created_at) };
}

/** Maps an api_keys row. */
export function toApiKey(r: Row): ApiKeyRecord {
  return {
    id: str(r.id),
    tenant_id: str(r.tenant_id),
    name: str(r.name),
    prefix: str(r.prefix),
    hash: str(r.hash),
    scopes: fromJson(r.scopes),
    created_at: str(r.created_at),
    last_used_at: strOrNull(r.last_used_at),
    revoked_at: strOrNull(r.revoked_at),
  };
}

/** Maps a projects row. */
export function toProject(r: Row): ProjectRecord {
  return {
    tenant_id: str(r.tenant_id),
    id: str(r.id),
    name: str(r.name),
    description: str(r.description),
    created_at: str(r.created_at),
    updated_at: str(r.updated_at),
  };
}

/** Maps a connectors row; `config` is the already decrypted map. */
export function toConnector(r: Row, config: Record<string, string>): ConnectorRecord {
  return {
    tenant_id: str(r.tenant_id),
    project_id: str(r.project_id),
    name: str(r.name),
    kind: str(r.kind) as ConnectorRecord['kind'],
    enabled: bool(r.enabled),
    status: str(r.status) as ConnectorRecord['status'],
    status_reason: strOrNull(r.status_reason),
    current_version: num(r.current_version),
    source_path: strOrNull(r.source_path),
    config,
    trust: str(r.trust) === 'operator' ? 'operator' : 'tenant',
    metadata: fromJson(r.metadata),
    created_at: str(r.created_at),
    updated_at: str(r.updated_at),
  };
}

/** Maps a connector_versions row. */
export function toVersion(r: Row): ConnectorVersionRecord {
  return {
    tenant_id: str(r.tenant_id),
    project_id: str(r.project_id),
    connector_name: str(r.connector_name),
    seq: num(r.seq),
    version: str(r.version),
    hash: str(r.hash),
    manifest: fromJson(r.manifest),
    diff: fromJson(r.diff),
    source_path: strOrNull(r.source_path),
    created_at: str(r.created_at),
  };
}

/** Maps a tool_usage row. */
export function toUsage(r: Row): ToolUsageRecord {
  const buckets = fromJson<Record<string, unknown>>(r.latency_buckets);
  return {
    tenant_id: str(r.tenant_id),
    project_id: str(r.project_id),
    connector_name: str(r.connector_name),
    tool_name: str(r.tool_name),
    calls: num(r.calls),
    errors: num(r.errors),
    total_latency_ms: num(r.total_latency_ms),
    last_used_at: strOrNull(r.last_used_at),
    latency_buckets: Object.fromEntries(Object.entries(buckets).map(([k, v]) => [k, Number(v)])),
  };
}

/** Maps a scripts row (with or without `content`). */
export function toScript(r: Row): ScriptRecord {
  return {
    id: str(r.id),
    tenant_id: str(r.tenant_id),
    filename: str(r.filename),
    content: str(r.content),
    size: num(r.size),
    analysis: r.analysis === null || r.analysis === undefined ? null : fromJson(r.analysis),
    created_at: str(r.created_at),
  };
}

/** Maps a health_checks row. */
export function toHealthCheck(r: Row): HealthCheckRecord {
  return {
    tenant_id: str(r.tenant_id),
    project_id: str(r.project_id),
    connector_name: str(r.connector_name),
    checked_at: str(r.checked_at),
    ok: bool(r.ok),
    latency_ms: num(r.latency_ms),
    message: strOrNull(r.message),
    details: fromJson(r.details),
  };
}

/** Maps a webhooks row; `secret` is the already decrypted value. */
export function toWebhook(r: Row, secret: string): WebhookRecord {
  return {
    id: str(r.id),
    tenant_id: str(r.tenant_id),
    project_id: str(r.project_id),
    url: str(r.url),
    secret,
    events: fromJson(r.events),
    enabled: bool(r.enabled),
    created_at: str(r.created_at),
  };
}

/** Maps a webhook_deliveries row. */
export function toDelivery(r: Row): WebhookDeliveryRecord {
  return {
    id: str(r.id),
    webhook_id: str(r.webhook_id),
    tenant_id: str(r.tenant_id),
    event: str(r.event),
    attempt: num(r.attempt),
    status_code: r.status_code === null || r.status_code === undefined ? null : num(r.status_code),
    ok: bool(r.ok),
    error: strOrNull(r.error),
    delivered_at: str(r.delivered_at),
  };
}
