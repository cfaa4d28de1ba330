import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type Authenticate,
  type Logger,
  type Principal,
  isToolportError,
  screenedJsonParser,
  silentLogger,
} from '../core/index.js';
import type { ToolProvider } from '../registry/types.js';
import { createChangeNotifier } from './internal/change-notifier.js';
import { createHostGuard } from './internal/http-guard.js';
import { InputRounds } from './internal/input-rounds.js';
import { openSseSession, postSseMessage } from './internal/legacy-sse.js';
import { RPC, rpcErrorBody, writeRpcError } from './internal/responses.js';
import { SessionMesh, type SessionShareStore } from './internal/session-mesh.js';
import { SessionTokens } from './internal/session-token.js';
import { type SessionOwner, SessionTable } from './internal/sessions.js';
import { StreamableEndpoints } from './internal/streamable.js';
import { SubscriptionBook } from './internal/subscription-book.js';
import type { Endpoint } from './internal/tool-server.js';
import { createUpstreamRelay, watchListenedResources } from './internal/upstream-relay.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  provider: ToolProvider;
  authenticate: Authenticate;
  logger?: Logger;
  /** Allowed `Host` names (any port); default the loopback names. `*` disables the check. */
  allowedHosts?: string[];
  /** Allowed `Origin`s (hostnames or exact origins); default the allowed hosts. `*` disables the check. */
  allowedOrigins?: string[];
  /** Idle time after which a session is closed (default 5 min). */
  sessionIdleMs?: number;
  /** Concurrent sessions (Streamable HTTP 2025 + legacy SSE) one API key may hold (default 100; 0 = no cap). */
  maxSessionsPerKey?: number;
  /** Concurrent sessions one tenant may hold across its keys (default 500; 0 = no cap). */
  maxSessionsPerTenant?: number;
  /**
   * Whether the key (or, without `keyId`, the tenant) that opened sessions is still valid. Asked every
   * `revalidateMs` for each owner of open sessions, so a revoke or tenant deletion made on another node closes
   * this node's sessions too. Errors keep the sessions (a store outage must not drop every client).
   */
  ownerActive?: (tenantId: string, keyId?: string) => Promise<boolean>;
  /** Period of the `ownerActive` check (default 30 s). */
  revalidateMs?: number;
  /** Largest accepted request body (default 4 MiB); larger bodies get 413. */
  maxBodyBytes?: number;
  serverInfo: { name: string; version: string };
  /**
   * The cluster key of 2025 session ids (32 bytes, the same on every node): ids then carry the negotiated session,
   * sealed, and any node rebuilds a session it has not seen. Without it ids are random and node-local.
   */
  sessionKey?: Uint8Array;
  /**
   * Where nodes sharing sealed session ids share the rest of a session (log level, resource subscriptions, answers to
   * server→client requests): the store, when several nodes use it. Without it each node's copy is on its own.
   */
  sharedSessions?: SessionShareStore;
  /** Longest `close` waits for MCP calls in flight before closing their sessions (default 10 s). */
  drainCapMs?: number;
  /** Coalescing window of registry events before `list_changed` goes out (default 20 ms). */
  listChangedDebounceMs?: number;
}

/** The MCP gateway: mounts the MCP endpoints on a Fastify app. */
export interface Gateway {
  /** Mounts `/mcp/:project[/:connector]` and `/sse/:project[/:connector]` (+ `…/messages`). */
  register(app: FastifyInstance): Promise<void>;
  /** Closes every session and stops listening to the registry. Idempotent. */
  close(): Promise<void>;
  stats(): { sessions: number };
  /**
   * Closes the sessions (and their open streams) of a tenant, or of one of its API keys: called when a key is
   * revoked or a tenant deleted. Returns how many were closed.
   */
  closeSessions(filter: { tenantId: string; keyId?: string }): Promise<number>;
}

const DEFAULT_IDLE_MS = 5 * 60_000;
const DEFAULT_MAX_PER_KEY = 100;
const DEFAULT_MAX_PER_TENANT = 500;
const DEFAULT_REVALIDATE_MS = 30_000;
/** The owner key id of sessions opened with the operator's admin token. */
const OPERATOR_KEY = 'operator';
const DEFAULT_MAX_BODY = 4 * 1024 * 1024;
const DEFAULT_DEBOUNCE_MS = 20;
const DEFAULT_DRAIN_CAP_MS = 10_000;

interface RouteParams {
  project: string;
  connector?: string;
}

/** What a client without a valid token is told (no OAuth here: an API key is sent as a bearer token). */
const API_KEY_HINT =
  'Toolport expects an API key or the admin token as Authorization: Bearer <key>; create a key with ' +
  '`toolport keys create --name NAME` or POST /v1/api-keys (the admin token is printed when the server starts)';

