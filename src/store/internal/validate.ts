import { createError } from '../../core/index.js';

/** Throws `bad_request` naming `field` unless `value` is an integer ≥ `min`. */
export function requireInt(field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw createError('bad_request', `${field} must be an integer ≥ ${min}`, { field });
  }
  return value;
}

/** Throws `bad_request` naming `field` unless `value` is a finite number ≥ 0. */
export function requireCount(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw createError('bad_request', `${field} must be a finite number ≥ 0`, { field });
  }
  return value;
}

/** Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern with ESCAPE '\'. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
