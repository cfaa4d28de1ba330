/** Small type guards shared by the checks, which must survive any input shape. */
import { isRecord } from '../../core/index.js';

export type Rec = Record<string, unknown>;

/** True for a plain mapping (not null, not a list). */
export { isRecord };

/** The value when it is a string. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value when it is a mapping, else an empty one. */
export function rec(value: unknown): Rec {
  return isRecord(value) ? value : {};
}

/** The value when it is a list, else an empty one. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** HTTP header field names are RFC 9110 tokens. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A `METHOD /path` endpoint shorthand, split. */
export function parseEndpoint(value: string): { method: string; path: string } | undefined {
  const match = /^(GET|POST|PUT|PATCH|DELETE|HEAD)\s+(\/\S*)$/.exec(value);
  return match ? { method: match[1]!, path: match[2]! } : undefined;
}
