import Database from 'better-sqlite3';
import { createError, isoTime, type Logger } from '../../core/index.js';
import {
  type DriverErrorKind,
  isFor,
  type SqlDialect,
  type SqlDriver,
  type SqlExecutor,
  type SqlParam,
} from '../internal/driver.js';
import { SCHEMA_MIGRATIONS_DDL } from '../internal/schema.js';
import type { ChangeNotice, NodeMessage } from '../store.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { sqlitePragmas, type SqliteSynchronous } from './pragmas.js';
import { SerialQueue } from './serial-queue.js';

/** Options of the SQLite driver. */
export interface SqliteDriverOptions {
  /** Database file path. */
  path: string;
  synchronous?: SqliteSynchronous;
  busyTimeoutMs?: number;
  logger: Logger;
}

const SQLITE_DIALECT: SqlDialect = {
  // SQLite's LIKE is case-insensitive for ASCII already.
  ilike: (column) => `${column} LIKE ? ESCAPE '\\'`,
  mergeCounts: (a, b) =>
    `(SELECT json_group_object(key, total) FROM (SELECT key, SUM(value) AS total FROM (
       SELECT key, value FROM json_each(${a}) UNION ALL SELECT key, value FROM json_each(${b})) GROUP BY key))`,
  classifyError(err) {
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
    let kind: DriverErrorKind = 'other';
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') kind = 'unique';
    else if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') kind = 'foreign_key';
    return { kind, code };
  },
};

/** better-sqlite3 binds neither booleans nor undefined. */
const bind = (params: readonly SqlParam[]): unknown[] =>
  params.map((p) => (p === true ? 1 : p === false ? 0 : (p ?? null)));

/**
 * One better-sqlite3 connection. Calls are synchronous underneath; a SerialQueue keeps an async
 * transaction from interleaving with other work on the same connection. One store per file per
 * process is the intended use: two in one process could make one wait (busy_timeout blocks the
 * thread) on a transaction the other cannot finish meanwhile.
 */
export class SqliteDriver implements SqlDriver {
  readonly name = 'sqlite' as const;
  readonly dialect = SQLITE_DIALECT;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #queue = new SerialQueue();
  readonly #listeners = new Set<(notice: ChangeNotice) => void>();
  readonly #nodeListeners = new Map<(message: NodeMessage) => void, string>();
  readonly #logger: Logger;
  readonly #raw: SqlExecutor;
  #closed = false;

  constructor(options: SqliteDriverOptions) {
    this.#logger = options.logger;
    this.#db = new Database(options.path);
    for (const pragma of sqlitePragmas(options)) this.#db.pragma(pragma);
    this.#raw = {
      all: async <R extends object>(sql: string, params: readonly SqlParam[] = []) =>
        this.#stmt(sql).all(...bind(params)) as R[],
      get: async <R extends object>(sql: string, params: readonly SqlParam[] = []) =>
        this.#stmt(sql).get(...bind(params)) as R | undefined,
      run: async (sql: string, params: readonly SqlParam[] = []) => this.#stmt(sql).run(...bind(params)).changes,
    };
  }

  /** A cached prepared statement. */
  #stmt(sql: string): Database.Statement {
    if (this.#closed) throw createError('store_failed', 'The store is closed');
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  all<R extends object>(sql: string, params?: readonly SqlParam[]): Promise<R[]> {
    return this.#queue.run(() => this.#raw.all<R>(sql, params));
  }

  get<R extends object>(sql: string, params?: readonly SqlParam[]): Promise<R | undefined> {
    return this.#queue.run(() => this.#raw.get<R>(sql, params));
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<number> {
    return this.#queue.run(() => this.#raw.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      if (this.#closed) throw createError('store_failed', 'The store is closed');
      // IMMEDIATE takes the write lock up front, so a transaction never fails half-way on a lock upgrade.
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#raw);
        this.#db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  migrate(): Promise<void> {
    return this.#queue.run(() => {
      // Synchronous on purpose: no await inside, so a second connection waiting on the lock
      // (busy_timeout) cannot starve this one of the event loop.
      const apply = this.#db.transaction(() => {
        this.#db.exec(SCHEMA_MIGRATIONS_DDL);
        const done = new Set(
          (this.#db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
            (r) => r.version,
          ),
        );
        for (const m of SQLITE_MIGRATIONS) {
          if (done.has(m.version)) continue;
          for (const statement of m.statements) this.#db.exec(statement);
          this.#db
            .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
            .run(m.version, m.name, isoTime());
          this.#logger.info({ version: m.version, name: m.name }, 'applied store migration');
        }
      });
      apply.immediate();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.drain();
    this.#closed = true;
    this.#listeners.clear();
    this.#nodeListeners.clear();
    this.#statements.clear();
    this.#db.close();
  }

  onChange(listener: (notice: ChangeNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** A local store never misses a notice: nothing to resync. */
  onResync(_listener: () => void): () => void {
    return () => undefined;
  }

  /** Notices stay in this process: delivery is synchronous, so there is nothing to wait for. */
  async listening(): Promise<void> {}

  async notify(notice: ChangeNotice): Promise<void> {
    // Local only: a SQLite store has no other nodes. Delivered after the caller's current work,
    // as a remote notice would be.
    for (const listener of [...this.#listeners]) {
      queueMicrotask(() => {
        try {
          listener(notice);
        } catch (err) {
          this.#logger.error({ err: String(err) }, 'change listener failed');
        }
      });
    }
  }

  async sendNodeMessage(message: NodeMessage): Promise<void> {
    // Local only (one process; `serve --workers` relays them between its workers).
    for (const [listener, node] of [...this.#nodeListeners]) {
      if (!isFor(message, node)) continue;
      queueMicrotask(() => {
        try {
          listener(message);
        } catch (err) {
          this.#logger.error({ err: String(err) }, 'node message listener failed');
        }
      });
    }
  }

  onNodeMessage(node: string, listener: (message: NodeMessage) => void): () => void {
    this.#nodeListeners.set(listener, node);
    return () => void this.#nodeListeners.delete(listener);
  }

  async withLeaderLock(_name: string, fn: () => Promise<void>): Promise<boolean> {
    // A single process is always the leader.
    await fn();
    return true;
  }
}
