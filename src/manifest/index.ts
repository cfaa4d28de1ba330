/**
 * The connector descriptor format: parse YAML with positions, validate everything at once,
 * normalise both the current and the legacy `connector:` format into ConnectorManifest.
 */
export type * from './types.js';

/**
 * Parses a manifest (YAML/JSON text or an object), reports every problem with file, line, column and
 * JSON pointer, or returns the normalised manifest with all defaults filled.
 * @example
 * const result = parseManifest(text, { file: 'weather.yaml' });
 * if (!result.ok) console.error(formatIssues(result.issues));
 */
export { parseManifest } from './internal/parse.js';
export type { ParseOptions, ParseResult } from './internal/parse.js';

/** parseManifest for servers: texts of 64 KiB and more are parsed in a worker thread, off the event loop. */
export { parseManifestOffThread, OFF_THREAD_MIN_CHARS } from './internal/off-thread.js';
export type { OffThreadParseOptions } from './internal/off-thread.js';

/** The published JSON Schema (draft-07) of the current format; schemas/manifest.schema.json holds the same object. */
export { manifestJsonSchema } from './internal/manifest-schema.js';

/** The defaults filled in by parseManifest (timeouts, retries, limits). */
export { DEFAULTS as MANIFEST_DEFAULTS } from './internal/normalise.js';

/** sha256 of the manifest's canonical (sorted-key) JSON: equal content, equal hash. */
export { canonicalManifestHash } from './internal/canonical.js';

/** Maps manifest tools onto core ToolDefinitions (`input_schema` → `inputSchema` …). */
export { toToolDefinitions } from './internal/canonical.js';

/** Compares two tool lists (manifest or ToolDefinition shape): `{added, removed, changed}` tool names. */
export { diffTools } from './internal/canonical.js';
export type { DiffableTool, ToolDiff } from './internal/canonical.js';

/** Canonical JSON text (sorted keys at every level); the basis of hashes and comparisons. */
export { canonicalJson } from './internal/canonical.js';

/** Renders issues one per line as `file:line:col: message (pointer)`. */
export { formatIssues } from './internal/format.js';
