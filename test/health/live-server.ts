/**
 * A real server for end-to-end tests of health, events, webhooks and metrics: the real registry over SQLite,
 * the real REST api (Fastify, listening on loopback), the webhook dispatcher and the telemetry series.
 */
import { get, type IncomingMessage } from 'node:http';
import { createApi, createMetricsRegistry, type Api, type MetricsRegistry } from '../../src/api/index.js';
import { createAuthHook } from '../../src/api/internal/auth.js';
import { registerEventStream } from '../../src/api/internal/routes/event-stream.js';
import type { RegistryOptions } from '../../src/registry/index.js';
import { registerToolMetrics } from '../../src/telemetry/index.js';
import { WebhookDispatcher, WebhookService, type WebhookDispatcherOptions } from '../../src/webhooks/index.js';
import { createRegistryHarness, type RegistryHarness } from '../helpers/registry-harness.js';

export const ADMIN = 'admin-token-for-live-tests-0123456789';
/** Prefix of a second event stream with a fast heartbeat (the api's own has the production 15 s). */
export const FAST_HEARTBEAT = '/hb';

export interface LiveServer extends RegistryHarness {
  api: Api;
  url: string;
  metrics: MetricsRegistry;
  webhooks: WebhookService;
  dispatcher: WebhookDispatcher;
  /** fetch() against the server with the admin token (or `token`). */
  request(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<Response>;
}

export async function startLiveServer(
  options: {
    registry?: Partial<RegistryOptions>;
    dispatcher?: Partial<WebhookDispatcherOptions>;
    heartbeatMs?: number;
  } = {},
): Promise<LiveServer> {
  const h = await createRegistryHarness(options.registry);
  const metrics = createMetricsRegistry();
  registerToolMetrics({ metrics, registry: h.registry });
  const webhooks = new WebhookService({ store: h.store, allowPrivateNetworks: true });
  const dispatcher = new WebhookDispatcher({
    store: h.store,
    events: h.registry,
    allowPrivateNetworks: true,
    ...options.dispatcher,
  });
  const api = await createApi({
    store: h.store,
    registry: h.registry,
    adminToken: ADMIN,
    version: '0.0.0-test',
    metrics,
    webhooks,
  });
  if (options.heartbeatMs !== undefined) {
    const heartbeatMs = options.heartbeatMs;
    // The same stream mounted as create-api does (inside an authenticated scope), with a test-sized heartbeat.
    await api.app.register(
      async (scope) => {
        scope.addHook('onRequest', createAuthHook(api.authenticate, h.store));
        registerEventStream(scope, { store: h.store, registry: h.registry }, { heartbeatMs });
      },
      { prefix: FAST_HEARTBEAT },
    );
  }
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`;
  return {
    ...h,
    api,
    url,
    metrics,
    webhooks,
    dispatcher,
    request: (method, path, body, token = ADMIN, headers = {}) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    close: async () => {
      await dispatcher.close();
      await api.app.close();
      await h.close();
    },
  };
}

/** One parsed Server-Sent Event. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** An SSE reader over a real HTTP connection: collects events and comment lines as they arrive. */
export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  events: SseEvent[];
  comments: string[];
  next(predicate: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
  closed: Promise<void>;
}

export function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buffer = '';
      const waiters: (() => void)[] = [];
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        comments: [],
        next: (predicate, timeoutMs = 10_000) =>
          new Promise((ok, fail) => {
            const seen = new Set<SseEvent>();
            const check = (): boolean => {
              const found = client.events.find((e) => !seen.has(e) && predicate(e));
              if (found) ok(found);
              return found !== undefined;
            };
            if (check()) return;
            const timer = setTimeout(
              () =>
                fail(
                  new Error(
                    `no matching SSE event within ${timeoutMs} ms; got ${client.events.map((e) => e.event).join(', ')}`,
                  ),
                ),
              timeoutMs,
            );
            const waiter = (): void => {
              if (check()) {
                clearTimeout(timer);
                waiters.splice(waiters.indexOf(waiter), 1);
              }
            };
            waiters.push(waiter);
          }),
        close: () => req.destroy(),
        closed: new Promise((r) => res.on('close', () => r())),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { data: '' };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              client.comments.push(line.slice(1).trim());
              continue;
            }
            if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data += line.slice(6);
            else continue;
            isEvent = true;
          }
          if (isEvent) client.events.push(event);
          for (const w of [...waiters]) w();
        }
      });
      resolve(client);
    });
    req.on('error', reject);
  });
}
