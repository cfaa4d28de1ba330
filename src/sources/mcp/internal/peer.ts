import {
  LOG_LEVEL_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  type RequestOptions,
} from '@modelcontextprotocol/client';
import {
  type ClientRequestMethod,
  createError,
  type Logger,
  type PeerCaller,
  type PeerDescription,
  PeerError,
  type PeerNotification,
  type PeerRequestOptions,
  type UpstreamPeer,
} from '../../../core/index.js';
import { isModernConnection, type UpstreamConnection } from './connection.js';
import { OrderedClient } from './ordered-client.js';

/** What the peer needs of its source: the shared connection and what to do when it breaks. */
export interface PeerHost {
  connect(): Promise<UpstreamConnection>;
  /** Called with failures of the channel itself (the source decides whether to reconnect). */
  failed(conn: UpstreamConnection, err: unknown): void;
  timeoutMs: number;
  logger: Logger;
}

/** Server→client requests an upstream may embed in an `input_required` result. */
const CLIENT_REQUESTS: readonly string[] = ['sampling/createMessage', 'elicitation/create', 'roots/list'];
/** A request whose upstream keeps asking stops here. */
const MAX_INPUT_ROUNDS = 16;

type RawRequest = (
  request: { method: string; params?: Record<string, unknown> },
  options?: RequestOptions,
) => Promise<unknown>;

/**
 * The federation facet of an upstream MCP source. Requests go over the one shared connection; the clients whose
 * requests are in flight are tracked, so a server→client request (sampling, elicitation, roots) the upstream sends
 * while serving one goes to that client. The wire carries no link between the two over stdio, so the route is
 * exact only when every request in flight comes from one client session; otherwise the upstream gets an error.
 */
export class McpPeer implements UpstreamPeer {
  readonly #host: PeerHost;
  readonly #listeners = new Set<(notification: PeerNotification) => void>();
  /** Callers of requests in flight, in start order. */
  readonly #inFlight = new Map<number, PeerCaller | undefined>();
  #nextId = 0;
  #description: PeerDescription | undefined;
  /** The connection last adopted, to tell a reconnect from the same connection seen again. */
  #conn: UpstreamConnection | undefined;
  /** Resource URIs subscribed upstream, renewed on a restarted upstream (a new process knows none of them). */
  readonly #subscribed = new Set<string>();
  /** 2026-07-28 connections: the subscriptions/listen stream of each subscribed resource URI. */
  readonly #listens = new Map<string, { close(): Promise<void> }>();
  /** The client that last announced a roots change: asked for a `roots/list` the upstream sends outside any call. */
  #rootsHolder: PeerCaller | undefined;

  constructor(host: PeerHost) {
    this.#host = host;
  }

  /** Records what a (re)connected upstream offers. */
  adopt(conn: UpstreamConnection): void {
    if (this.#conn !== conn) {
      const renew = this.#conn !== undefined;
      this.#conn = conn;
      if (renew) this.#resubscribe(conn);
    }
    const capabilities = conn.client.getServerCapabilities() as Record<string, unknown> | undefined;
    const instructions = conn.client.getInstructions();
    this.#description = { capabilities: { ...(capabilities ?? {}) }, ...(instructions ? { instructions } : {}) };
  }

  describe(): PeerDescription | undefined {
    return this.#description;
  }

