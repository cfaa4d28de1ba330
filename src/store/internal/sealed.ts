import { createError, isToolportError } from '../../core/index.js';
import type { SecretBox } from '../secret-box.js';

/** Decrypts a sealed column, naming the row (never the value) when it fails. */
export function openSealed(box: SecretBox, sealed: unknown, where: Record<string, unknown>): string {
  try {
    return box.decrypt(String(sealed));
  } catch (err) {
    throw createError(
      'store_failed',
      isToolportError(err) ? err.message : 'Cannot decrypt a stored secret',
      where,
      err,
    );
  }
}
