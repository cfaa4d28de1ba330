import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type NodeMcpRequestHandler, toNodeHandler } from '@modelcontextprotocol/node';
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
import type { SessionMesh } from './session-mesh.js';
import { type SessionState, type SessionTokens, initializeParams } from './session-token.js';
import { createSessionTransport, replayInitialize } from './session-transport.js';
import {
  type Session,
  type SessionOwner,
  type SessionSlot,
  type SessionTable,
  projectKey,
  sameEndpoint,
} from './sessions.js';
import { type Endpoint, type ToolServerOptions, createToolServer } from './tool-server.js';

/** Resource URIs one listen stream may have the upstreams subscribed for. */
const MAX_LISTENED = 100;

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
  /** Seals 2025 session ids so any node of the cluster can serve them; without it ids are random, node-local. */
  tokens?: SessionTokens;
  /**
   * A 2026-07-28 `subscriptions/listen` stream asks for updates of these resource URIs: the upstreams are subscribed
   * for as long as the stream is open (the returned function ends it).
   */
  watchResources?: (endpoint: Endpoint, uris: string[]) => () => void;
  /** Keeps the copies of a sealed session on several nodes in step (only where nodes share a store). */
  mesh?: SessionMesh;
}

/** A session cap that refused a new or restored session. */
type Refusal = { refused: 'key' | 'tenant'; limit: number };

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
  /** Sessions of other nodes being rebuilt here, so concurrent requests of one session rebuild it once. */
  #restoring = new Map<string, Promise<Session | Refusal | undefined>>();

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
      // A session being rebuilt here is served once its state is back, not while it is only half restored.
      const restoring = this.#restoring.get(sessionId);
      const session =
        (restoring ? await restoring : sessions.get(sessionId)) ?? (await this.#restore(sessionId, endpoint, owner));
      if (session && 'refused' in session) {
        writeSessionCapError(res, session, sessions.retryAfterSeconds);
        return;
      }
      // A session of another endpoint, tenant or key is reported as unknown, never as someone else's.
      if (
        !session ||
        session.kind !== 'streamable' ||
        !sameEndpoint(session.endpoint, endpoint) ||
        session.slot.owner.keyId !== owner.keyId
      ) {
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
      const { mesh } = this.#options;
      let own = body;
      if (mesh) {
        if (req.method === 'GET') res.on('close', mesh.streamOpened(session));
        else if (mesh.concerns(body)) {
          own = await mesh.inbound(session, body, owner);
          if (own === undefined) {
            // Only answers to requests of other nodes' copies: forwarded there, accepted here.
            res.writeHead(202, { 'mcp-session-id': session.id }).end();
            return;
          }
        }
      }
      if (serveFast(req, res, own, session, this.#options.serverOptions)) return;
      await session.transport.handleRequest(req, res, own);
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
      const uris = listenedResources(body);
      if (uris.length > 0 && this.#options.watchResources)
        res.on('close', this.#options.watchResources(endpoint, uris));
      await this.#modernFor(endpoint).node(req, res, body);
      return;
    }
    if (!isInitializeRequest(body)) {
      writeRpcError(res, 400, RPC.serverError, 'Bad Request: Mcp-Session-Id header is required');
      return;
    }
    await this.#openSession(req, res, body, endpoint, owner);
  }

  /** Opens a 2025-era session for an `initialize` request that came without a session id (as `handle` got it). */
  async #openSession(...[req, res, body, endpoint, owner]: Parameters<StreamableEndpoints['handle']>): Promise<void> {
    const { sessions } = this.#options;
    const slot = sessions.reserve(owner);
    if ('refused' in slot) {
      writeSessionCapError(res, slot, sessions.retryAfterSeconds);
      return;
    }
    const params = initializeParams(body);
    const issuedAt = Date.now();
    const sealed = params && this.#options.tokens?.mint({ endpoint, keyId: owner.keyId, ...params, issuedAt });
    const id = sealed ?? randomUUID();
    // A sealed session may get copies on other nodes: this one is recorded as holding it before it answers.
    const expiresAt = sealed ? this.#options.tokens!.expiresAt(issuedAt) : undefined;
    if (expiresAt !== undefined) await this.#options.mesh?.register(id, expiresAt);
    const built = this.#build(endpoint, slot, () => id, expiresAt);
    try {
      await built.server.connect(built.transport.web);
      await built.transport.handleRequest(req, res, body);
    } finally {
      // A failed initialize creates no session: free the server and the slot at once.
      if (!built.session()) {
        slot.release();
        await built.server.close();
      }
    }
  }

  /**
   * A server and transport for one 2025 session; the session is added to the table once initialized. A sealed
   * session (`expiresAt` given) is shared with the other nodes through the mesh, if there is one.
   */
  #build(endpoint: Endpoint, slot: SessionSlot, newId: () => string, expiresAt?: number) {
    const { sessions, serverOptions, maxBodyBytes, mesh } = this.#options;
    const server = createToolServer({ ...serverOptions, endpoint });
    let session: Session | undefined;
    const transport = createSessionTransport({
      sessionIdGenerator: newId,
      onsessioninitialized: (id) => {
        session = { id, kind: 'streamable', endpoint, slot, server, transport, lastSeen: Date.now(), active: 0 };
        sessions.add(session);
        if (mesh && expiresAt !== undefined) void mesh.adopt(session, expiresAt, false);
      },
      // A DELETE: answered once every node holding a copy closed it (bounded wait), so no node serves it after.
      onsessionclosed: async (id) => {
        sessions.bury(id);
        sessions.remove(id);
        if (expiresAt !== undefined) await mesh?.ended(id, expiresAt);
      },
      maxBodyBytes,
    });
    if (mesh) mesh.wrapTransport(transport.web);
    server.onclose = () => {
      if (session) sessions.remove(session.id);
    };
    return { server, transport, session: () => session };
  }

  /**
   * Rebuilds a session another node opened (or this node forgot) from its sealed id, when the id is valid, bound
   * to this endpoint and the caller's key, and was not closed here (DELETE, expiry, revocation); a refusal when a session cap is
   * reached.
   */
  #restore(id: string, endpoint: Endpoint, owner: SessionOwner): Promise<Session | Refusal | undefined> | undefined {
    const state = this.#options.tokens?.open(id);
    if (!state || this.#options.sessions.isBuried(id) || !boundTo(state, endpoint, owner)) return undefined;
    let pending = this.#restoring.get(id);
    if (!pending) {
      pending = this.#rebuild(id, state, endpoint, owner).finally(() => this.#restoring.delete(id));
      this.#restoring.set(id, pending);
    }
    return pending;
  }

  async #rebuild(
    id: string,
    state: SessionState,
    endpoint: Endpoint,
    owner: SessionOwner,
  ): Promise<Session | Refusal | undefined> {
    const { sessions, logger, tokens, mesh } = this.#options;
    const slot = sessions.reserve(owner);
    if ('refused' in slot) return slot;
    const expiresAt = tokens!.expiresAt(state.issuedAt);
    // Recorded as a holder before the stored state is read: a change made meanwhile is either read or announced.
    await mesh?.register(id, expiresAt);
    const built = this.#build(endpoint, slot, () => id, expiresAt);
    try {
      await built.server.connect(built.transport.web);
      if (await replayInitialize(built.transport.web, id, state)) {
        logger.debug({ project: endpoint.projectId, connector: endpoint.connector }, 'mcp session restored');
        const session = built.session();
        // The client's log level and subscriptions, as other nodes' copies got them — unless the client ended the
        // session (the store says so, or another node did while this rebuild ran).
        const alive = session && mesh ? await mesh.adopt(session, expiresAt, true) : true;
        if (session && (!alive || sessions.isBuried(id))) {
          await sessions.close(session);
          return undefined;
        }
        return session;
      }
      logger.warn({ project: endpoint.projectId }, 'mcp session could not be restored');
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'mcp session could not be restored');
    }
    // Not buried: a failed rebuild may succeed on the next request.
    const session = built.session();
    if (session) sessions.remove(session.id);
    else slot.release();
    await built.server.close().catch(() => undefined);
    return undefined;
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
  notifyModern(key: string, matches: (endpoint: Endpoint) => boolean, connectors: string[] | '*'): void {
    for (const modern of this.#modern.get(key)?.values() ?? []) {
      if (!matches(modern.endpoint)) continue;
      this.#options.logger.debug(
        {
          tenant: modern.endpoint.tenantId,
          project: modern.endpoint.projectId,
          connector: modern.endpoint.connector ?? null,
          connectors,
        },
        'list_changed published',
      );
      modern.handler.notify.toolsChanged();
    }
  }

  /** Publishes resources or prompts `list_changed` (an upstream's, or a membership change) to modern streams. */
  notifyModernFederation(key: string, matches: (endpoint: Endpoint) => boolean, kind: 'resources' | 'prompts'): void {
    for (const modern of this.#modern.get(key)?.values() ?? []) {
      if (!matches(modern.endpoint)) continue;
      if (kind === 'resources') modern.handler.notify.resourcesChanged();
      else modern.handler.notify.promptsChanged();
    }
  }

  /** Publishes `notifications/resources/updated` to the modern streams of an endpoint that listen to `uri`. */
  notifyModernResource(
    key: string,
    matches: (endpoint: Endpoint) => boolean,
    uriFor: (endpoint: Endpoint) => string,
  ): void {
    for (const modern of this.#modern.get(key)?.values() ?? []) {
      if (matches(modern.endpoint)) modern.handler.notify.resourceUpdated(uriFor(modern.endpoint));
    }
  }

  /** Closes every modern handler (aborts in-flight exchanges and listen streams). */
  async close(): Promise<void> {
    const all = [...this.#modern.values()].flatMap((m) => [...m.values()]);
    this.#modern.clear();
    await Promise.all(all.map((m) => m.handler.close().catch(() => undefined)));
  }
}

/** True when a sealed session belongs to this endpoint and was opened with the caller's key. */
function boundTo(state: SessionState, endpoint: Endpoint, owner: SessionOwner): boolean {
  return (
    sameEndpoint(state.endpoint, endpoint) && state.endpoint.tenantId === owner.tenantId && state.keyId === owner.keyId
  );
}

/** The resource URIs a `subscriptions/listen` request asks updates for (capped; anything else: none). */
function listenedResources(body: unknown): string[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [];
  const message = body as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } };
  if (message.method !== 'subscriptions/listen') return [];
  const uris = message.params?.notifications?.resourceSubscriptions;
  return Array.isArray(uris) ? uris.filter((u): u is string => typeof u === 'string').slice(0, MAX_LISTENED) : [];
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
