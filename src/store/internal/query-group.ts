import type { SecretBox } from '../secret-box.js';
import type { SqlDriver, SqlParam } from './driver.js';
import type { Op } from './errors.js';
import type { Row } from './rows.js';

/** What every group of store queries works with: the driver, the box that seals secrets, and the error wrapper. */
export abstract class QueryGroup {
  protected readonly db: SqlDriver;
  protected readonly box: SecretBox;
  protected readonly op: Op;

  constructor(db: SqlDriver, box: SecretBox, op: Op) {
    this.db = db;
    this.box = box;
    this.op = op;
  }

  /** Runs one write as the named operation, for its effect. */
  protected execute(operation: string, sql: string, params: SqlParam[]): Promise<void> {
    return this.op(operation, async () => void (await this.db.run(sql, params)));
  }
}

/** Runs one SELECT as the named operation and maps every row. */
export function selectAll<T>(
  db: SqlDriver,
  op: Op,
  operation: string,
  sql: string,
  params: SqlParam[],
  map: (row: Row) => T,
): Promise<T[]> {
  return op(operation, async () => (await db.all<Row>(sql, params)).map(map));
}
