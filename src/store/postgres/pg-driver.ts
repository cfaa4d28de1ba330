import pg from 'pg';
import { createError, isoTime, type Logger } from '../../core/index.js';
import type { DriverErrorKind, SqlDialect, SqlDriver, SqlExecutor, SqlParam } from '../internal/driver.js';
import { SCHEMA_MIGRATIONS_DDL } from '../internal/schema.js';
import type { ChangeNotice, NodeMessage } from '../store.js';
import { CHANGE_CHANNEL, PgListener } from './listener.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { PgNodeMessages } from './node-messages.js';

/** Options of the PostgreSQL driver. */
export interface PgDriverOptions {
  url: string;
  /** Schema to use instead of `public` (created by migrate when absent). */
  schema?: string;
  poolSize?: number;
  logger: Logger;
  /** First delay before the change listener reconnects (default 50 ms; doubles up to 5 s). */
  listenerRetryMs?: number;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

const PG_DIALECT: SqlDialect = {
  ilike: (column) => `${column} ILIKE ? ESCAPE '\\'`,
  mergeCounts: (a, b) =>
    `(SELECT COALESCE(jsonb_object_agg(key, total), '{}'::jsonb) FROM (SELECT key, SUM(value::numeric) AS total FROM (
       SELECT key, value FROM jsonb_each_text(${a}) UNION ALL SELECT key, value FROM jsonb_each_text(${b})) AS u GROUP BY key) AS g)`,
  classifyError(err) {
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
    let kind: DriverErrorKind = 'other';
    if (code === '23505') kind = 'unique';
    else if (code === '23503') kind = 'foreign_key';
    return { kind, code };
  },
};

/** Rewrites `?` placeholders to `$1…$n` (the shared SQL has no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** An executor over a pool or one checked-out client. */
function executor(target: pg.Pool | pg.PoolClient, cache: Map<string, string>): SqlExecutor {
  const text = (sql: string): string => {
    let out = cache.get(sql);
    if (out === undefined) cache.set(sql, (out = numbered(sql)));
    return out;
  };
  const query = (sql: string, params: readonly SqlParam[] = []) => target.query(text(sql), params as SqlParam[]);
  return {
    all: async <R extends object>(sql: string, params?: readonly SqlParam[]) => (await query(sql, params)).rows as R[],
    get: async <R extends object>(sql: string, params?: readonly SqlParam[]) =>
      (await query(sql, params)).rows[0] as R | undefined,
    run: async (sql: string, params?: readonly SqlParam[]) => (await query(sql, params)).rowCount ?? 0,
  };
}

/** A pg Pool plus a dedicated LISTEN connection; leader locks use a connection of their own each. */
export class PgDriver implements SqlDriver {
  readonly name = 'postgres' as const;
  readonly dialect = PG_DIALECT;
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #texts = new Map<string, string>();
  readonly #exec: SqlExecutor;
  readonly #listener: PgListener;
  readonly #logger: Logger;
  readonly #messages: PgNodeMessages;
  #closed = false;

