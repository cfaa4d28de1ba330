import { createError, isToolportError, type ErrorDetails, type ToolportError } from '../../core/index.js';
import type { SqlDialect } from './driver.js';

/** How a unique or foreign-key violation of one operation reads to the caller. */
export interface ViolationText {
  /** Message for a unique violation (e.g. "Tenant already exists"). */
  unique?: string;
  /** Message for a missing parent row (e.g. "Tenant does not exist"). */
  foreignKey?: string;
  /** Identifiers safe to show (ids, names); never values of secrets. */
  details?: ErrorDetails;
}

/** Runs one store operation with error translation (supplied by SqlStore to its query groups). */
export type Op = <T>(operation: string, fn: () => Promise<T>, text?: ViolationText) => Promise<T>;

/** The Op of a store over `dialect`: runs the operation, translating whatever the driver throws. */
export function translatingOp(dialect: SqlDialect): Op {
  return async (operation, fn, text) => {
    try {
      return await fn();
    } catch (err) {
      throw translateError(operation, err, dialect, text);
    }
  };
}

/**
 * Translates a driver error into a ToolportError. Driver messages are never copied into ours:
 * they can embed parameter values (PostgreSQL's `Key (id)=(…)` detail); the cause keeps them for logs.
 */
export function translateError(
  operation: string,
  err: unknown,
  dialect: SqlDialect,
  text: ViolationText = {},
): ToolportError {
  if (isToolportError(err)) return err;
  const { kind, code } = dialect.classifyError(err);
  const identified: ErrorDetails = { operation, ...text.details };
  if (kind === 'unique' && text.unique) return createError('conflict', text.unique, identified, err);
  if (kind === 'foreign_key' && text.foreignKey) return createError('not_found', text.foreignKey, identified, err);
  // An unexpected failure carries no values at all: only what failed and the driver's code.
  const details: ErrorDetails = { operation };
  if (code !== undefined) details.driver_code = code;
  return createError('store_failed', `Store operation ${operation} failed${code ? ` (${code})` : ''}`, details, err);
}
