import type { FastifyInstance } from 'fastify';
import { getPrincipal } from '../auth.js';
import { addRoute, type ApiContext } from '../context.js';
import { tenantView } from '../metrics.js';

const TAGS = ['system'];

/** Liveness, Prometheus metrics and the OpenAPI document. */
export function registerSystemRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const startedAt = ctx.clock.now();

  addRoute(app, {
    method: 'GET',
    url: '/health',
    scope: 'public',
    tags: TAGS,
    summary: 'Liveness (no authentication)',
    response: {
      200: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['ok'] },
          version: { type: 'string' },
          uptime_s: { type: 'number' },
          store: { type: 'string', enum: ['sqlite', 'postgres'] },
        },
      },
    },
    handler: async () => ({
      status: 'ok',
      version: ctx.version,
      uptime_s: Math.round((ctx.clock.now() - startedAt) / 100) / 10,
      store: ctx.store.driver,
    }),
  });

  addRoute(app, {
    method: 'GET',
    url: '/metrics',
    scope: 'any',
    tags: TAGS,
    summary: 'Prometheus metrics (text exposition format 0.0.4)',
    description:
      "The operator (admin token or an operator key) sees every series. A tenant API key sees only the series labelled with its own tenant; process and HTTP series are the operator's.",
    response: {
      200: { type: 'string', description: 'Prometheus text', 'x-content-type': 'text/plain; version=0.0.4' },
    },
    handler: async (request, reply) => {
      const principal = getPrincipal(request);
      const text = ctx.metrics.render();
      return reply
        .type('text/plain; version=0.0.4; charset=utf-8')
        .send(principal.isOperator ? text : tenantView(text, principal.tenantId));
    },
  });

  addRoute(app, {
    method: 'GET',
    url: '/openapi.json',
    scope: 'any',
    tags: TAGS,
    summary: 'This API as an OpenAPI 3.1 document',
    response: { 200: { type: 'object', additionalProperties: true, description: 'OpenAPI 3.1 document' } },
    handler: async () => ctx.openapi.document(),
  });
}