/** Creates the MCP gateway over a tool provider (the registry) and an authenticator (the api's). */
export function createGateway(options: GatewayOptions): Gateway {
  const logger = options.logger ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const sessions = new SessionTable(options.sessionIdleMs ?? DEFAULT_IDLE_MS, logger, {
    perKey: options.maxSessionsPerKey ?? DEFAULT_MAX_PER_KEY,
    perTenant: options.maxSessionsPerTenant ?? DEFAULT_MAX_PER_TENANT,
  });
  const subscriptions = new SubscriptionBook(logger);
  const mesh =
    options.sharedSessions && options.sessionKey
      ? new SessionMesh(options.sharedSessions, sessions, logger)
      : undefined;
  sessions.onRemove = (session) => {
    subscriptions.release(session.server);
    mesh?.forget(session);
  };
  const inputRounds = new InputRounds();
  const serverOptions = {
    provider: options.provider,
    serverInfo: options.serverInfo,
    logger,
    subscriptions,
    inputRounds,
  };
  const watchResources = watchListenedResources(options.provider, subscriptions, logger);
  const streamable = new StreamableEndpoints({
    serverOptions,
    sessions,
    maxBodyBytes,
    logger,
    watchResources,
    ...(options.sessionKey ? { tokens: new SessionTokens(options.sessionKey) } : {}),
    ...(mesh ? { mesh } : {}),
  });
  const relay = createUpstreamRelay({
    provider: options.provider,
    sessions,
    streamable,
    subscriptions,
    logger,
    ...(mesh ? { mesh } : {}),
  });
  const notifier = createChangeNotifier({
    provider: options.provider,
    sessions,
    streamable,
    debounceMs: options.listChangedDebounceMs ?? DEFAULT_DEBOUNCE_MS,
    logger,
  });
  const guard = createHostGuard({
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
  });
  const endpoints = new WeakMap<IncomingMessage, { endpoint: Endpoint; owner: SessionOwner }>();
  // Connections that carried MCP traffic. Streams end asynchronously after their session closes, i.e. after the
  // HTTP server closed its idle connections once; shutting these down ourselves keeps `app.close()` from waiting
  // for the keep-alive timeout.
  const sockets = new Set<Socket>();
  const revalidator = startRevalidation(sessions, options, logger);
  const calls = new InFlight();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(revalidator);
      // Drain: streams end first (their clients reconnect elsewhere), calls in flight finish, then sessions close.
      await sessions.closeStreams();
      await calls.idle(options.drainCapMs ?? DEFAULT_DRAIN_CAP_MS);
      notifier.close();
      relay.close();
      inputRounds.close();
      await sessions.closeAll();
      mesh?.close();
      await streamable.close();
      for (const socket of sockets) socket.destroySoon();
      sockets.clear();
    })());

  /** Host/Origin, then the bearer token, the `invoke` scope and the endpoint's existence in the caller's tenant. */
  const admit = async (req: FastifyRequest<{ Params: RouteParams }>, reply: FastifyReply): Promise<unknown> => {
    const rejection = guard(req.headers);
    if (rejection) return refuse(reply, 403, rejection.message);
    const token = bearerToken(req.headers.authorization);
    const tenantHeader = req.headers['x-tenant-id'];
    let principal: Principal | null = null;
    if (token !== undefined) {
      try {
        principal = await options.authenticate(token, Array.isArray(tenantHeader) ? tenantHeader[0] : tenantHeader);
      } catch (err) {
        // The operator naming a tenant that does not exist is the client's mistake, answered like REST does.
        if (isToolportError(err, 'not_found')) return refuse(reply, 404, err.message);
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'authentication failed');
        return refuse(reply, 500, 'Internal error', RPC.internalError);
      }
    }
    if (!principal) {
      // Clients that meet a 401 often start an OAuth dance; say plainly that a bearer API key is what works.
      const error = token === undefined ? '' : ', error="invalid_token"';
      const challenge = `Bearer realm="toolport"${error}, error_description="${API_KEY_HINT}"`;
      const message = `Unauthorized: ${token === undefined ? 'no' : 'an unknown or revoked'} bearer token. ${API_KEY_HINT}`;
      return refuse(reply, 401, message, RPC.serverError, { 'WWW-Authenticate': challenge });
    }
    if (!principal.isOperator && !principal.scopes.includes('invoke')) {
      return refuse(reply, 403, 'Forbidden: the token lacks the invoke scope');
    }
    const { project, connector } = req.params;
    const snapshot = options.provider.getSnapshot(principal.tenantId, project);
    if (!snapshot || (connector !== undefined && !snapshot.connectors.has(connector))) {
      return refuse(reply, 404, connector === undefined ? 'Project not found' : 'Connector not found');
    }
    endpoints.set(req.raw, {
      endpoint: {
        tenantId: principal.tenantId,
        projectId: project,
        ...(connector !== undefined ? { connector } : {}),
      },
      owner: { tenantId: principal.tenantId, keyId: principal.keyId ?? OPERATOR_KEY },
    });
    return undefined;
  };

  /** Runs a handler on the raw response; failures after hijacking become a JSON-RPC 500 (or a closed stream). */
  const hijacked =
    (
      serve: (
        req: FastifyRequest<{ Params: RouteParams }>,
        res: ServerResponse,
        endpoint: Endpoint,
        owner: SessionOwner,
      ) => Promise<void> | void,
    ) =>
    async (req: FastifyRequest<{ Params: RouteParams }>, reply: FastifyReply): Promise<void> => {
      const admitted = endpoints.get(req.raw);
      if (!admitted) return void refuse(reply, 404, 'Project not found');
      reply.hijack();
      const socket = req.raw.socket;
      if (!sockets.has(socket)) {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      }
      // A call (not a stream: a GET, or a 2026 `subscriptions/listen`) is waited for when the node drains.
      if (req.method === 'POST' && (req.body as { method?: unknown } | undefined)?.method !== 'subscriptions/listen') {
        reply.raw.once('close', calls.begin());
      }
      try {
        await serve(req, reply.raw, admitted.endpoint, admitted.owner);
      } catch (err) {
        logger.error({ err: err instanceof Error ? err.message : String(err), url: req.url }, 'mcp request failed');
        writeRpcError(reply.raw, 500, RPC.internalError, 'Internal error');
      }
    };

  const register = async (app: FastifyInstance): Promise<void> => {
    await app.register(async (scope) => {
      // The gateway's own JSON parser (scoped): it must hold wherever it is mounted, not only inside the REST app.
      const parse = scope.getDefaultJsonParser('error', 'error');
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, screenedJsonParser(parse));
      scope.addHook('onRequest', admit);
      scope.addHook('preClose', close);
      scope.setErrorHandler((err: { statusCode?: number; message?: string }, _req, reply) => {
        // A body the parser refused for a reason of its own (e.g. nesting too deep): valid JSON, not a valid request.
        if (isToolportError(err) && err.status < 500) return refuse(reply, err.status, err.message, RPC.invalidRequest);
        const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
        if (status === 413) return refuse(reply, 413, `Request body exceeds ${maxBodyBytes} bytes`, RPC.invalidRequest);
        if (status === 415) return refuse(reply, 415, 'Content-Type must be application/json', RPC.invalidRequest);
        if (status === 400) return refuse(reply, 400, 'Parse error: invalid JSON', RPC.parseError);
        if (status < 500) return refuse(reply, status, 'Bad request', RPC.invalidRequest);
        logger.error({ err: err.message }, 'mcp route failed');
        return refuse(reply, 500, 'Internal error', RPC.internalError);
      });

      const mcp = hijacked((req, res, endpoint, owner) => streamable.handle(req.raw, res, req.body, endpoint, owner));
      for (const url of ['/mcp/:project', '/mcp/:project/:connector']) {
        scope.route<{ Params: RouteParams }>({
          method: ['GET', 'POST', 'DELETE'],
          url,
          bodyLimit: maxBodyBytes,
          handler: mcp,
        });
      }
      const openSse = hijacked((_req, res, endpoint, owner) =>
        openSseSession(res, endpoint, serverOptions, sessions, owner),
      );
      const postSse = hijacked((req, res, endpoint) => {
        const query = req.query as Record<string, string | undefined>;
        postSseMessage(res, query.sessionId, req.body, endpoint, sessions);
      });
      for (const base of ['/sse/:project', '/sse/:project/:connector']) {
        scope.route<{ Params: RouteParams }>({ method: 'GET', url: base, handler: openSse });
        scope.route<{ Params: RouteParams }>({
          method: 'POST',
          url: `${base}/messages`,
          bodyLimit: maxBodyBytes,
          handler: postSse,
        });
      }
    });
  };

  return {
    register,
    close,
    stats: () => ({ sessions: sessions.size }),
    closeSessions: (filter) => sessions.closeOwned(filter),
  };
}

