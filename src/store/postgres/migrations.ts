import { TRUST_COLUMN_DDL, initialSchema, type ColumnTypes, type Migration } from '../internal/schema.js';

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

/** Every PostgreSQL migration, in order. Append only; never edit an applied one. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', statements: initialSchema(POSTGRES_TYPES) },
  { version: 2, name: 'connector trust', statements: TRUST_COLUMN_DDL },
];
