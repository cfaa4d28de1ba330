import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { createUuid, type Logger } from '../../core/index.js';
import { peekPrincipal } from './auth.js';
import type { MetricsRegistry } from './metrics.js';

/** A caller's X-Request-Id is echoed only when it is short and plain (it ends up in logs). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's X-Request-Id when acceptable, else a new UUID. */
export function requestIdFor(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : createUuid();
}

/**
 * Request id echo, one log line per request (method, route, status, duration — never headers, so
 * no Authorization) and the HTTP metrics, labelled by route pattern so ids in URLs do not explode series.
 */
export function installObservability(app: FastifyInstance, logger: Logger, metrics: MetricsRegistry): void {
  const requests = metrics.counter({
    name: 'toolport_http_requests_total',
    help: 'HTTP requests by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
  });
  const duration = metrics.histogram({
    name: 'toolport_http_request_duration_seconds',
    help: 'HTTP request duration in seconds by method and route pattern.',
    labelNames: ['method', 'route'],
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const seconds = reply.elapsedTime / 1000;
    requests.inc({ method: request.method, route, status: reply.statusCode });
    duration.observe({ method: request.method, route }, seconds);
    // Access lines below warn are debug lines: skip building one when debug is off (one per MCP request).
    if (reply.statusCode < 500 && logger.enabled?.('debug') === false) return;
    const principal = peekPrincipal(request);
    const entry = {
      req_id: request.id,
      method: request.method,
      route,
      // The path only: query strings may carry values callers consider private.
      path: request.url.split('?')[0],
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      tenant: principal?.tenantId,
      key_id: principal?.keyId,
      tool: (request.params as { tool_name?: string } | undefined)?.tool_name,
    };
    // Access lines are for debugging; what an operator watches (installs, status, health) is logged by the
    // registry's event log at info.
    if (reply.statusCode >= 500) logger.warn(entry, 'request');
    else logger.debug(entry, 'request');
  });
}
