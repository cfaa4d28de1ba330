import pg from 'pg';
import type { Logger } from '../../core/index.js';
import type { ChangeNotice } from '../store.js';

/** The NOTIFY channel every Toolport node listens on. */
export const CHANGE_CHANNEL = 'toolport_changes';
/** The NOTIFY channel of messages between nodes (Store.sendNodeMessage). */
export const NODE_CHANNEL = 'toolport_nodes';

const MAX_BACKOFF_MS = 5000;

/** True when `value` has the fields a ChangeNotice needs. */
function isNotice(value: unknown): value is ChangeNotice & { schema?: unknown } {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.node === 'string' &&
    typeof v.tenant_id === 'string' &&
    typeof v.project_id === 'string' &&
    typeof v.event === 'string' &&
    (v.connector_name === undefined || typeof v.connector_name === 'string')
  );
}

/**
 * LISTENs on a dedicated connection (pooled ones are shared and cannot hold a LISTEN), connecting on
 * the first subscriber and reconnecting with backoff whenever the connection is lost.
 */
export class PgListener {
  readonly #config: pg.ClientConfig;
  readonly #schema: string;
  readonly #logger: Logger;
  readonly #listeners = new Set<(notice: ChangeNotice) => void>();
  readonly #reconnectListeners = new Set<() => void>();
  readonly #nodeListeners = new Set<(payload: string) => void>();
  /** True once LISTEN was active: a later successful LISTEN is a reconnect (notices may have been missed). */
  #wasListening = false;
  #client: pg.Client | null = null;
  #connecting = false;
  #timer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #closed = false;
  /** Resolved by the first successful LISTEN (re-armed when the connection is lost). */
  #ready = deferred();
  readonly #retryMs: number;

  constructor(config: pg.ClientConfig, schema: string, logger: Logger, retryMs = 50) {
    this.#config = config;
    this.#schema = schema;
    this.#logger = logger;
    this.#retryMs = retryMs;
  }

  subscribe(listener: (notice: ChangeNotice) => void): () => void {
    this.#listeners.add(listener);
    this.#ensure();
    return () => void this.#listeners.delete(listener);
  }

  /** Receives the raw payloads of NODE_CHANNEL. */
  subscribeNodes(listener: (payload: string) => void): () => void {
    this.#nodeListeners.add(listener);
    this.#ensure();
    return () => void this.#nodeListeners.delete(listener);
  }

  /** Called every time LISTEN is active again after the connection was lost. */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => void this.#reconnectListeners.delete(listener);
  }

  /** Resolves once LISTEN is active (starting the connection if no one subscribed yet). */
  ready(): Promise<void> {
    this.#ensure();
    return this.#ready.promise;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#ready.resolve();
    this.#listeners.clear();
    this.#reconnectListeners.clear();
    this.#nodeListeners.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  #ensure(): void {
    if (this.#closed || this.#client || this.#connecting || this.#timer) return;
    void this.#connect();
  }

  async #connect(): Promise<void> {
    this.#connecting = true;
    const client = new pg.Client(this.#config);
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === NODE_CHANNEL) {
        for (const listener of [...this.#nodeListeners]) listener(msg.payload ?? '');
      } else this.#deliver(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}; LISTEN ${NODE_CHANNEL}`);
      if (this.#closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.#client = client;
      this.#attempt = 0;
      this.#ready.resolve();
      if (this.#wasListening) this.#announceReconnect();
      this.#wasListening = true;
    } catch (err) {
      this.#logger.warn({ err: String(err) }, 'change listener cannot connect; retrying');
      client.end().catch(() => undefined);
      this.#schedule();
    } finally {
      this.#connecting = false;
    }
  }

  #lost(client: pg.Client, err?: Error): void {
    if (client !== this.#client) return;
    this.#client = null;
    this.#ready = deferred();
    this.#logger.warn(
      { err: err ? String(err) : 'connection ended' },
      'change listener lost its connection; reconnecting',
    );
    client.end().catch(() => undefined);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#timer) return;
    const delay = Math.min(Math.max(MAX_BACKOFF_MS, this.#retryMs), this.#retryMs * 2 ** this.#attempt++);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#ensure();
    }, delay);
    // A pending reconnect must not keep the process alive on its own.
    this.#timer.unref();
  }

  #announceReconnect(): void {
    this.#logger.info({ channel: CHANGE_CHANNEL }, 'change listener reconnected; subscribers resync');
    for (const listener of [...this.#reconnectListeners]) {
      try {
        listener();
      } catch (err) {
        this.#logger.error({ err: String(err) }, 'reconnect listener failed');
      }
    }
  }

  #deliver(payload: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload ?? '');
    } catch {
      parsed = undefined;
    }
    if (!isNotice(parsed)) {
      this.#logger.warn({ channel: CHANGE_CHANNEL }, 'ignored a malformed change notice');
      return;
    }
    // Deployments sharing one database in different schemas do not hear each other.
    if ((parsed.schema ?? 'public') !== this.#schema) return;
    const { schema: _schema, ...notice } = parsed;
    for (const listener of [...this.#listeners]) {
      try {
        listener(notice);
      } catch (err) {
        this.#logger.error({ err: String(err) }, 'change listener failed');
      }
    }
  }
}

/** A promise with its resolver (Node 20 has no Promise.withResolvers). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