  async request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: PeerRequestOptions = {},
  ): Promise<unknown> {
    let conn: UpstreamConnection;
    try {
      conn = await this.#host.connect();
    } catch (err) {
      throw createError('upstream_unavailable', `upstream not connected: ${message(err)}`, {}, err);
    }
    const send = conn.client.request.bind(conn.client) as unknown as RawRequest;
    try {
      const uri = params?.uri;
      const modern = isModernConnection(conn.client);
      if (
        modern &&
        (method === 'resources/subscribe' || method === 'resources/unsubscribe') &&
        typeof uri === 'string'
      ) {
        return await this.#listenResource(conn, method, uri);
      }
      const requestOptions: RequestOptions = {
        timeout: this.#host.timeoutMs,
        resetTimeoutOnProgress: true,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onprogress: options.onProgress } : {}),
      };
      const result = await this.track(options.caller, () =>
        modern
          ? this.#rounds(send, method, params, requestOptions, options.caller)
          : send(params === undefined ? { method } : { method, params }, requestOptions),
      );
      if (method === 'resources/subscribe' && typeof uri === 'string') this.#subscribed.add(uri);
      if (method === 'resources/unsubscribe' && typeof uri === 'string') this.#subscribed.delete(uri);
      return result;
    } catch (err) {
      if (err instanceof ProtocolError) throw new PeerError(err.code, err.message, err.data);
      if (options.signal?.aborted) throw createError('upstream_unavailable', 'request cancelled');
      this.#host.failed(conn, err);
      throw createError('upstream_unavailable', `upstream ${method} failed: ${message(err)}`, {}, err);
    }
  }

  /**
   * A tool call on the shared connection. On a 2026-07-28 connection the upstream's questions come back as
   * `input_required` results of this very call: `caller` is asked and the call retried with the answers. `lean`: the
   * call needs nothing of the SDK client's (see LeanCalls), so a connection that offers the lean path takes it.
   */
  async callTool(
    conn: UpstreamConnection,
    params: { name: string; arguments: Record<string, unknown> },
    requestOptions: RequestOptions,
    caller: PeerCaller | undefined,
    lean = false,
  ): Promise<unknown> {
    if (lean && conn.lean && requestOptions.timeout !== undefined) {
      const { timeout, signal } = requestOptions;
      return this.track(caller, () => conn.lean!.call(params, { timeout, ...(signal ? { signal } : {}) }));
    }
    if (!isModernConnection(conn.client)) {
      return this.track(caller, () => conn.client.callTool(params, requestOptions));
    }
    const send = conn.client.request.bind(conn.client) as unknown as RawRequest;
    return this.track(caller, () => this.#rounds(send, 'tools/call', params, requestOptions, caller));
  }

  async rootsChanged(caller: PeerCaller): Promise<void> {
    this.#rootsHolder = caller;
    let conn: UpstreamConnection;
    try {
      conn = await this.#host.connect();
    } catch (err) {
      throw createError('upstream_unavailable', `upstream not connected: ${message(err)}`, {}, err);
    }
    // 2026-07-28 has no roots/list_changed: the upstream asks for the roots within each call, so it sees them fresh.
    if (isModernConnection(conn.client)) return;
    await conn.client.notification({ method: 'notifications/roots/list_changed' });
  }

  /**
   * Sends a request of a 2026-07-28 connection: every request carries the log level `debug` (Toolport filters per
   * client), and each `input_required` round is answered by `caller` and retried, up to MAX_INPUT_ROUNDS.
   */
  async #rounds(
    send: RawRequest,
    method: string,
    params: Record<string, unknown> | undefined,
    requestOptions: RequestOptions,
    caller: PeerCaller | undefined,
  ): Promise<unknown> {
    const base = { ...(params ?? {}), _meta: { ...(params?._meta ?? {}), [LOG_LEVEL_META_KEY]: 'debug' } };
    let current: Record<string, unknown> = base;
    for (let round = 1; ; round++) {
      const result = (await send({ method, params: current }, { ...requestOptions, allowInputRequired: true })) as
        Record<string, unknown> | undefined;
      if (result?.resultType !== 'input_required') return result;
      if (round > MAX_INPUT_ROUNDS) {
        throw new ProtocolError(
          ProtocolErrorCode.InternalError,
          `${method}: more than ${MAX_INPUT_ROUNDS} input rounds`,
        );
      }
      const requests = (result.inputRequests ?? {}) as Record<string, { method?: unknown; params?: unknown }>;
      const responses: Record<string, unknown> = {};
      for (const [key, entry] of Object.entries(requests)) {
        responses[key] = await this.#ask(caller, entry, requestOptions.signal);
      }
      current = {
        ...base,
        inputResponses: responses,
        ...(result.requestState !== undefined ? { requestState: result.requestState } : {}),
      };
    }
  }

  /** One embedded request of an `input_required` result, put to the client of the call that caused it. */
  async #ask(
    caller: PeerCaller | undefined,
    entry: { method?: unknown; params?: unknown },
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const method = entry.method as ClientRequestMethod;
    if (!CLIENT_REQUESTS.includes(method)) {
      throw new ProtocolError(ProtocolErrorCode.InternalError, `the upstream asked an unknown input ${String(method)}`);
    }
    const params = entry.params as Record<string, unknown> | undefined;
    if (!caller) {
      throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `${method}: no client is behind this request to ask`);
    }
    if (!caller.canAnswer(method, params)) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `${method}: the client did not declare the capability this request needs`,
      );
    }
    try {
      return await caller.request(method, params, signal ?? new AbortController().signal);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' && Number.isInteger(code)) {
        throw new ProtocolError(code, (err as Error).message, (err as { data?: unknown }).data);
      }
      throw new ProtocolError(ProtocolErrorCode.InternalError, `the client did not answer ${method}: ${message(err)}`);
    }
  }

  /** resources/subscribe and unsubscribe of a 2026-07-28 connection: one subscriptions/listen stream per URI. */
  async #listenResource(conn: UpstreamConnection, method: string, uri: string): Promise<unknown> {
    if (method === 'resources/unsubscribe') {
      const stream = this.#listens.get(uri);
      this.#listens.delete(uri);
      this.#subscribed.delete(uri);
      await stream?.close().catch(() => undefined);
      return {};
    }
    if (!this.#listens.has(uri)) {
      this.#listens.set(
        uri,
        await conn.client.listen({ resourceSubscriptions: [uri] }, { timeout: this.#host.timeoutMs }),
      );
    }
    this.#subscribed.add(uri);
    return {};
  }

  onNotification(listener: (notification: PeerNotification) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs `work` with `caller` counted as in flight (tool calls use it too). */
  async track<T>(caller: PeerCaller | undefined, work: () => Promise<T>): Promise<T> {
    const id = this.#nextId++;
    this.#inFlight.set(id, caller);
    try {
      return await work();
    } finally {
      this.#inFlight.delete(id);
    }
  }

  #resubscribe(conn: UpstreamConnection): void {
    const send = conn.client.request.bind(conn.client) as unknown as RawRequest;
    this.#listens.clear();
    for (const uri of this.#subscribed) {
      if (isModernConnection(conn.client)) {
        this.#listenResource(conn, 'resources/subscribe', uri).catch((err: unknown) => {
          this.#host.logger.warn({ uri, err: message(err) }, 'resubscribing a restarted upstream failed');
        });
        continue;
      }
      send({ method: 'resources/subscribe', params: { uri } }, { timeout: this.#host.timeoutMs }).catch(
        (err: unknown) => {
          this.#host.logger.warn({ uri, err: message(err) }, 'resubscribing a restarted upstream failed');
        },
      );
    }
  }

  /**
   * Hands an upstream notification to the listeners. A log message that arrives while requests of one client are in
   * flight goes to that client, on its request's stream (before the result, as the upstream sent it).
   */
  emit(notification: PeerNotification): void {
    if (notification.method === 'notifications/message') {
      const caller = this.#soleCaller();
      if (caller?.log) {
        caller.log(notification.params ?? {});
        return;
      }
      // Calls of several clients in flight: the wire does not say which one logs, so each of them gets it (at its own
      // level, on its call's stream, 2026-07-28 requests too) rather than every session of the endpoint.
      const candidates = this.#candidateCallers();
      if (candidates.length > 0) {
        for (const candidate of candidates) candidate.log!(notification.params ?? {});
        return;
      }
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(notification);
      } catch (err) {
        this.#host.logger.warn({ err: message(err) }, 'upstream notification listener failed');
      }
    }
  }

  /** Answers a server→client request of the upstream by asking the client whose request caused it. */
  async answer(method: ClientRequestMethod, params: unknown, signal: AbortSignal): Promise<unknown> {
    const caller = this.#route(method, params as Record<string, unknown> | undefined);
    // The call that asked must not time out while its client (perhaps a human) answers.
    const client = this.#conn?.client;
    const keepAlive =
      client instanceof OrderedClient
        ? setInterval(() => client.keepRequestsAlive(), Math.max(50, Math.floor(this.#host.timeoutMs / 3)))
        : undefined;
    try {
      return await caller.request(method, params as Record<string, unknown> | undefined, signal);
    } catch (err) {
      // The client's own JSON-RPC error goes back as it is; anything else (client gone, timeout) is an internal error.
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' && Number.isInteger(code)) {
        throw new ProtocolError(code, (err as Error).message, (err as { data?: unknown }).data);
      }
      throw new ProtocolError(ProtocolErrorCode.InternalError, `the client did not answer ${method}: ${message(err)}`);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** The caller of the oldest request in flight when every request in flight comes from that one client session. */
  #soleCaller(): PeerCaller | undefined {
    const callers = [...this.#inFlight.values()];
    const first = callers[0];
    if (!first || callers.some((c) => c === undefined || c.session !== first.session)) return undefined;
    return first;
  }

  /** One caller per client session with requests in flight, when every request in flight has a caller that logs. */
  #candidateCallers(): PeerCaller[] {
    const bySession = new Map<string, PeerCaller>();
    for (const caller of this.#inFlight.values()) {
      if (!caller?.log) return [];
      if (!bySession.has(caller.session)) bySession.set(caller.session, caller);
    }
    return [...bySession.values()];
  }

  #route(method: ClientRequestMethod, params: Record<string, unknown> | undefined): PeerCaller {
    const callers = [...this.#inFlight.values()];
    const known = callers.filter((c): c is PeerCaller => c !== undefined);
    const holder = this.#rootsHolder;
    if (known.length === 0 && method === 'roots/list' && holder) {
      // Outside any call: the upstream reacts to a roots change; ask the client that announced it.
      if (!holder.canAnswer(method, params)) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          `${method}: the client that announced a roots change did not declare roots`,
        );
      }
      return holder;
    }
    if (known.length === 0) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `${method}: no client request is in flight through Toolport, so there is no client to ask`,
      );
    }
    const sessions = new Set(known.map((c) => c.session));
    if (sessions.size > 1 || known.length !== callers.length) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `${method}: requests of several clients are in flight on this upstream, so the one that asks cannot be told apart`,
      );
    }
    const caller = known[0]!;
    if (!caller.canAnswer(method, params)) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `${method}: the client did not declare the capability this request needs`,
      );
    }
    return caller;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
