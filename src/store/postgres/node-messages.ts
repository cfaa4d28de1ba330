import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/index.js';
import { isFor, type SqlExecutor } from '../internal/driver.js';
import type { NodeMessage } from '../store.js';
import { NODE_CHANNEL, type PgListener } from './listener.js';

/** NOTIFY payloads are limited to 8000 bytes; larger messages are parked in `node_messages` and their id notified. */
const MAX_NOTIFY_BYTES = 7_900;
/** How long a parked message waits for its reader before purgeSessionShares may delete it. */
const PARKED_MS = 60_000;

type Wire = { schema?: unknown; from?: unknown; to?: unknown; body?: unknown; ref?: unknown };

/** What node messages travel through: the pool's executor, the shared LISTEN connection, and this store's schema. */
export interface PgNodeMessagesOptions {
  /** Runs NOTIFY and the parked-message queries. */
  exec: SqlExecutor;
  listener: PgListener;
  /** Messages are tagged with it; a message of another schema is ignored. */
  schema: string;
  logger: Logger;
}

/**
 * Node messages over PostgreSQL: NOTIFY on NODE_CHANNEL, tagged with the schema (deployments sharing a database in
 * different schemas do not hear each other). A parked message for one node is deleted by that node as it reads
 * it; one for every node stays until it expires.
 */
export class PgNodeMessages {
  readonly #o: PgNodeMessagesOptions;
  readonly #subscribers = new Map<(message: NodeMessage) => void, string>();
  #listening = false;

  constructor(options: PgNodeMessagesOptions) {
    this.#o = options;
  }

  async send(message: NodeMessage): Promise<void> {
    const text = JSON.stringify({ ...message, schema: this.#o.schema });
    if (Buffer.byteLength(text, 'utf8') <= MAX_NOTIFY_BYTES) {
      await this.#o.exec.get('SELECT pg_notify(?, ?)', [NODE_CHANNEL, text]);
      return;
    }
    const id = randomUUID();
    const expires = new Date(Date.now() + PARKED_MS).toISOString();
    await this.#o.exec.run('INSERT INTO node_messages (id, body, expires_at) VALUES (?, ?, ?)', [
      id,
      JSON.stringify(message.body),
      expires,
    ]);
    const { from, to } = message;
    await this.#o.exec.get('SELECT pg_notify(?, ?)', [
      NODE_CHANNEL,
      JSON.stringify({ schema: this.#o.schema, from, ...(to !== undefined ? { to } : {}), ref: id }),
    ]);
  }

  subscribe(node: string, listener: (message: NodeMessage) => void): () => void {
    this.#subscribers.set(listener, node);
    if (!this.#listening) this.#o.listener.subscribeNodes((payload) => void this.#receive(payload));
    this.#listening = true;
    return () => void this.#subscribers.delete(listener);
  }

  async #receive(payload: string): Promise<void> {
    let wire: Wire;
    try {
      wire = JSON.parse(payload) as Wire;
    } catch {
      return;
    }
    if (typeof wire !== 'object' || wire === null || (wire.schema ?? 'public') !== this.#o.schema) return;
    if (typeof wire.from !== 'string' || (wire.to !== undefined && typeof wire.to !== 'string')) return;
    const head = { from: wire.from, ...(wire.to !== undefined ? { to: wire.to as string } : {}) };
    const targets = [...this.#subscribers].filter(([, node]) => isFor(head, node));
    if (targets.length === 0) return;
    let body = wire.body;
    if (typeof wire.ref === 'string') {
      try {
        body = await this.#fetch(wire.ref, head.to !== undefined);
      } catch (err) {
        this.#o.logger.warn({ err: String(err) }, 'a parked node message could not be read');
        return;
      }
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
    for (const [listener] of targets) {
      try {
        listener({ ...head, body: body as Record<string, unknown> });
      } catch (err) {
        this.#o.logger.error({ err: String(err) }, 'node message listener failed');
      }
    }
  }

  /** A parked body; a message for one node is consumed as it is read. */
  async #fetch(id: string, consume: boolean): Promise<unknown> {
    const row = consume
      ? await this.#o.exec.get<{ body: string }>('DELETE FROM node_messages WHERE id = ? RETURNING body', [id])
      : await this.#o.exec.get<{ body: string }>('SELECT body FROM node_messages WHERE id = ?', [id]);
    return row ? (JSON.parse(row.body) as unknown) : undefined;
  }
}