  constructor(options: PgDriverOptions) {
    if (options.schema !== undefined && !SCHEMA_PATTERN.test(options.schema)) {
      throw createError('config_invalid', 'The PostgreSQL schema (schema) must be a lower-case identifier', {
        field: 'schema',
      });
    }
    this.#schema = options.schema ?? 'public';
    this.#logger = options.logger;
    const config: pg.ClientConfig = {
      connectionString: options.url,
      connectionTimeoutMillis: 10_000,
      application_name: 'toolport',
      ...(options.schema !== undefined && { options: `-c search_path=${options.schema}` }),
    };
    this.#pool = new pg.Pool({ ...config, max: options.poolSize ?? 10 });
    // An idle client dying (server restart) must be logged, not crash the process.
    this.#pool.on('error', (err) => this.#logger.warn({ err: String(err) }, 'idle PostgreSQL connection failed'));
    this.#exec = executor(this.#pool, this.#texts);
    this.#listener = new PgListener(
      { ...config, application_name: `toolport:listen:${this.#schema}` },
      this.#schema,
      this.#logger,
      options.listenerRetryMs,
    );
    this.#messages = new PgNodeMessages({
      exec: this.#exec,
      listener: this.#listener,
      schema: this.#schema,
      logger: this.#logger,
    });
  }

  all<R extends object>(sql: string, params?: readonly SqlParam[]): Promise<R[]> {
    return this.#exec.all<R>(sql, params);
  }

  get<R extends object>(sql: string, params?: readonly SqlParam[]): Promise<R | undefined> {
    return this.#exec.get<R>(sql, params);
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<number> {
    return this.#exec.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const unguard = this.#guard(client, 'transaction');
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(executor(client, this.#texts));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A failed ROLLBACK means the connection is unusable: destroy it instead of returning it to the pool.
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    } finally {
      client.release(broken);
      unguard();
    }
  }

  /**
   * Listens for errors of a checked-out connection. pg's pool listens only while a connection is idle; one killed
   * while checked out between queries (pg_terminate_backend, a PostgreSQL restart) would otherwise emit an
   * unhandled 'error' and end the process. The error itself reaches the code using the connection on its next query.
   */
  #guard(client: pg.PoolClient, use: string): () => void {
    const onError = (err: Error): void => {
      this.#logger.warn({ err: String(err), use }, 'a PostgreSQL connection in use failed');
    };
    client.on('error', onError);
    return () => client.off('error', onError);
  }

  async migrate(): Promise<void> {
    await this.transaction(async (tx) => {
      // Serialises nodes starting at once; released with the transaction. Keyed by schema so
      // independent schemas (tests) migrate in parallel.
      await tx.get('SELECT pg_advisory_xact_lock(hashtext(?))', [`toolport_migrate:${this.#schema}`]);
      if (this.#schema !== 'public') {
        // Checked against SCHEMA_PATTERN, so safe to splice; `public` is left alone (creating it needs rights).
        await tx.run(`CREATE SCHEMA IF NOT EXISTS "${this.#schema}"`);
        await tx.run(`SET LOCAL search_path TO "${this.#schema}"`);
      }
      await tx.run(SCHEMA_MIGRATIONS_DDL);
      const done = new Set(
        (await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version),
      );
      for (const m of POSTGRES_MIGRATIONS) {
        if (done.has(m.version)) continue;
        // One round trip: without parameters pg uses the simple protocol, which accepts several statements.
        await tx.run(m.statements.join(';\n'));
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          m.version,
          m.name,
          isoTime(),
        ]);
        this.#logger.info({ version: m.version, name: m.name }, 'applied store migration');
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#listener.close();
    await this.#pool.end();
  }

  onChange(listener: (notice: ChangeNotice) => void): () => void {
    return this.#listener.subscribe(listener);
  }

  listening(): Promise<void> {
    return this.#listener.ready();
  }

  onResync(listener: () => void): () => void {
    return this.#listener.onReconnect(listener);
  }

  async notify(notice: ChangeNotice): Promise<void> {
    await this.#exec.get('SELECT pg_notify(?, ?)', [
      CHANGE_CHANNEL,
      JSON.stringify({ ...notice, schema: this.#schema }),
    ]);
  }

  sendNodeMessage(message: NodeMessage): Promise<void> {
    return this.#messages.send(message);
  }

  onNodeMessage(node: string, listener: (message: NodeMessage) => void): () => void {
    return this.#messages.subscribe(node, listener);
  }

  async withLeaderLock(name: string, fn: () => Promise<void>): Promise<boolean> {
    // Session-level lock on a connection held for the whole of fn: the lock lives exactly as long
    // as that connection, so a crashed leader frees it.
    const key = this.#schema === 'public' ? name : `${this.#schema}:${name}`;
    let client: pg.PoolClient;
    let acquired: boolean;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw createError('store_failed', 'Cannot take the leader lock: no PostgreSQL connection', { lock: name }, err);
    }
    const unguard = this.#guard(client, `leader lock ${name}`);
    try {
      const row = (await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key])).rows[0] as {
        ok: boolean;
      };
      acquired = row.ok;
    } catch (err) {
      client.release(err as Error);
      unguard();
      throw createError('store_failed', 'Cannot take the leader lock', { lock: name }, err);
    }
    if (!acquired) {
      client.release();
      unguard();
      return false;
    }
    try {
      await fn();
    } finally {
      const unlockErr = await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).then(
        () => undefined,
        (err: Error) => err,
      );
      client.release(unlockErr);
      unguard();
    }
    return true;
  }
}
