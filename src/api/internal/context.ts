import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock, Logger } from '../../core/index.js';
import type { OffThreadImporter } from '../../openapi/index.js';
import type { ConnectorSummary, RegistryApi } from '../../registry/registry-api.js';
import type { ScriptService } from '../../registry/scripts.js';
import type { ConnectorVersionRecord, Store } from '../../store/store.js';
import type { RouteScope } from './auth.js';
import type { MetricsRegistry } from './metrics.js';
import type { OpenApiCollector } from './openapi.js';
import { pathParams } from './schemas.js';

/** What route modules need, handed over by createApi (no module-level state). */
export interface ApiContext {
  store: Store;
  registry: RegistryApi;
  logger: Logger;
  clock: Clock;
  metrics: MetricsRegistry;
  openapi: OpenApiCollector;
  version: string;
  samplesAvailable: boolean;
  /** Largest manifest file install-from-file reads. */
  maxFileBytes: number;
  /** Canonical directories tenant keys may install files from. */
  fileRoots: readonly string[];
  /** Runs OpenAPI imports off the event loop (POST …/connectors/import-openapi). */
  openapiImporter: OffThreadImporter;
  /** Uploaded Python scripts (the `/api/v1` surface); absent when the server runs without Python. */
  scripts?: ScriptService;
  /** True once the server is shutting down (readiness answers 503). */
  draining: () => boolean;
  /** Drops cached API keys and tenants (after a revoke or a tenant deletion). */
  forgetKeys: () => void;
  /** Drops cached keys and tells listeners (the gateway) that a key was revoked or a tenant deleted. */
  revoked: (revocation: { tenantId: string; keyId?: string }) => void;
}

type Json = Record<string, unknown>;

/** One route: its schemas (validated and published), the scope it needs, and its handler. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** `public` = no token needed. */
  scope: RouteScope | 'public';
  summary: string;
  description?: string;
  tags: string[];
  params?: Json;
  querystring?: Json;
  body?: Json;
  response: Record<number, Json>;
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/**
 * Adds a route; the schema carries the OpenAPI fields the collector reads. Path parameters are validated by the
 * shared schema of their name (see `params`) unless the route gives its own.
 */
export function addRoute(app: FastifyInstance, spec: RouteSpec): void {
  const schema: Json = { summary: spec.summary, tags: spec.tags, response: spec.response };
  if (spec.description) schema.description = spec.description;
  const params = spec.params ?? pathParams(spec.url);
  if (params) schema.params = params;
  if (spec.querystring) schema.querystring = spec.querystring;
  if (spec.body) schema.body = spec.body;
  app.route({
    method: spec.method,
    url: spec.url,
    schema,
    config: spec.scope === 'public' ? { public: true } : { scope: spec.scope },
    handler: spec.handler,
  });
}

/** A connector without its config values, whatever the registry handed back. */
export function publicConnector(summary: ConnectorSummary): Omit<ConnectorSummary, never> {
  const { config: _secret, ...rest } = summary as ConnectorSummary & { config?: unknown };
  return rest;
}

/** A version record as the API shows it (no descriptor body: it may embed literal env values). */
export function publicVersion(
  version: Omit<ConnectorVersionRecord, 'manifest'> & { manifest?: unknown },
  current: boolean,
  toolCount: number,
): Json {
  const {
    manifest: _manifest,
    current: _c,
    tool_count: _t,
    ...rest
  } = version as typeof version & { current?: unknown; tool_count?: unknown };
  return { ...rest, current, tool_count: toolCount };
}
