import type { FastifyInstance } from 'fastify';
import { createError } from '../../../core/index.js';
import type { ImportOptions, ImportResult } from '../../../openapi/index.js';
import { getPrincipal } from '../auth.js';
import { routeGroup, publicConnector, publicVersion, type ApiContext } from '../context.js';
import { doc, installResultSchema, int, object, str } from '../schemas.js';

const patterns = (description: string): Record<string, unknown> => ({
  type: 'array',
  maxItems: 200,
  items: { type: 'string', minLength: 1, maxLength: 500 },
  description,
});

const importResultSchema = doc(
  {
    manifest: { type: 'object', additionalProperties: true, description: 'The generated manifest (current format)' },
    tools: {
      type: 'array',
      items: doc({ name: str, method: str, path: str, operation_id: str, description: str }),
      description: 'The tools the manifest defines, one per imported operation',
    },
    skipped: {
      type: 'array',
      items: doc({ method: str, path: str, operation_id: str, reason: str }),
      description: 'Operations that could not become tools, with the reason',
    },
    warnings: { type: 'array', items: str },
    stats: doc({ operations: int, tools: int, skipped: int, filtered: int }),
    install: installResultSchema,
  },
  'The generated manifest with a preview; `install` is present when it was installed',
);

/** `POST /v1/projects/{project_id}/connectors/import-openapi`: preview or install a connector from an OpenAPI document. */
export function registerImportOpenApiRoute(app: FastifyInstance, ctx: ApiContext): void {
  routeGroup(app, { scope: 'admin', tags: ['connectors'] }).post('/v1/projects/:project_id/connectors/import-openapi', {
    summary: 'Generate (and optionally install) a connector from an OpenAPI 3.0/3.1 or Swagger 2.0 document',
    description:
      'The document is sent inline (object, or JSON/YAML text); the server fetches no URL and resolves no external `$ref` for it (use `toolport import-openapi` for documents on the web or split over files). It is parsed and mapped in a worker thread, one import at a time: documents up to 8 MiB (413), 60 s per import (422 limit_exceeded), at most four waiting (429). 200 with the preview; 201 when `install` is true and the connector was installed (new or a new version).',
    body: object(
      {
        spec: {
          type: ['object', 'string'],
          minLength: 1,
          description: 'The OpenAPI/Swagger document as an object, or its JSON/YAML text',
        },
        name: { type: 'string', minLength: 1, maxLength: 64, description: 'Connector name (default from info.title)' },
        include: patterns('Import only operations matching one of these patterns (tag:, id:, path:, "GET /path/*")'),
        exclude: patterns('Leave out operations matching one of these patterns'),
        auth: { type: 'string', minLength: 1, maxLength: 200, description: 'Security scheme to use' },
        base_url: { type: 'string', minLength: 1, maxLength: 2048, description: 'Default of the base_url config key' },
        output_schemas: {
          type: 'boolean',
          description: 'Declare output schemas from 2xx JSON responses (default true)',
        },
        install: { type: 'boolean', description: 'Install the generated connector into the project (default false)' },
        config: {
          type: 'object',
          additionalProperties: { type: 'string', maxLength: 65_536 },
          description: 'Config values for the install (e.g. base_url, api_key); stored encrypted, never returned',
        },
        enabled: { type: 'boolean', description: 'Serve the installed connector right away (default true)' },
        force: { type: 'boolean', description: 'Accept different content under the same version number' },
      },
      ['spec'],
    ),
    response: { 200: importResultSchema, 201: importResultSchema },
    handler: async (request, reply) => {
      const body = request.body as {
        spec: string | Record<string, unknown>;
        name?: string;
        include?: string[];
        exclude?: string[];
        auth?: string;
        base_url?: string;
        output_schemas?: boolean;
        install?: boolean;
        config?: Record<string, string>;
        enabled?: boolean;
        force?: boolean;
      };
      if (typeof body.spec === 'string' && /^\s*[a-z][a-z0-9+.-]*:\/\/\S*\s*$/i.test(body.spec)) {
        throw createError(
          'validation_failed',
          'spec: send the document itself; the server does not fetch URLs (toolport import-openapi does)',
          { pointer: '/spec' },
        );
      }
      const options: ImportOptions = {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.include ? { include: body.include } : {}),
        ...(body.exclude ? { exclude: body.exclude } : {}),
        ...(body.auth !== undefined ? { auth: body.auth } : {}),
        ...(body.base_url !== undefined ? { baseUrl: body.base_url } : {}),
        ...(body.output_schemas !== undefined ? { outputSchemas: body.output_schemas } : {}),
      };
      // Parsing and mapping run in a worker thread: the event loop stays free for other requests meanwhile.
      const json = await ctx.openapiImporter.run(body.spec, options);
      // The preview goes out as the worker wrote it, without a second serialisation of a large manifest.
      if (body.install !== true) return reply.status(200).type('application/json; charset=utf-8').send(json);
      const preview = JSON.parse(json) as Pick<ImportResult, 'manifest'>;
      const tenantId = getPrincipal(request).tenantId;
      const projectId = (request.params as { project_id: string }).project_id;
      const installed = await ctx.registry.install({
        tenantId,
        projectId,
        manifest: preview.manifest,
        config: body.config,
        enabled: body.enabled,
        force: body.force,
        metadata: { imported_from: 'openapi' },
      });
      const summary = await ctx.registry.getConnector(tenantId, projectId, installed.connector.name);
      const current = summary.current_version === installed.version.seq;
      const install = {
        connector: publicConnector(summary),
        version: publicVersion(installed.version, current, summary.tool_count),
        changed: installed.changed,
        created: installed.created,
      };
      return reply
        .status(201)
        .type('application/json; charset=utf-8')
        .send(`${json.slice(0, -1)},"install":${JSON.stringify(install)}}`);
    },
  });
}
