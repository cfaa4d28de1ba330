import { createError } from '../../core/index.js';
import { parseManifest, type ConnectorManifest } from '../../manifest/index.js';
import { createOperationFilter } from './filters.js';
import { baseToolName, connectorSlug, createNameAllocator, semverOf } from './naming.js';
import { mapOperation, type MappingContext } from './operations.js';
import { derefObject, isNode, type Node } from './refs.js';
import { planAuth } from './security.js';
import { expand, planBaseUrl } from './servers.js';

/** Options of an import. */
export interface ImportOptions {
  /** Connector name (slug); default from `info.title`. */
  name?: string;
  /** Only operations matching one of these patterns (tag, operationId, path globs; see docs/openapi.md). */
  include?: readonly string[];
  /** Leave out operations matching one of these patterns. */
  exclude?: readonly string[];
  /** Security scheme to use for the connector's auth; default the first supported one. */
  auth?: string;
  /** Default of the `base_url` config key instead of the document's first server. */
  baseUrl?: string;
  /** Declare output schemas from 2xx JSON responses (default true). */
  outputSchemas?: boolean;
  /** URL the document came from (resolves relative server URLs). */
  origin?: string;
}

/** A tool the import creates. */
export interface ToolPreview {
  name: string;
  method: string;
  path: string;
  operation_id?: string;
  description?: string;
}

/** An operation that could not become a tool, and why. */
export interface SkippedOperation {
  method: string;
  path: string;
  operation_id?: string;
  reason: string;
}

/** The outcome of an import. */
export interface ImportResult {
  /** The manifest in the current format (raw, as it would be written to YAML). */
  manifest: Record<string, unknown>;
  /** The same manifest parsed and normalised (proof it validates). */
  normalised: ConnectorManifest;
  tools: ToolPreview[];
  skipped: SkippedOperation[];
  warnings: string[];
  stats: { operations: number; tools: number; skipped: number; filtered: number };
}

const METHOD_KEYS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Turns a bundled OpenAPI/Swagger document into a validated manifest with a preview and the skipped list. */
export function buildManifest(doc: Node, options: ImportOptions = {}): ImportResult {
  const warnings = new Set<string>();
  const warn = (m: string): void => void (warnings.size < 200 && warnings.add(m));
  const info = isNode(doc.info) ? doc.info : {};
  const title = typeof info.title === 'string' ? info.title : 'openapi';
  const server = planBaseUrl(doc, options.origin);
  const baseUrl = options.baseUrl ?? server.url;
  const auth = planAuth(doc, baseUrl, warn, options.auth);
  const ctx: MappingContext = {
    doc,
    dialect: typeof doc.openapi === 'string' && doc.openapi.startsWith('3.1') ? 'oas31' : 'oas30',
    ...(auth.supplies ? { supplied: auth.supplies } : {}),
    outputSchemas: options.outputSchemas ?? true,
    warn,
  };
  const filter = createOperationFilter(options.include, options.exclude);
  const allocate = createNameAllocator();
  const tools: Record<string, unknown>[] = [];
  const previews: ToolPreview[] = [];
  const skipped: SkippedOperation[] = [];
  let operations = 0;
  let filtered = 0;

  const paths = isNode(doc.paths) ? doc.paths : {};
  for (const [path, rawItem] of Object.entries(paths)) {
    const pathItem = derefObject(doc, rawItem);
    if (!pathItem) continue;
    for (const key of METHOD_KEYS) {
      const operation = pathItem[key];
      if (!isNode(operation)) continue;
      operations += 1;
      const method = key.toUpperCase();
      const operationId = typeof operation.operationId === 'string' ? operation.operationId : undefined;
      const tags = Array.isArray(operation.tags) ? operation.tags.map(String) : [];
      const idPart = operationId ? { operation_id: operationId } : {};
      if (!filter({ method, path, tags, ...(operationId ? { operationId } : {}) })) {
        filtered += 1;
        continue;
      }
      const elsewhere = otherServer(operation, pathItem, baseUrl);
      if (elsewhere) {
        skipped.push({ method, path, ...idPart, reason: `served from another server (${elsewhere})` });
        continue;
      }
      const mapped = mapOperation(ctx, { method, path, pathItem, operation });
      if (!mapped.ok) {
        skipped.push({ method, path, ...idPart, reason: mapped.reason });
        continue;
      }
      const name = allocate(baseToolName(method, path, operationId));
      tools.push({ name, ...mapped.tool });
      previews.push({
        name,
        method,
        path,
        ...idPart,
        ...(typeof mapped.tool.title === 'string' ? { description: mapped.tool.title } : {}),
      });
    }
  }
  listWebhooks(doc, skipped);

  const description = [title, typeof info.description === 'string' ? info.description.split('\n')[0] : '']
    .filter((s) => s && s.trim() !== '')
    .join(' — ');
  const manifest: Record<string, unknown> = {
    name: options.name ?? connectorSlug(title),
    version: semverOf(info.version),
    description: description.length > 500 ? `${description.slice(0, 499)}…` : description,
    kind: 'http',
    config: {
      base_url: baseUrl
        ? { description: server.description, default: baseUrl }
        : { description: server.description, required: true },
      ...auth.config,
    },
    http: { base_url: '${config.base_url}', auth: auth.auth },
    tools,
    metadata: {
      source: 'openapi',
      spec_version: String(doc.openapi ?? doc.swagger),
      api_title: title,
      ...(auth.scheme ? { security_scheme: auth.scheme } : {}),
    },
  };
  return finish(manifest, previews, skipped, [...warnings], { operations, filtered });
}

