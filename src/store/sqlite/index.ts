/** The SQLite driver of the Store (better-sqlite3, WAL). Wired by `openStore`; tests may use it directly. */
import { createError, silentLogger, type Logger } from '../../core/index.js';
import { SqlStore } from '../internal/sql-store.js';
import type { SecretBox } from '../secret-box.js';
import type { Store } from '../store.js';
import type { SqliteSynchronous } from './pragmas.js';
import { SqliteDriver } from './sqlite-driver.js';

export { sqlitePragmas } from './pragmas.js';
export type { SqliteSynchronous } from './pragmas.js';
export { SQLITE_MIGRATIONS } from './migrations.js';

/** Options of a SQLite store. */
export interface SqliteStoreOptions {
  /** Database file path (its directory must exist). */
  path: string;
  secretBox: SecretBox;
  logger?: Logger;
  /** `normal` (default) survives process kills; `full` also survives power loss. */
  synchronous?: SqliteSynchronous;
  busyTimeoutMs?: number;
}

/** Opens a SQLite store (not yet migrated: call `migrate()`). */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const logger = options.logger ?? silentLogger;
  let driver: SqliteDriver;
  try {
    driver = new SqliteDriver({
      path: options.path,
      logger,
      ...(options.synchronous !== undefined && { synchronous: options.synchronous }),
      ...(options.busyTimeoutMs !== undefined && { busyTimeoutMs: options.busyTimeoutMs }),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw createError(
      'store_failed',
      `Cannot open the SQLite database${typeof code === 'string' ? ` (${code})` : ''}`,
      { path: options.path },
      err,
    );
  }
  return new SqlStore(driver, options.secretBox);
}
