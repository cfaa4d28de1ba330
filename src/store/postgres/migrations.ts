import { migrationsFor, type ColumnTypes, type Migration } from '../internal/schema.js';

/** PostgreSQL column types: JSONB, native booleans, identity columns. */
const POSTGRES_TYPES: ColumnTypes = {
  json: 'JSONB',
  bool: 'BOOLEAN',
  int: 'INTEGER',
  bigint: 'BIGINT',
  real: 'DOUBLE PRECISION',
  serialPk: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  tableSuffix: '',
};

/** Every PostgreSQL migration, in order (the shared list with this dialect's types). */
export const POSTGRES_MIGRATIONS: readonly Migration[] = migrationsFor(POSTGRES_TYPES);
