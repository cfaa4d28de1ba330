/** Record factories for the store tests: valid defaults, overridable per test. */
import type { ConnectorManifest } from '../../src/manifest/types.js';
import type { ApiKeyRecord, ConnectorRecord, ConnectorVersionRecord } from '../../src/store/index.js';
import type { HealthCheckRecord, ProjectRecord, ScriptRecord, ToolUsageRecord } from '../../src/store/index.js';
import type { WebhookDeliveryRecord, WebhookRecord } from '../../src/store/index.js';

/** ISO time `s` seconds after a fixed instant (sortable, distinct). */
export const at = (s: number): string => new Date(Date.UTC(2025, 0, 1) + s * 1000).toISOString();

export const apiKey = (tenant: string, id: string, o: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id,
  tenant_id: tenant,
  name: `key ${id}`,
  prefix: `tp_${id.slice(0, 4)}`,
  hash: `hash-${tenant}-${id}`,
  scopes: ['admin', 'invoke'],
  created_at: at(1),
  last_used_at: null,
  revoked_at: null,
  ...o,
});

export const project = (tenant: string, id: string, o: Partial<ProjectRecord> = {}): ProjectRecord => ({
  tenant_id: tenant,
  id,
  name: `Project ${id}`,
  description: '',
  created_at: at(2),
  updated_at: at(2),
  ...o,
});

export const manifest = (name: string, tools: string[] = ['echo']): ConnectorManifest => ({
  name,
  version: '1.0.0',
  kind: 'http',
  config: { api_key: { secret: true, required: true } },
  tools: tools.map((t) => ({ name: t, description: `tool ${t}`, input_schema: { type: 'object' } })),
});

export const connector = (
  tenant: string,
  proj: string,
  name: string,
  o: Partial<ConnectorRecord> = {},
): ConnectorRecord => ({
  tenant_id: tenant,
  project_id: proj,
  name,
  kind: 'http',
  enabled: true,
  status: 'active',
  status_reason: null,
  current_version: 1,
  source_path: null,
  config: { api_key: 'sk-live-SECRET-VALUE-123' },
  trust: 'tenant',
  metadata: { type: 'function', nested: { list: [1, 2] } },
  created_at: at(3),
  updated_at: at(3),
  ...o,
});

export const version = (
  c: ConnectorRecord,
  seq: number,
  o: Partial<ConnectorVersionRecord> = {},
): ConnectorVersionRecord => ({
  tenant_id: c.tenant_id,
  project_id: c.project_id,
  connector_name: c.name,
  seq,
  version: `1.0.${seq}`,
  hash: `hash-${seq}`,
  manifest: manifest(c.name),
  diff: { added: seq === 1 ? ['echo'] : [], removed: [], changed: [] },
  source_path: null,
  created_at: at(3 + seq),
  ...o,
});

export const usage = (c: ConnectorRecord, tool: string, o: Partial<ToolUsageRecord> = {}): ToolUsageRecord => ({
  tenant_id: c.tenant_id,
  project_id: c.project_id,
  connector_name: c.name,
  tool_name: tool,
  calls: 1,
  errors: 0,
  total_latency_ms: 10,
  last_used_at: at(10),
  latency_buckets: { '10': 1 },
  ...o,
});

export const script = (tenant: string, id: string, o: Partial<ScriptRecord> = {}): ScriptRecord => ({
  id,
  tenant_id: tenant,
  filename: `${id}.py`,
  content: 'def hello(name: str) -> str:\n    return name\n',
  size: 42,
  analysis: null,
  created_at: at(4),
  ...o,
});

export const health = (c: ConnectorRecord, s: number, o: Partial<HealthCheckRecord> = {}): HealthCheckRecord => ({
  tenant_id: c.tenant_id,
  project_id: c.project_id,
  connector_name: c.name,
  checked_at: at(s),
  ok: true,
  latency_ms: 1.5,
  message: null,
  details: { probe: 'echo' },
  ...o,
});

export const webhook = (tenant: string, proj: string, id: string, o: Partial<WebhookRecord> = {}): WebhookRecord => ({
  id,
  tenant_id: tenant,
  project_id: proj,
  url: 'https://hooks.example.test/in',
  secret: 'whsec-SECRET-SIGNING-456',
  events: ['connector.installed', 'connector.updated'],
  enabled: true,
  created_at: at(5),
  ...o,
});

export const delivery = (
  hook: WebhookRecord,
  id: string,
  s: number,
  o: Partial<WebhookDeliveryRecord> = {},
): WebhookDeliveryRecord => ({
  id,
  webhook_id: hook.id,
  tenant_id: hook.tenant_id,
  event: 'connector.installed',
  attempt: 1,
  status_code: 200,
  ok: true,
  error: null,
  delivered_at: at(s),
  ...o,
});
