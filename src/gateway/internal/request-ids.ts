import type { ServerResponse } from 'node:http';
import { RPC } from './responses.js';

/** A JSON-RPC request id (`null` ids are not requests the server answers by id). */
export type RequestId = string | number;

/** The request ids of a POSTed body (one message or a batch); notifications and responses carry none. */
export function requestIds(body: unknown): RequestId[] {
  const ids: RequestId[] = [];
  for (const item of Array.isArray(body) ? body : [body]) {
    if (typeof item !== 'object' || item === null || !('method' in item) || !('id' in item)) continue;
    const id = (item as { id: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') ids.push(id);
  }
  return ids;
}

/**
 * The ids a session is still answering. A second request with an id in flight would make the transports route
 * two answers to one id (the first caller then waits forever), so it is refused before it reaches them.
 */
export class InFlightIds {
  #ids = new Set<RequestId>();

  /** The first of `ids` already in flight (or repeated within `ids`); undefined when all are free. */
  conflict(ids: readonly RequestId[]): RequestId | undefined {
    const seen = new Set<RequestId>();
    for (const id of ids) {
      if (this.#ids.has(id) || seen.has(id)) return id;
      seen.add(id);
    }
    return undefined;
  }

  /** Marks `ids` in flight; the returned function frees them (idempotent). */
  claim(ids: readonly RequestId[]): () => void {
    for (const id of ids) this.#ids.add(id);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const id of ids) this.#ids.delete(id);
    };
  }

  /** Frees one id (its answer went out, or the client cancelled it). */
  release(id: RequestId): void {
    this.#ids.delete(id);
  }
}

/** Answers a request whose id is in flight: 409 with a JSON-RPC error carrying that id. */
export function writeDuplicateId(res: ServerResponse, id: RequestId): void {
  const error = {
    code: RPC.invalidRequest,
    message: `request id ${JSON.stringify(id).slice(0, 80)} is already in use on this session`,
  };
  res.writeHead(409, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id, error }));
}
