import type { FastifyInstance } from 'fastify';
import { getPrincipal } from '../auth.js';
import { routeGroup, type ApiContext } from '../context.js';
import { tenantView } from '../metrics.js';
import { createReadinessProbe } from '../readiness.js';

const TAGS = ['system'];

/** Liveness, Prometheus metrics and the OpenAPI document. */
export function registerSystemRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const startedAt = ctx.clock.now();
  const storeState = createReadinessProbe(ctx.store, () => ctx.clock.now());
  let wasReady = true;
  const probe = async (): Promise<{ ready: boolean; store: 'ok' | 'unreachable'; draining?: true }> => {
    const store = await storeState();
    if (ctx.draining()) return { ready: false, store, draining: true };
    const ready = store === 'ok';
    if (ready !== wasReady) {
      wasReady = ready;
      if (ready) ctx.logger.info({}, 'store reachable again: ready');
      else ctx.logger.error({}, 'store unreachable: not ready');
    }
    return { ready, store };
  };
  // Public unless a route says otherwise: these answer load balancers, probes and anyone reading the API's shape.
  const routes = routeGroup(app, { scope: 'public', tags: TAGS });
  const readiness = {
    ready: { type: 'boolean', description: 'True when the store answers; false means requests that need it fail' },
    store: { type: 'string', enum: ['ok', 'unreachable'] },
    draining: { type: 'boolean', description: 'Present (true) while the node shuts down: not ready, finishing calls' },
  };

  routes.get('/health', {
    summary: 'Liveness and readiness (no authentication); always 200 while the process serves',
    description:
      '`status` is `ok`, or `degraded` when the store cannot be reached (`ready: false`, `store: unreachable`). ' +
      'Use `/health/ready` where a status code must tell (load balancers, Kubernetes readiness probes).',
    response: {
      200: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['ok', 'degraded'] },
          version: { type: 'string' },
          uptime_s: { type: 'number' },
          ...readiness,
        },
      },
    },
    handler: async () => {
      const state = await probe();
      return {
        status: state.ready ? 'ok' : 'degraded',
        version: ctx.version,
        uptime_s: Math.round((ctx.clock.now() - startedAt) / 100) / 10,
        ...state,
      };
    },
  });

  routes.get('/health/ready', {
    summary: 'Readiness (no authentication): 200 when the store answers, 503 when it cannot be reached',
    response: {
      200: { type: 'object', properties: readiness },
      503: { type: 'object', properties: readiness },
    },
    handler: async (_request, reply) => {
      const state = await probe();
      return reply.status(state.ready ? 200 : 503).send(state);
    },
  });

  routes.get('/metrics', {
    scope: 'any',
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

  // Public, like the manifest schema: the banner prints it as a link, and it describes routes, not anyone's data.
  routes.get('/openapi.json', {
    summary: 'This API as an OpenAPI 3.1 document',
    response: { 200: { type: 'object', additionalProperties: true, description: 'OpenAPI 3.1 document' } },
    handler: async () => ctx.openapi.document(),
  });
}
