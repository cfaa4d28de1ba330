import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Slugs name tenants, projects and connectors: lower-case letters, digits, `-` and `_`, 1–64 chars. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/;

/** True when `value` is a valid slug. */
export function isSlug(value: string): boolean {
  return SLUG_PATTERN.test(value);
}

/** A random, URL-safe id with a readable prefix, e.g. `key_3f9a…`. */
export function createId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** A random UUID v4. */
export function createUuid(): string {
  return randomUUID();
}

/** A random secret token (base64url, 32 bytes of entropy) with a prefix. */
export function createToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Hex SHA-256 of a string or buffer. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
