import type { Server, Transport } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { type Logger, silentLogger } from '../core/index.js';
import type { ToolProvider } from '../registry/types.js';
import { InputRounds } from './internal/input-rounds.js';
import { SubscriptionBook } from './internal/subscription-book.js';
import { createToolServer } from './internal/tool-server.js';
import { deliverUpstream } from './internal/upstream-relay.js';

/** Options of {@link serveProjectStdio}. */
export interface StdioServeOptions {
  provider: ToolProvider;
  tenantId: string;
  projectId: string;
  /** Serve one connector under its original tool names instead of the whole project. */
  connector?: string;
  serverInfo: { name: string; version: string };
  /** Defaults to the process's stdin/stdout. */
  transport?: Transport;
  logger?: Logger;
  /** Coalescing window of registry events before `list_changed` goes out (default 20 ms). */
  listChangedDebounceMs?: number;
}

/**
 * Serves one project (or connector) over stdio, for both protocol eras (the SDK's `serveStdio` picks the era from
 * the opening message), with `notifications/tools/list_changed` on registry changes. Resolves when the connection
 * ends (stdin closed or the transport closed).
 */
export async function serveProjectStdio(options: StdioServeOptions): Promise<void> {
  const logger = options.logger ?? silentLogger;
  const endpoint = {
    tenantId: options.tenantId,
    projectId: options.projectId,
    ...(options.connector !== undefined ? { connector: options.connector } : {}),
  };
  // Instances the entry created (the pinned one, plus a discarded discovery probe at most).
  const instances = new Set<Server>();
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  let timer: NodeJS.Timeout | undefined;
  const unsubscribe = options.provider.subscribe((event) => {
    if (
      event.type === 'health.checked' ||
      event.tenant_id !== endpoint.tenantId ||
      event.project_id !== endpoint.projectId
    )
      return;
    if (endpoint.connector !== undefined && event.connector !== undefined && event.connector !== endpoint.connector)
      return;
    timer ??= setTimeout(() => {
      timer = undefined;
      for (const server of instances) {
        // A modern-pinned instance's notification is routed onto its `subscriptions/listen` streams by the entry.
        server.sendToolListChanged().catch(() => instances.delete(server));
      }
    }, options.listChangedDebounceMs ?? 20);
  });
  // What upstream MCP connectors announce (resources, prompts, logs) reaches this connection too.
  const subscriptions = new SubscriptionBook(logger);
  const inputRounds = new InputRounds();
  const stopUpstream = options.provider.subscribeUpstream?.((event) => {
    if (event.tenantId !== endpoint.tenantId || event.projectId !== endpoint.projectId) return;
    if (endpoint.connector !== undefined && event.connector !== endpoint.connector) return;
    const { method, params } = event.notification;
    const at = { ...event, aggregate: endpoint.connector === undefined, subscriptions };
    for (const server of instances) deliverUpstream(server, method, params, at)?.catch(() => undefined);
  });
  const transport = observeClose(options.transport ?? (await defaultTransport()), () => {
    unsubscribe();
    stopUpstream?.();
    inputRounds.close();
    for (const server of instances) subscriptions.release(server);
    clearTimeout(timer);
    ended();
  });
  serveStdio(
    () => {
      const server = createToolServer({
        provider: options.provider,
        endpoint,
        serverInfo: options.serverInfo,
        logger,
        subscriptions,
        inputRounds,
      });
      instances.add(server);
      return server;
    },
    { transport, onerror: (err) => logger.debug({ err: err.message }, 'stdio error') },
  );
  return done;
}

async function defaultTransport(): Promise<Transport> {
  const { StdioServerTransport } = await import('@modelcontextprotocol/server/stdio');
  return new StdioServerTransport();
}

/** Wraps a transport to learn when it closes, without taking its callbacks away from the serving entry. */
function observeClose(inner: Transport, onClosed: () => void): Transport {
  const outer: Transport = {
    start: () => inner.start(),
    send: (message, opts) => inner.send(message, opts),
    close: () => inner.close(),
  };
  inner.onmessage = (message, extra) => outer.onmessage?.(message, extra);
  inner.onerror = (error) => outer.onerror?.(error);
  inner.onclose = () => {
    onClosed();
    outer.onclose?.();
  };
  return outer;
}
