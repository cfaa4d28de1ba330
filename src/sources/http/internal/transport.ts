import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isToolportError } from '../../../core/index.js';
import { checkLiteralHost, createTargetLookup } from './target-guard.js';

/**
 * Why `node:http`/`node:https` and not fetch or undici: the per-connection `lookup` hook lets one
 * function resolve, check and pin the address a socket connects to (the rebinding-safe check the
 * runtime needs) and the Agent's socket tables give pool facts without another dependency. One
 * keep-alive Agent pair per source bounds its sockets and is destroyed with it in `close()`.
 */
export interface TransportOptions {
  allowPrivateNetworks: boolean;
  /** Sockets per origin; calls beyond it queue in the Agent. */
  maxSockets: number;
}

/** One request on the wire. `url` gives the origin (its credentials, if any, become basic auth). */
export interface WireRequest {
  url: URL;
  /**
   * Raw path and query sent as is. Kept apart from `url` because the WHATWG parser would
   * normalise an encoded `%2E%2E` path parameter back into a `..` segment.
   */
  path?: string;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  signal: AbortSignal;
  maxBytes: number;
}

/** A response read to its end, or cut at `maxBytes` (`tooLarge`). */
export interface WireResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  tooLarge: boolean;
}

/** A failure before a complete response arrived (refused, reset, DNS …). Never carries the URL. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    message: string,
    readonly code: string,
    /** True when the request went out on a pooled socket the server may have closed meanwhile. */
    readonly reusedSocket: boolean,
  ) {
    super(message);
  }
}

/** Keep-alive pools and the request primitive of one HTTP source. */
export class Transport {
  readonly #http: http.Agent;
  readonly #https: https.Agent;
  readonly #lookup: LookupFunction | undefined;
  readonly #allowPrivate: boolean;

  constructor(options: TransportOptions) {
    // Idle sockets live at most 15 s; Node shortens that to the server's Keep-Alive hint.
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets,
      maxFreeSockets: options.maxSockets,
      timeout: 15_000,
      scheduling: 'lifo' as const,
    };
    this.#http = new http.Agent(agentOptions);
    this.#https = new https.Agent(agentOptions);
    this.#allowPrivate = options.allowPrivateNetworks;
    this.#lookup = options.allowPrivateNetworks ? undefined : createTargetLookup();
  }

  /** Open sockets (busy + idle) across both pools. */
  socketCounts(): { active: number; idle: number } {
    const count = (table: NodeJS.ReadOnlyDict<unknown[]>): number =>
      Object.values(table).reduce((sum, list) => sum + (list?.length ?? 0), 0);
    return {
      active: count(this.#http.sockets) + count(this.#https.sockets),
      idle: count(this.#http.freeSockets) + count(this.#https.freeSockets),
    };
  }

  /** Sends one request and reads the response (up to `maxBytes`). Rejects with NetworkError or target_refused. */
  send(request: WireRequest): Promise<WireResponse> {
    const { url } = request;
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (!this.#allowPrivate) {
      const refused = checkLiteralHost(hostname);
      if (refused) return Promise.reject(refused);
    }
    const isHttps = url.protocol === 'https:';
    const headers = { ...request.headers };
    if (request.body) headers['content-length'] = String(request.body.length);
    const auth =
      url.username || url.password
        ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
        : undefined;

    return new Promise<WireResponse>((resolve, reject) => {
      const options: http.RequestOptions = {
        hostname,
        port: url.port || (isHttps ? 443 : 80),
        path: request.path ?? `${url.pathname}${url.search}`,
        method: request.method,
        headers,
        agent: isHttps ? this.#https : this.#http,
        signal: request.signal,
        ...(auth === undefined ? {} : { auth }),
        ...(this.#lookup ? { lookup: this.#lookup } : {}),
      };
      const req = (isHttps ? https : http).request(options, (res) => {
        readBody(res, request.method === 'HEAD' ? Infinity : request.maxBytes, request.signal).then(
          ({ body, tooLarge }) => {
            resolve({
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? '',
              headers: res.headers,
              body,
              tooLarge,
            });
          },
          (err: unknown) => reject(toNetworkError(err, req.reusedSocket)),
        );
      });
      req.on('error', (err) => reject(toNetworkError(err, req.reusedSocket)));
      req.end(request.body);
    });
  }

  /** Destroys every pooled socket; resolves once all of them have closed. */
  async close(): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const agent of [this.#http, this.#https]) {
      for (const table of [agent.sockets, agent.freeSockets]) {
        for (const list of Object.values(table)) {
          for (const socket of list ?? []) {
            if (!socket.closed) closing.push(new Promise((resolve) => socket.once('close', resolve)));
          }
        }
      }
      agent.destroy();
    }
    await Promise.all(closing);
  }
}

function toNetworkError(err: unknown, reusedSocket: boolean): unknown {
  // Refusals and aborts keep their identity so callers can tell them apart from network faults.
  if (isToolportError(err) || (err instanceof Error && err.name === 'AbortError')) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'ERR_NETWORK';
  // Node's messages name the address (e.g. `connect ECONNREFUSED 10.0.0.1:443`) but never the path or query.
  const message = err instanceof Error ? err.message : 'network error';
  return new NetworkError(message, code, reusedSocket);
}

function readBody(
  res: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    // HEAD answers carry the GET body's length but no body, so they are never judged by it.
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      // No point reading what will be thrown away; the socket is dropped, not returned to the pool.
      res.destroy();
      resolve({ body: Buffer.alloc(0), tooLarge: true });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const onAbort = (): void => {
      res.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        settle(() => resolve({ body: Buffer.alloc(0), tooLarge: true }));
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => settle(() => resolve({ body: Buffer.concat(chunks), tooLarge: false })));
    res.on('error', (err) => settle(() => reject(err)));
    // A body cut short by the peer ends in 'close' without 'end'.
    res.on('close', () =>
      settle(() =>
        reject(Object.assign(new Error('connection closed before the response ended'), { code: 'ECONNRESET' })),
      ),
    );
  });
}
