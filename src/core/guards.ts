/** True for a plain mapping: an object that is neither null nor an array (any JSON object, whatever its origin). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
