import { TRUST_COLUMN_DDL, initialSchema, type ColumnTypes, type Migration } from '../internal/schema.js';

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

/** Every SQLite migration, in order. Append only; never edit an applied one. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', statements: initialSchema(SQLITE_TYPES) },
  { version: 2, name: 'connector trust', statements: TRUST_COLUMN_DDL },
];
