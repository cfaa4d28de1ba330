/**
 * The federation facet of a source that is itself an MCP server (an upstream MCP connector): what it offers beyond
 * tools, passed through to clients as it is. HTTP and Python sources do not have one (they serve tools only).
 */

/** What the upstream said about itself in its `initialize` result. */
export interface PeerDescription {
  /** The upstream's server capabilities (`resources`, `prompts`, `completions`, `logging`, …), as sent. */
  capabilities: Record<string, unknown>;
  instructions?: string;
}

/** A JSON-RPC error the upstream (or the client a request was relayed to) answered with; passed on as it is. */
export class PeerError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'PeerError';
    this.code = code;
    this.data = data;
  }
}

/** Server→client request methods an upstream may send while serving a call. */
export type ClientRequestMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list';

/**
 * The client whose request is being served, as the gateway lends it to the source: server→client requests the
 * upstream sends while that request is in flight go to this client.
 */
export interface PeerCaller {
  /** Identifies the client session (requests of one session may share a relay when they overlap). */
  readonly session: string;
  /** True when the client declared the capability the method needs and can be asked now. */
  canAnswer(method: ClientRequestMethod, params?: Record<string, unknown>): boolean;
  /** Sends the request to the client (related to the call in flight) and resolves with its result. */
  request(
    method: ClientRequestMethod,
    params: Record<string, unknown> | undefined,
    signal: AbortSignal,
  ): Promise<unknown>;
  /**
   * Relays a `notifications/message` the upstream sent while this client's request was in flight, on that request's
   * stream, filtered by the client's own level. Absent: the message goes to every session instead.
   */
  log?(params: Record<string, unknown>): void;
}

/** Per-request options of {@link UpstreamPeer.request}. */
export interface PeerRequestOptions {
  signal?: AbortSignal;
  /** The client the request comes from (for sampling, elicitation and roots relayed while it runs). */
  caller?: PeerCaller;
  /** Progress the upstream reports for this request (relayed when the client asked for it). */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/** A notification the upstream sent that is not about one request (`list_changed`, `resources/updated`, logs). */
export interface PeerNotification {
  method: string;
  params?: Record<string, unknown>;
}

/** The federation facet of an upstream MCP source: one shared connection, many clients. */
export interface UpstreamPeer {
  /** The upstream's capabilities and instructions (of the live or last connection; undefined before the first). */
  describe(): PeerDescription | undefined;
  /**
   * Sends a client→server request (`resources/read`, `prompts/get`, `completion/complete`, …) with its params as they
   * are (cursors included) and resolves with the upstream's result as it is. Rejects with PeerError for the upstream's
   * JSON-RPC errors, with a ToolportError `upstream_unavailable` when it cannot be reached.
   */
  request(method: string, params: Record<string, unknown> | undefined, options?: PeerRequestOptions): Promise<unknown>;
  /** Subscribes to the upstream's notifications; returns an unsubscribe function. */
  onNotification(listener: (notification: PeerNotification) => void): () => void;
  /**
   * A client's `notifications/roots/list_changed`, passed on to the upstream. `caller` is that client: a `roots/list`
   * the upstream sends outside any call goes to the client that last announced a change (if it can answer).
   */
  rootsChanged(caller: PeerCaller): Promise<void>;
}
