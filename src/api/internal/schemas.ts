/**
 * JSON Schemas shared by routes. Request schemas validate (and are published in /openapi.json);
 * response schemas document only — responses are serialised with JSON.stringify so a schema that
 * lags behind the registry's output can never silently drop fields.
 */
import { SLUG_PATTERN } from '../../core/index.js';

type Json = Record<string, unknown>;

/** A slug field (tenant, project, connector ids). */
export const slug = (description: string): Json => ({
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: SLUG_PATTERN.source,
  description,
  'x-error': 'must be a slug: 1-64 lower-case letters, digits, "-" or "_", starting and ending with a letter or digit',
});

/** A plain name (tool names may contain upper case and dots). */
const toolName: Json = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  description: 'Tool name: `{connector}__{tool}` or a name unique in the project',
};

const PARAMS: Record<string, Json> = {
  id: slug('Tenant id'),
  project_id: slug('Project id'),
  name: slug('Connector name'),
  tool_name: toolName,
  key_id: { type: 'string', minLength: 1, maxLength: 100, description: 'API key id' },
  webhook_id: { type: 'string', minLength: 1, maxLength: 100, description: 'Webhook id' },
};

/**
 * The params schema of a route path's `:name` segments, each by the shared schema of its name unless `own` gives
 * one (a route family whose `:id` is not a tenant id); undefined when the path has none.
 */
export function pathParams(url: string, own: Record<string, Json> = {}): Json | undefined {
  const names = [...url.matchAll(/:([a-z_]+)/g)].map((m) => m[1] as string);
  if (names.length === 0) return undefined;
  const properties: Json = {};
  for (const n of names) properties[n] = own[n] ?? PARAMS[n];
  const unknown = names.filter((n) => properties[n] === undefined);
  // A programming error, caught when the routes are registered at start.
  if (unknown.length) throw new Error(`route ${url}: no shared schema for path parameter(s) ${unknown.join(', ')}`);
  return { type: 'object', properties, required: names, additionalProperties: false };
}

/** An object schema that rejects unknown fields. */
export function object(properties: Json, required: string[] = [], extra: Json = {}): Json {
  return { type: 'object', properties, required, additionalProperties: false, ...extra };
}

/** Documentation-only object schema (responses): listed fields, others allowed. */
export function doc(properties: Json, description?: string): Json {
  return { type: 'object', properties, additionalProperties: true, ...(description ? { description } : {}) };
}

/** Plain field types of documentation schemas. */
export const str: Json = { type: 'string' };
const strOrNull: Json = { type: ['string', 'null'] };
export const int: Json = { type: 'integer' };
const bool: Json = { type: 'boolean' };
const anyObject: Json = { type: 'object', additionalProperties: true };
const strings: Json = { type: 'array', items: str };

/** The error body of every failure. */
export const errorSchema: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string', description: 'Stable error code (see ERROR_CODES)' },
        message: str,
        details: {
          type: 'object',
          additionalProperties: true,
          properties: {
            issues: {
              type: 'array',
              items: {
                type: 'object',
                required: ['pointer', 'message'],
                properties: { pointer: str, message: str, line: int, column: int },
              },
            },
          },
        },
      },
    },
  },
};

export const tenantSchema = doc({ id: str, name: str, created_at: str }, 'A tenant');
export const projectSchema = doc(
  { tenant_id: str, id: str, name: str, description: str, created_at: str, updated_at: str },
  'A project',
);
export const apiKeySchema = doc(
  { id: str, name: str, prefix: str, scopes: strings, created_at: str, last_used_at: strOrNull, revoked_at: strOrNull },
  'An API key (never the key or its hash)',
);
export const newApiKeySchema = doc(
  {
    id: str,
    key: { type: 'string', description: 'The key itself; shown only in this response' },
    prefix: str,
    scopes: strings,
    name: str,
    created_at: str,
  },
  'A newly created API key',
);
export const connectorSchema = doc(
  {
    name: str,
    kind: str,
    enabled: bool,
    status: { type: 'string', enum: ['active', 'inactive', 'error'] },
    status_reason: strOrNull,
    version: str,
    current_version: int,
    description: str,
    tool_count: int,
    tools: strings,
    config_keys: { ...strings, description: 'Names of the config keys that are set; values are never returned' },
    source_path: strOrNull,
    metadata: anyObject,
    runtime: anyObject,
    created_at: str,
    updated_at: str,
  },
  'A connector (config values are never returned, only `config_keys`)',
);
const diffSchema = doc({ added: strings, removed: strings, changed: strings });
export const versionSchema = doc(
  {
    seq: int,
    version: str,
    hash: str,
    diff: diffSchema,
    source_path: strOrNull,
    created_at: str,
    current: bool,
    tool_count: int,
  },
  'A connector version',
);
export const installResultSchema = doc(
  { connector: connectorSchema, version: versionSchema, changed: bool, created: bool },
  'The outcome of an install: 201 when the connector is new, 200 for a new (or identical) version',
);
export const toolSchema = doc(
  {
    name: str,
    qualified_name: str,
    connector: str,
    enabled: bool,
    status: str,
    description: str,
    input_schema: anyObject,
    output_schema: anyObject,
    annotations: anyObject,
    usage: doc({ calls: int, errors: int, total_latency_ms: { type: 'number' }, last_used_at: strOrNull }),
    invocation_count: int,
    last_used: strOrNull,
    loaded_at: strOrNull,
    connector_version: str,
  },
  "A tool (with the connector registry's LoadedTool fields invocation_count, last_used, loaded_at, connector_version)",
);
export const toolResultSchema = doc(
  { content: { type: 'array', items: anyObject }, structuredContent: anyObject, isError: bool },
  'The MCP tool call result (tool failures are `isError: true`, still 200)',
);
export const healthCheckSchema = doc({
  connector_name: str,
  checked_at: str,
  ok: bool,
  latency_ms: { type: 'number' },
  message: strOrNull,
  details: anyObject,
});
export const statsSchema = doc(
  {
    project_id: str,
    connector_count: int,
    tool_count: int,
    enabled_connectors: int,
    by_status: anyObject,
    by_kind: anyObject,
    calls: int,
    errors: int,
  },
  'Project statistics',
);
export const reloadOutcomeSchema = doc({
  connector: str,
  file: str,
  outcome: { type: 'string', enum: ['reloaded', 'unchanged', 'error', 'missing'] },
  message: str,
  version: int,
});

/** `{key: [items]}` list envelope. */
export function list(key: string, item: Json, description: string): Json {
  return { type: 'object', required: [key], properties: { [key]: { type: 'array', items: item } }, description };
}

/** The 204 response. */
export const noContent: Json = { description: 'Done; no body', type: 'null' };

/** The opt-in that lets stored secrets follow a connector to a new origin (see docs/security.md). */
export const REUSE_SECRETS = {
  type: 'boolean',
  description:
    'Carry stored config values over even when this version sends them to a different origin (base_url, token_url, mcp url or command). Without it such a change answers 409 secrets_required naming the keys to re-send.',
};
