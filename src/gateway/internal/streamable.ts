import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type NodeMcpRequestHandler,
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
} from '@modelcontextprotocol/node';
import {
  type McpHttpHandler,
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../core/index.js';
import { serveFast, serveModernFast } from './fast-path.js';
import { InFlightIds, requestIds, writeDuplicateId } from './request-ids.js';
import { RPC, writeRpcError, writeSessionCapError } from './responses.js';
import { type Session, type SessionOwner, type SessionTable, projectKey, sameEndpoint } from './sessions.js';
import { type Endpoint, type ToolServerOptions, createToolServer } from './tool-server.js';

/** A 2026-07-28 (per-request) handler of one endpoint; its bus feeds that endpoint's `subscriptions/listen` streams. */
interface ModernEndpoint {
  readonly endpoint: Endpoint;
  readonly handler: McpHttpHandler;
  readonly node: NodeMcpRequestHandler;
}

/** Inputs of {@link StreamableEndpoints}. */
export interface StreamableOptions {
  serverOptions: Omit<ToolServerOptions, 'endpoint'>;
  sessions: SessionTable;
  maxBodyBytes: number;
  logger: Logger;
}

/**
 * Streamable HTTP on one URL for both protocol eras. 2026-07-28 requests (per-request `_meta` envelope) go to the
 * SDK's `createMcpHandler` — stateless, a fresh low-level server per request; 2025-era traffic (initialize +
 * `Mcp-Session-Id`) goes to a sessionful transport with one server per session.
 */
export class StreamableEndpoints {
  #options: StreamableOptions;
  /** project key → connector ('' for the project endpoint) → modern handler. */
  #modern = new Map<string, Map<string, ModernEndpoint>>();
  /** Request ids each 2025 session is still answering. */
  #inFlight = new WeakMap<Session, InFlightIds>();

  constructor(options: StreamableOptions) {
    this.#options = options;
  }

  /** Serves one request (body already parsed by Fastify) on a hijacked response. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    endpoint: Endpoint,
    owner: SessionOwner,
  ): Promise<void> {
    const { sessions } = this.#options;
    const sessionId = header(req, 'mcp-session-id');
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      // A session of another endpoint or tenant is reported as unknown, never as someone else's.
      if (!session || session.kind !== 'streamable' || !sameEndpoint(session.endpoint, endpoint)) {
        writeRpcError(res, 404, RPC.sessionNotFound, 'Session not found');
        return;
      }
      let inFlight = this.#inFlight.get(session);
      if (!inFlight) this.#inFlight.set(session, (inFlight = new InFlightIds()));
      const ids = requestIds(body);
      const duplicate = inFlight.conflict(ids);
      if (duplicate !== undefined) {
        writeDuplicateId(res, duplicate);
        return;
      }
      // The ids are answered, and the session stays busy, until the response (or its SSE stream) closes.
      res.on('close', inFlight.claim(ids));
      res.on('close', sessions.begin(session));
      if (serveFast(req, res, body, session, this.#options.serverOptions)) return;
      await session.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST') {
      writeRpcError(res, 400, RPC.serverError, 'Bad Request: Mcp-Session-Id header is required');
      return;
    }
    if (body === undefined) {
      writeRpcError(res, 400, RPC.parseError, 'Parse error: empty body');
      return;
    }
    if (serveModernFast(req, res, body, { ...this.#options.serverOptions, endpoint })) return;
    if (!(await isLegacyRequest(probeRequest(req), body, { maxRequestBodySize: this.#options.maxBodyBytes }))) {
      await this.#modernFor(endpoint).node(req, res, body);
      return;
    }
    if (!isInitializeRequest(body)) {
      writeRpcError(res, 400, RPC.serverError, 'Bad Request: Mcp-Session-Id header is required');
      return;
    }
    await this.#openSession(req, res, body, endpoint, owner);
  }

  async #openSession(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    endpoint: Endpoint,
    owner: SessionOwner,
  ): Promise<void> {
    const { sessions } = this.#options;
    const slot = sessions.reserve(owner);
    if ('refused' in slot) {
      writeSessionCapError(res, slot, sessions.retryAfterSeconds);
      return;
    }
    const server = createToolServer({ ...this.#options.serverOptions, endpoint });
    let session: Session | undefined;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session = { id, kind: 'streamable', endpoint, slot, server, transport, lastSeen: Date.now(), active: 0 };
        sessions.add(session);
      },
      onsessionclosed: (id) => sessions.remove(id),
    });
    server.onclose = () => {
      if (session) sessions.remove(session.id);
    };
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      // A failed initialize creates no session: free the server and the slot at once.
      if (!session) {
        slot.release();
        await server.close();
      }
    }
  }

  #modernFor(endpoint: Endpoint): ModernEndpoint {
    const key = projectKey(endpoint.tenantId, endpoint.projectId);
    let byConnector = this.#modern.get(key);
    if (!byConnector) this.#modern.set(key, (byConnector = new Map()));
    const connectorKey = endpoint.connector ?? '';
    let modern = byConnector.get(connectorKey);
    if (!modern) {
      const { logger, maxBodyBytes, serverOptions } = this.#options;
      const onerror = (err: Error): void => logger.debug({ err: err.message }, 'mcp request rejected');
      const handler = createMcpHandler(() => createToolServer({ ...serverOptions, endpoint }), {
        legacy: 'reject',
        maxRequestBodySize: maxBodyBytes,
        onerror,
      });
      modern = { endpoint, handler, node: toNodeHandler(handler, { maxRequestBodySize: maxBodyBytes, onerror }) };
      byConnector.set(connectorKey, modern);
    }
    return modern;
  }

  /** Publishes `tools/list_changed` to the open `subscriptions/listen` streams of matching modern endpoints. */
  notifyModern(key: string, matches: (endpoint: Endpoint) => boolean): void {
    for (const modern of this.#modern.get(key)?.values() ?? []) {
      if (matches(modern.endpoint)) modern.handler.notify.toolsChanged();
    }
  }

  /** Closes every modern handler (aborts in-flight exchanges and listen streams). */
  async close(): Promise<void> {
    const all = [...this.#modern.values()].flatMap((m) => [...m.values()]);
    this.#modern.clear();
    await Promise.all(all.map((m) => m.handler.close().catch(() => undefined)));
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A body-less Request carrying the headers: all `isLegacyRequest` needs when handed the parsed body. */
function probeRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return new Request(`http://localhost${req.url ?? '/'}`, { method: req.method ?? 'POST', headers });
}
