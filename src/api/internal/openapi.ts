import type { RouteOptions } from 'fastify';
import type { RouteAuthConfig } from './auth.js';
import { errorSchema } from './schemas.js';

type Json = Record<string, unknown>;

interface CollectedRoute {
  method: string;
  path: string;
  schema: Json;
  config: RouteAuthConfig;
}

/** Collects every route's schemas as routes are added and renders them as one OpenAPI 3.1 document. */
export interface OpenApiCollector {
  /** Pass to `app.addHook('onRoute', …)`. */
  onRoute(route: RouteOptions): void;
  /** The document, built on demand (all routes are known by the time anyone asks). */
  document(): Json;
}

/** `/v1/projects/:project_id` → `/v1/projects/{project_id}`; a trailing `*` becomes `{path}`. */
export function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}').replace(/\*$/, '{path}');
}

function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
}

const STANDARD_ERRORS: Record<string, string> = {
  '400': 'Validation failed or malformed request',
  '401': 'Missing, unknown or revoked bearer token',
  '403': 'The token lacks the scope this action needs',
  '404': 'Not found (objects of other tenants are never revealed)',
};

function operation(route: CollectedRoute): Json {
  const { schema, config } = route;
  const op: Json = {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
  };
  for (const key of ['summary', 'description', 'tags']) if (schema[key] !== undefined) op[key] = schema[key];

  const params = (schema.params ?? {}) as Json;
  const paramProps = (params.properties ?? {}) as Json;
  const query = (schema.querystring ?? {}) as Json;
  const queryProps = (query.properties ?? {}) as Json;
  const queryRequired = new Set((query.required ?? []) as string[]);
  const parameters: Json[] = [
    ...pathParams(route.path).map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: paramProps[name] ?? { type: 'string' },
    })),
    ...Object.entries(queryProps).map(([name, s]) => ({
      name,
      in: 'query',
      required: queryRequired.has(name),
      schema: s,
    })),
  ];
  if (parameters.length > 0) op.parameters = parameters;

  if (schema.body !== undefined) {
    const body = schema.body as Json;
    const required = Array.isArray(body.required) && body.required.length > 0;
    op.requestBody = { required, content: { 'application/json': { schema: body } } };
  }

  const responses: Json = {};
  for (const [status, s] of Object.entries((schema.response ?? {}) as Record<string, Json>)) {
    const { description, 'x-content-type': contentType, ...rest } = s;
    const text = typeof description === 'string' ? description : 'Success';
    responses[status] =
      status === '204'
        ? { description: text }
        : {
            description: text,
            content: { [typeof contentType === 'string' ? contentType : 'application/json']: { schema: rest } },
          };
  }
  if (Object.keys(responses).length === 0) responses['200'] = { description: 'Success' };
  const errorRef = { $ref: '#/components/schemas/Error' };
  for (const [status, text] of Object.entries(STANDARD_ERRORS)) {
    if (config.public && (status === '401' || status === '403')) continue;
    responses[status] ??= { description: text, content: { 'application/json': { schema: errorRef } } };
  }
  responses.default = { description: 'Error', content: { 'application/json': { schema: errorRef } } };
  op.responses = responses;
  op.security = config.public ? [] : [{ bearerAuth: [] }];
  if (config.scope) op['x-required-scope'] = config.scope;
  return op;
}

/** Creates a collector; `info` goes into the document verbatim. */
export function createOpenApiCollector(info: {
  title: string;
  version: string;
  description?: string;
}): OpenApiCollector {
  const routes: CollectedRoute[] = [];
  return {
    onRoute(route) {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        // Fastify adds a HEAD twin for every GET; documenting it would only add noise.
        if (method === 'HEAD' || (route.schema as Json | undefined)?.hide === true) continue;
        routes.push({
          method,
          path: toOpenApiPath(route.url),
          schema: (route.schema ?? {}) as Json,
          config: (route.config ?? {}) as RouteAuthConfig,
        });
      }
    },
    document() {
      const paths: Record<string, Json> = {};
      for (const route of routes) {
        const item = (paths[route.path] ??= {});
        item[route.method.toLowerCase()] = operation(route);
      }
      const tags = [...new Set(routes.flatMap((r) => (r.schema.tags ?? []) as string[]))]
        .sort()
        .map((name) => ({ name }));
      return {
        openapi: '3.1.0',
        info,
        tags,
        paths,
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              description: 'The operator admin token or a tenant API key (tp_…).',
            },
          },
          schemas: { Error: errorSchema },
        },
        security: [{ bearerAuth: [] }],
      };
    },
  };
}
