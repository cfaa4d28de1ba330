import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { RegistryEvent } from '../../../registry/types.js';
import { getPrincipal } from '../auth.js';
import { addRoute, type ApiContext } from '../context.js';
import { object, slug } from '../schemas.js';

/** A comment line this often keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

function frame(event: RegistryEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** `GET /v1/events`: registry and health changes of the caller's tenant as Server-Sent Events. */
export function registerEventRoutes(app: FastifyInstance, { registry }: ApiContext): void {
  const open = new Set<ServerResponse>();
  // Streams never end by themselves; without this, closing the app would wait for every client.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
    open.clear();
  });

  addRoute(app, {
    method: 'GET',
    url: '/v1/events',
    scope: 'read',
    tags: ['events'],
    summary: 'Registry and health changes as Server-Sent Events',
    description:
      'Each event: `id` (monotonic), `event` (its type) and `data` (the event JSON). A tenant key sees its tenant; the operator token sees all tenants unless X-Tenant-Id names one.',
    querystring: object({ project_id: slug('Only events of this project') }),
    response: { 200: { type: 'string', description: 'text/event-stream', 'x-content-type': 'text/event-stream' } },
    handler: async (request, reply) => {
      const principal = getPrincipal(request);
      const allTenants = principal.isOperator && request.headers['x-tenant-id'] === undefined;
      const projectId = (request.query as { project_id?: string }).project_id;
      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      res.write(': connected\n\n');
      open.add(res);
      const unsubscribe = registry.subscribe((event) => {
        if (!allTenants && event.tenant_id !== principal.tenantId) return;
        if (projectId !== undefined && event.project_id !== projectId) return;
        res.write(frame(event));
      });
      const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      res.once('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(res);
      });
    },
  });
}
