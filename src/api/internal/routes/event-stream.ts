import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { createError } from '../../../core/index.js';
import type { RegistryEvent } from '../../../registry/types.js';
import { getPrincipal } from '../auth.js';
import { routeGroup, type ApiContext } from '../context.js';
import { object, slug } from '../schemas.js';

/** Options of the event stream. */
export interface EventStreamOptions {
  /** Comment lines keep proxies from closing idle streams. Default 15 s. */
  heartbeatMs?: number;
  /** A client that lets this much pile up unread is disconnected. Default 1 MiB. */
  maxBufferedBytes?: number;
}

const format = (event: RegistryEvent): string =>
  `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/**
 * `GET /v1/events`: Server-Sent Events of registry and health changes in the caller's tenant, optionally
 * of one project, resumable with `Last-Event-ID` from the registry's backlog.
 */
export function registerEventStream(
  app: FastifyInstance,
  { store, registry }: Pick<ApiContext, 'store' | 'registry'>,
  options: EventStreamOptions = {},
): void {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const open = new Set<ServerResponse>();

  // Streams never end by themselves: end them when the server closes, or close() would wait forever.
  app.addHook('preClose', (done) => {
    for (const raw of open) raw.end();
    done();
  });

  routeGroup(app, { tags: ['events'] }).get('/v1/events', {
    summary: 'Stream registry and health events (Server-Sent Events)',
    description:
      "Each event is `id`, `event` (its type) and `data` (the JSON event). Resume with the `Last-Event-ID` header. Only the caller's tenant; `?project=` narrows to one project. Comment lines every 15 s keep the stream alive.",
    querystring: object({
      project: slug('Only events of this project'),
      project_id: slug('Same as project'),
      last_event_id: { type: 'integer', minimum: 0, description: 'Same as the Last-Event-ID header' },
    }),
    response: { 200: { description: 'A text/event-stream', type: 'string' } },
    handler: async (request, reply) => {
      const tenantId = getPrincipal(request).tenantId;
      const query = request.query as { project?: string; project_id?: string; last_event_id?: number };
      const project = query.project ?? query.project_id;
      if (project !== undefined && !(await store.getProject(tenantId, project))) {
        throw createError('not_found', `Project '${project}' not found.`);
      }
      const header = request.headers['last-event-id'];
      const lastId =
        typeof header === 'string' && /^\d{1,15}$/.test(header.trim())
          ? Number(header.trim())
          : (query.last_event_id ?? 0);
      const visible = (e: RegistryEvent): boolean =>
        e.tenant_id === tenantId && (project === undefined || e.project_id === project);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      open.add(raw);
      let lastWritten = lastId;
      const write = (chunk: string): void => {
        if (raw.writableEnded) return;
        raw.write(chunk);
        // A reader that stopped reading must not make the server buffer without bound.
        if (raw.writableLength > maxBuffered) raw.destroy();
      };
      const send = (event: RegistryEvent): void => {
        if (event.id <= lastWritten || !visible(event)) return;
        lastWritten = event.id;
        write(format(event));
      };

      // Subscribe before replaying so nothing published during the replay is lost; ids drop duplicates.
      let live: RegistryEvent[] | null = [];
      const unsubscribe = registry.subscribe((event) => (live ? live.push(event) : send(event)));
      write('retry: 3000\n: connected\n\n');
      if (lastId > 0) for (const event of registry.eventsSince(lastId)) send(event);
      for (const event of live) send(event);
      live = null;

      const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
      heartbeat.unref?.();
      const cleanup = (): void => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(raw);
      };
      raw.on('close', cleanup);
      request.raw.on('close', () => {
        if (!raw.writableEnded) raw.end();
      });
    },
  });
}
