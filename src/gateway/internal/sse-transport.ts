import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  type JSONRPCMessage,
  type MessageExtraInfo,
  type Transport,
  parseJSONRPCMessage,
} from '@modelcontextprotocol/server';
import { InFlightIds, type RequestId, requestIds } from './request-ids.js';

const DEFAULT_KEEP_ALIVE_MS = 15_000;

/**
 * The legacy HTTP+SSE server transport (protocol 2024-11-05), which SDK v2 no longer ships: a GET opens an event
 * stream whose first `endpoint` event names the URL to POST messages to; every server message is a `message` event.
 */
export class LegacySseTransport implements Transport {
  readonly sessionId = randomUUID();
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  #res: ServerResponse;
  #postPath: string;
  #keepAliveMs: number;
  #keepAlive?: NodeJS.Timeout;
  #closed = false;
  /** Requests delivered and not yet answered on the stream. */
  #inFlight = new InFlightIds();

  /** `postPath` is the absolute path of the message endpoint; the session id is appended as a query parameter. */
  constructor(res: ServerResponse, postPath: string, keepAliveMs = DEFAULT_KEEP_ALIVE_MS) {
    this.#res = res;
    this.#postPath = postPath;
    this.#keepAliveMs = keepAliveMs;
  }

  async start(): Promise<void> {
    const res = this.#res;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`event: endpoint\ndata: ${this.#postPath}?sessionId=${this.sessionId}\n\n`);
    // Comment frames keep proxies from timing the stream out and detect dead peers.
    if (this.#keepAliveMs > 0) {
      this.#keepAlive = setInterval(() => res.write(': keep-alive\n\n'), this.#keepAliveMs);
      this.#keepAlive.unref();
    }
    res.on('close', () => void this.close());
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error('SSE stream is closed');
    if ('id' in message && ('result' in message || 'error' in message)) this.#inFlight.release(message.id as RequestId);
    this.#res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** The first request id of a POSTed body that this session is still answering, if any. */
  conflictingId(body: unknown): RequestId | undefined {
    return this.#inFlight.conflict(requestIds(body));
  }

  /** Delivers a POSTed body (one message or a batch); false when any element is not a JSON-RPC message. */
  deliver(body: unknown): boolean {
    const items = Array.isArray(body) ? body : [body];
    const messages: JSONRPCMessage[] = [];
    for (const item of items) {
      try {
        messages.push(parseJSONRPCMessage(item));
      } catch {
        return false;
      }
    }
    if (messages.length === 0) return false;
    this.#inFlight.claim(requestIds(messages));
    for (const message of messages) {
      // A cancelled request is never answered: its id is free again.
      if ('method' in message && message.method === 'notifications/cancelled') {
        const cancelled = (message.params as { requestId?: unknown } | undefined)?.requestId;
        if (typeof cancelled === 'string' || typeof cancelled === 'number') this.#inFlight.release(cancelled);
      }
      this.onmessage?.(message);
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    if (!this.#res.writableEnded) this.#res.end();
    this.onclose?.();
  }
}
