/** Configuration: one schema, loaded from flags, env (`TOOLPORT_*`) and an optional file, validated once, frozen. */
export { configSchema } from './schema.js';
export type { Config, ConfigInput } from './schema.js';
export { loadConfig, envName, unknownSettings } from './load.js';