/** Validates with the manifest parser; a generated tool it rejects is moved to `skipped` with the reason. */
function finish(
  manifest: Record<string, unknown>,
  previews: ToolPreview[],
  skipped: SkippedOperation[],
  warnings: string[],
  counts: { operations: number; filtered: number },
): ImportResult {
  for (let round = 0; round < 3; round += 1) {
    const tools = manifest.tools as Record<string, unknown>[];
    if (tools.length === 0) {
      throw createError('unprocessable', 'no operation of the document can be imported as a tool', {
        skipped: skipped.slice(0, 50),
        filtered: counts.filtered,
      });
    }
    const result = parseManifest(manifest);
    if (result.ok) {
      return {
        manifest,
        normalised: result.manifest,
        tools: previews,
        skipped,
        warnings,
        stats: {
          operations: counts.operations,
          tools: tools.length,
          skipped: skipped.length,
          filtered: counts.filtered,
        },
      };
    }
    const bad = new Map<number, string>();
    for (const issue of result.issues) {
      const index = /^\/tools\/(\d+)/.exec(issue.pointer);
      if (!index)
        throw createError('validation_failed', `generated manifest is invalid: ${issue.message}`, {
          issues: result.issues.slice(0, 20),
        });
      if (!bad.has(Number(index[1]))) bad.set(Number(index[1]), `${issue.message} (${issue.pointer})`);
    }
    const keep: Record<string, unknown>[] = [];
    const keepPreviews: ToolPreview[] = [];
    tools.forEach((tool, i) => {
      const reason = bad.get(i);
      const preview = previews[i];
      if (reason === undefined || !preview) {
        keep.push(tool);
        if (preview) keepPreviews.push(preview);
      } else
        skipped.push({
          method: preview.method,
          path: preview.path,
          ...(preview.operation_id ? { operation_id: preview.operation_id } : {}),
          reason: `generated tool is invalid: ${reason}`,
        });
    });
    manifest.tools = keep;
    previews = keepPreviews;
  }
  throw createError('validation_failed', 'generated manifest is still invalid after removing invalid tools');
}

function otherServer(operation: Node, pathItem: Node, baseUrl: string | undefined): string | undefined {
  const servers = Array.isArray(operation.servers)
    ? operation.servers
    : Array.isArray(pathItem.servers)
      ? pathItem.servers
      : [];
  const first = servers.find(isNode);
  if (!first || typeof first.url !== 'string' || baseUrl === undefined) return undefined;
  const url = expand(first).replace(/\/+$/, '');
  return url === baseUrl || !/^https?:/i.test(url) ? undefined : url;
}

function listWebhooks(doc: Node, skipped: SkippedOperation[]): void {
  const webhooks = isNode(doc.webhooks) ? doc.webhooks : {};
  for (const [name, item] of Object.entries(webhooks)) {
    const pathItem = derefObject(doc, item);
    for (const key of METHOD_KEYS) {
      if (!pathItem || !isNode(pathItem[key])) continue;
      const op = pathItem[key] as Node;
      skipped.push({
        method: key.toUpperCase(),
        path: `webhook:${name}`,
        ...(typeof op.operationId === 'string' ? { operation_id: op.operationId } : {}),
        reason: 'webhook: a request the API sends to you, not an operation to call',
      });
    }
  }
}
