import SwaggerParser from '@apidevtools/swagger-parser';
import { parse as parseYaml } from 'yaml';
import { createError } from '../../core/index.js';
import { isNode, type Node } from './refs.js';

/** A parsed, bundled document (external references inlined; internal `$ref`s kept, cycles and all). */
export interface LoadedDocument {
  doc: Node;
  /** URL the document was read from, when it came from the network (resolves relative server URLs). */
  origin?: string;
}

/** Where the document comes from. */
export type OpenApiSource =
  | { kind: 'object'; value: Record<string, unknown> }
  | { kind: 'text'; value: string }
  | { kind: 'location'; value: string };

/** Options of loadOpenApiDocument. */
export interface LoadOptions {
  /**
   * Resolve `$ref`s to other files and URLs (the document set). Off for documents sent by API clients, so a
   * document cannot make the server read its files or reach other hosts.
   */
  externalRefs: boolean;
  /**
   * Let URLs (the location or external references) name loopback/private addresses. The parser refuses them by
   * default; the CLI, run by the operator on their own machine, allows them.
   */
  allowPrivateUrls?: boolean;
  /** Timeout of each fetch of a URL (location or external reference); default 30 s. */
  timeoutMs?: number;
}

/** Parses (JSON or YAML) and bundles an OpenAPI 3.0/3.1 or Swagger 2.0 document with @apidevtools/swagger-parser. */
export async function loadOpenApiDocument(source: OpenApiSource, options: LoadOptions): Promise<LoadedDocument> {
  let input: string | Node;
  if (source.kind === 'location') input = source.value;
  else if (source.kind === 'object') input = structuredClone(source.value);
  else input = parseText(source.value);
  if (isNode(input)) checkVersion(input);
  if (!options.externalRefs && isNode(input)) refuseExternalRefs(input);
  const parserOptions = {
    // With `external: false` the parser leaves references to other files and URLs as they are (never reads them).
    resolve: {
      external: options.externalRefs,
      ...(options.externalRefs
        ? { http: { timeout: options.timeoutMs ?? 30_000, safeUrlResolver: options.allowPrivateUrls !== true } }
        : {}),
    },
    dereference: { circular: true },
  } as unknown as SwaggerParser.Options;
  let doc: unknown;
  try {
    doc = await SwaggerParser.bundle(input as never, parserOptions);
  } catch (err) {
    throw createError('validation_failed', `spec: not a readable OpenAPI or Swagger document: ${shortMessage(err)}`, {
      pointer: '/spec',
    });
  }
  if (!isNode(doc)) throw createError('validation_failed', 'spec: the document is not an object', { pointer: '/spec' });
  const origin = source.kind === 'location' && /^https?:\/\//i.test(source.value) ? source.value : undefined;
  return { doc, ...(origin ? { origin } : {}) };
}

function parseText(text: string): Node {
  let value: unknown;
  try {
    value = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 1000 });
  } catch (err) {
    throw createError('validation_failed', `spec: neither JSON nor YAML: ${shortMessage(err)}`, { pointer: '/spec' });
  }
  if (!isNode(value))
    throw createError('validation_failed', 'spec: the document is not an object', { pointer: '/spec' });
  return value;
}

function checkVersion(doc: Node): void {
  const openapi = typeof doc.openapi === 'string' ? doc.openapi : '';
  if (doc.swagger === '2.0' || /^3\.[01]\.\d+$/.test(openapi)) return;
  throw createError(
    'validation_failed',
    'spec: not an OpenAPI 3.0/3.1 or Swagger 2.0 document (no `openapi: 3.x.y` or `swagger: "2.0"`)',
    { pointer: '/spec' },
  );
}

/** Documents sent by API clients must be self-contained: the server reads no file and fetches no URL for them. */
function refuseExternalRefs(doc: Node): void {
  const stack: [unknown, string][] = [[doc, '']];
  while (stack.length > 0) {
    const [value, pointer] = stack.pop() as [unknown, string];
    if (Array.isArray(value)) value.forEach((item, i) => stack.push([item, `${pointer}/${i}`]));
    else if (isNode(value)) {
      if (typeof value.$ref === 'string' && !value.$ref.startsWith('#')) {
        throw createError(
          'validation_failed',
          `spec: $ref '${value.$ref.slice(0, 200)}' points outside the document; send a bundled document (toolport import-openapi resolves files and URLs)`,
          { pointer: `/spec${pointer}/$ref` },
        );
      }
      for (const [key, item] of Object.entries(value))
        stack.push([item, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`]);
    }
  }
}

function shortMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}
