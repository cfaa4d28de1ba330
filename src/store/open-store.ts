import { join } from 'node:path';
import { createError, ensurePrivateDir, ensurePrivateFile, silentLogger, type Logger } from '../core/index.js';
import type { SecretBox } from './secret-box.js';
import type { Store } from './store.js';

/** Options of `openStore`: a PostgreSQL URL selects PostgreSQL, else SQLite under `dataDir`. */
export interface OpenStoreOptions {
  /** `postgres://…`; when set, PostgreSQL is used. */
  url?: string;
  /** Directory for `toolport.db` (SQLite); created when absent. */
  dataDir?: string;
  secretBox: SecretBox;
  logger?: Logger;
  /** PostgreSQL only: a schema instead of `public`. */
  schema?: string;
  /** SQLite only: `normal` (default, survives process kills) or `full` (also power loss). */
  synchronous?: 'normal' | 'full';
}

/** The SQLite file name inside the data directory. */
export const SQLITE_FILE_NAME = 'toolport.db';

/**
 * Opens the store the options select and applies pending migrations.
 * @example const store = await openStore({ dataDir: './data', secretBox });
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const logger = (options.logger ?? silentLogger).child({ component: 'store' });
  let store: Store;
  if (options.url) {
    if (!/^postgres(ql)?:\/\//.test(options.url)) {
      throw createError('config_invalid', 'The database URL (url) must start with postgres:// or postgresql://', {
        field: 'url',
      });
    }
    // Loaded on demand: a SQLite deployment never loads pg, and vice versa.
    const { createPostgresStore } = await import('./postgres/index.js');
    store = createPostgresStore({
      url: options.url,
      secretBox: options.secretBox,
      logger,
      ...(options.schema !== undefined && { schema: options.schema }),
    });
  } else if (options.dataDir) {
    try {
      ensurePrivateDir(options.dataDir, logger);
    } catch (err) {
      throw createError('config_invalid', 'Cannot create the data directory (dataDir)', { field: 'dataDir' }, err);
    }
    const { createSqliteStore } = await import('./sqlite/index.js');
    const path = join(options.dataDir, SQLITE_FILE_NAME);
    // SQLite gives the -wal and -shm files the database file's mode: create it 0600 first.
    ensurePrivateFile(path, logger);
    for (const suffix of ['-wal', '-shm']) ensurePrivateFile(`${path}${suffix}`, logger, { create: false });
    store = createSqliteStore({
      path,
      secretBox: options.secretBox,
      logger,
      ...(options.synchronous !== undefined && { synchronous: options.synchronous }),
    });
  } else {
    throw createError('config_invalid', 'Either a database URL (url) or a data directory (dataDir) is required', {
      field: 'dataDir',
    });
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
