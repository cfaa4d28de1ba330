import { migrationsFor, type ColumnTypes, type Migration } from '../internal/schema.js';

/** SQLite column types: STRICT tables, booleans as 0/1 integers, JSON as text. */
const SQLITE_TYPES: ColumnTypes = {
  json: 'TEXT',
  bool: 'INTEGER',
  int: 'INTEGER',
  bigint: 'INTEGER',
  real: 'REAL',
  serialPk: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  tableSuffix: ' STRICT',
};

/** Every SQLite migration, in order (the shared list with this dialect's types). */
export const SQLITE_MIGRATIONS: readonly Migration[] = migrationsFor(SQLITE_TYPES);
