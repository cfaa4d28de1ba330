import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock, Logger } from '../../core/index.js';
import type { OffThreadImporter } from '../../openapi/index.js';
import type { ConnectorSummary, RegistryApi } from '../../registry/registry-api.js';
import type { ScriptService } from '../../registry/scripts.js';
import type { ConnectorVersionRecord, Store } from '../../store/store.js';
import type { RouteScope } from './auth.js';
import type { MetricsRegistry } from './metrics.js';
import type { OpenApiCollector } from './openapi.js';
import { noContent, pathParams } from './schemas.js';

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
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a route needs besides its answer: its schemas (validated and published) and the scope it needs. */
interface RouteBase {
  /** `public` = no token needed. */
  scope: RouteScope | 'public';
  summary: string;
  description?: string;
  tags: string[];
  /** Schemas of path parameters that differ from the shared one of their name (see `pathParams`). */
  paramSchemas?: Record<string, Json>;
  querystring?: Json;
  body?: Json;
}

/** How a route answers: its handler with the responses it documents, or an action answered 204 with no body. */
type RouteAnswer =
  | { response: Record<number, Json>; handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> }
  | { act: (request: FastifyRequest) => Promise<void> };

/** One route. */
export type RouteSpec = RouteBase & RouteAnswer;

/** What the routes of a group share. Without a `scope`, a GET needs `read` and any other method `admin`. */
export type RouteDefaults = Partial<Pick<RouteBase, 'scope' | 'tags' | 'paramSchemas' | 'querystring'>>;

/** A route as a group takes it: what its defaults give may be left out (or given, to differ). */
export type GroupRoute<D extends RouteDefaults> = Omit<RouteBase, keyof D | 'scope'> &
  Partial<Pick<RouteBase, (keyof D & keyof RouteBase) | 'scope'>> &
  RouteAnswer;

/** Adds a group's routes, one method a function: `routes.get(url, route)`. */
export type RouteGroup<D extends RouteDefaults> = Record<
  Lowercase<Method>,
  (url: string, route: GroupRoute<D>) => void
>;

/**
 * Routes that share defaults, so each states only what differs. The schema carries the OpenAPI fields the collector
 * reads; path parameters are validated by the shared schema of their name (see `pathParams`).
 */
export function routeGroup<D extends RouteDefaults>(app: FastifyInstance, defaults: D): RouteGroup<D> {
  const add = (method: Method, url: string, route: GroupRoute<D>): void => {
    const spec = { ...defaults, ...route } as unknown as Omit<RouteBase, 'scope'> & Partial<RouteBase> & RouteAnswer;
    const scope = spec.scope ?? (method === 'GET' ? 'read' : 'admin');
    const { act } = spec as { act?: (request: FastifyRequest) => Promise<void> };
    const { response, handler } = act
      ? {
          response: { 204: noContent },
          handler: async (request: FastifyRequest, reply: FastifyReply) => {
            await act(request);
            return reply.status(204).send();
          },
        }
      : (spec as Extract<RouteAnswer, { handler: unknown }>);
    const schema: Json = { summary: spec.summary, tags: spec.tags, response };
    if (spec.description) schema.description = spec.description;
    const params = pathParams(url, spec.paramSchemas);
    if (params) schema.params = params;
    if (spec.querystring) schema.querystring = spec.querystring;
    if (spec.body) schema.body = spec.body;
    app.route({ method, url, schema, config: scope === 'public' ? { public: true } : { scope }, handler });
  };
  return {
    get: (url, route) => add('GET', url, route),
    post: (url, route) => add('POST', url, route),
    put: (url, route) => add('PUT', url, route),
    patch: (url, route) => add('PATCH', url, route),
    delete: (url, route) => add('DELETE', url, route),
  };
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
