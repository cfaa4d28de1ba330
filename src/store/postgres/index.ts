/** The PostgreSQL driver of the Store (pg Pool, LISTEN/NOTIFY, advisory locks). Wired by `openStore`. */
import { silentLogger, type Logger } from '../../core/index.js';
import { SqlStore } from '../internal/sql-store.js';
import type { SecretBox } from '../secret-box.js';
import type { Store } from '../store.js';
import { PgDriver } from './pg-driver.js';

export { CHANGE_CHANNEL } from './listener.js';
export { POSTGRES_MIGRATIONS } from './migrations.js';

/** Options of a PostgreSQL store. */
export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db`. */
  url: string;
  secretBox: SecretBox;
  logger?: Logger;
  /** A schema instead of `public` (created by `migrate()`); lets tests and deployments share a database. */
  schema?: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /** First delay before the change listener reconnects after losing its connection (default 50 ms; doubles). */
  listenerRetryMs?: number;
}

/** Creates a PostgreSQL store (not yet migrated: call `migrate()`). Connects lazily. */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const logger = options.logger ?? silentLogger;
  const driver = new PgDriver({
    url: options.url,
    logger,
    ...(options.schema !== undefined && { schema: options.schema }),
    ...(options.poolSize !== undefined && { poolSize: options.poolSize }),
    ...(options.listenerRetryMs !== undefined && { listenerRetryMs: options.listenerRetryMs }),
  });
  return new SqlStore(driver, options.secretBox);
}
