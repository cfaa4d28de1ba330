/**
 * OpenAPI import: an OpenAPI 3.0/3.1 or Swagger 2.0 document becomes an HTTP connector manifest, one tool per
 * operation, with the operations that cannot be mapped listed with the reason.
 */
import { buildManifest, type ImportOptions, type ImportResult } from './internal/build.js';
import { loadOpenApiDocument, type LoadOptions, type OpenApiSource } from './internal/load.js';

export type { ImportOptions, ImportResult, SkippedOperation, ToolPreview } from './internal/build.js';
export type { LoadOptions, OpenApiSource, LoadedDocument } from './internal/load.js';

/**
 * Reads a document (object, JSON/YAML text, or a file path / URL) and bundles its `$ref`s with
 * @apidevtools/swagger-parser; `externalRefs: false` keeps it from reading other files or URLs.
 */
export { loadOpenApiDocument } from './internal/load.js';

/** Maps an already loaded document onto a validated manifest (pure, synchronous). */
export { buildManifest } from './internal/build.js';

/** Compiles `--include` / `--exclude` patterns into an operation predicate. */
export { createOperationFilter } from './internal/filters.js';

/**
 * Loads and imports in one step.
 * @example
 * const result = await importOpenApi({ kind: 'location', value: 'petstore.yaml' }, { externalRefs: true }, { name: 'petstore' });
 * console.log(result.stats.tools, result.skipped);
 */
export async function importOpenApi(
  source: OpenApiSource,
  load: LoadOptions,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const { doc, origin } = await loadOpenApiDocument(source, load);
  return buildManifest(doc, { ...(origin ? { origin } : {}), ...options });
}

/**
 * The manifest as YAML text for `--out` and `toolport validate`. Shared values are written out in full: YAML
 * aliases would be refused by the manifest reader's alias limit.
 */
export { manifestToYaml } from './internal/yaml-text.js';

/**
 * Runs imports of documents sent to the server in a worker thread (one at a time, with a size limit and a
 * timeout), so a big document does not hold up the event loop.
 */
export { createOffThreadImporter } from './internal/off-thread.js';
export type { ImportJobEvent, OffThreadImporter, OffThreadImportOptions } from './internal/off-thread.js';
