/**
 * The HTTP tool source: each tool of an HTTP connector manifest becomes one HTTP call, with
 * keep-alive pools, retries, auth, argument mapping, response limits and private-address refusal.
 */
import type { ToolSource } from '../../core/index.js';
import { HttpSource, type HttpSourceOptions } from './internal/http-source.js';

export type { HttpSourceOptions } from './internal/http-source.js';
export type { BackoffOptions } from './internal/retry-policy.js';
export { DEFAULT_BACKOFF } from './internal/retry-policy.js';

/**
 * Creates the HTTP tool source of one connector version. Throws ToolportError `validation_failed`
 * when the manifest is not an HTTP connector or a tool lacks its HTTP mapping or has an invalid output schema.
 *
 * @example
 * const source = createHttpSource({ manifest, config: { api_key: 'k' }, allowPrivateNetworks: false });
 * const tools = await source.load();
 * const result = await source.invoke('get_user', { id: 42 });
 * await source.close();
 */
export function createHttpSource(options: HttpSourceOptions): ToolSource {
  return new HttpSource(options);
}