/** Periodically closes sessions whose key was revoked or whose tenant was deleted (possibly on another node). */
function startRevalidation(
  sessions: SessionTable,
  options: GatewayOptions,
  logger: Logger,
): NodeJS.Timeout | undefined {
  const ownerActive = options.ownerActive;
  if (!ownerActive) return undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      for (const owner of sessions.owners()) {
        const keyId = owner.keyId === OPERATOR_KEY ? undefined : owner.keyId;
        const active = await ownerActive(owner.tenantId, keyId).catch((err: unknown) => {
          logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'session owner check failed');
          return true;
        });
        if (!active) {
          const closed = await sessions.closeOwned(keyId === undefined ? { tenantId: owner.tenantId } : owner);
          logger.info({ tenant: owner.tenantId, key_id: keyId, closed }, 'closed sessions of a revoked owner');
        }
      }
    })().finally(() => (running = false));
  }, options.revalidateMs ?? DEFAULT_REVALIDATE_MS);
  timer.unref();
  return timer;
}

/** Counts requests in flight; `idle` resolves when none is left (or after a cap). */
class InFlight {
  #count = 0;
  #waiters: (() => void)[] = [];

  begin(): () => void {
    this.#count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.#count === 0) for (const wake of this.#waiters.splice(0)) wake();
    };
  }

  idle(capMs: number): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, capMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function refuse(
  reply: FastifyReply,
  status: number,
  message: string,
  code: number = RPC.serverError,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply.code(status).headers(headers).type('application/json').send(rpcErrorBody(code, message));
}
