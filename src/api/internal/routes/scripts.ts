import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError, trustOf, validationError } from '../../../core/index.js';
import type { ScriptService } from '../../../registry/scripts.js';
import { getPrincipal } from '../auth.js';
import { routeGroup, type ApiContext } from '../context.js';
import { list, object } from '../schemas.js';
import { loadService } from './service-view.js';
import { serviceOptions } from './services.js';

const TAGS = ['scripts'];
const BASE = '/api/v1/scripts';
const scriptId = { type: 'string', pattern: '^[a-f0-9]{64}$', description: 'Script id (SHA-256 of its content)' };
const scriptSchema = { type: 'object', additionalProperties: true, description: 'A stored script with its analysis' };

function scripts(ctx: ApiContext): ScriptService {
  if (!ctx.scripts) throw createError('unprocessable', 'Python scripts are not enabled on this server');
  return ctx.scripts;
}

const tenantOf = (request: FastifyRequest): string => getPrincipal(request).tenantId;
const idOf = (request: FastifyRequest): string => (request.params as { id: string }).id;

/** Uploaded Python scripts: upload, list/search, content, analysis, delete, and turning one into a service. */
export async function registerScriptRoutes(
  app: FastifyInstance,
  ctx: ApiContext,
  maxScriptBytes: number,
): Promise<void> {
  await app.register(multipart, { limits: { fileSize: maxScriptBytes, files: 1, fields: 10, fieldSize: 1024 } });
  const routes = routeGroup(app, { tags: TAGS, paramSchemas: { id: scriptId } });

  routes.post('/api/v1/upload_script', {
    summary: 'Upload a Python script (multipart field `file`); it is checked and analysed',
    description:
      'The script must be UTF-8 and compile; a syntax error is a 400 with its line. Analysis imports the script in a sandboxed child process, never in the server.',
    response: { 201: scriptSchema, 200: scriptSchema },
    handler: async (request, reply) => {
      if (!request.isMultipart()) {
        throw createError('unsupported_media_type', 'send the script as multipart/form-data with a field named file');
      }
      let file: Awaited<ReturnType<FastifyRequest['file']>>;
      try {
        file = await request.file();
      } catch (err) {
        throw validationError('malformed multipart body', [{ pointer: '/file', message: (err as Error).message }]);
      }
      if (!file || file.fieldname !== 'file') {
        throw validationError('no script in the multipart body', [
          { pointer: '/file', message: 'a multipart field named file is required' },
        ]);
      }
      const data = await file.toBuffer().catch((err: unknown) => {
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
          throw createError('payload_too_large', `script exceeds the limit of ${maxScriptBytes} bytes`);
        }
        // A body that ends before its closing boundary (or is otherwise unreadable) is the client's mistake.
        throw validationError('malformed multipart body', [{ pointer: '/file', message: (err as Error).message }]);
      });
      const summary = await scripts(ctx).upload(
        tenantOf(request),
        file.filename || 'script.py',
        data,
        trustOf(getPrincipal(request)),
      );
      reply.code(201);
      return { script_id: summary.id, ...summary };
    },
  });

  routes.get(BASE, {
    summary: 'List uploaded scripts (search by file name with ?search=)',
    querystring: object({ search: { type: 'string', maxLength: 200 } }),
    response: { 200: list('scripts', scriptSchema, 'Scripts') },
    handler: async (request) => {
      const rows = await scripts(ctx).list(tenantOf(request), (request.query as { search?: string }).search);
      return { scripts: rows.map((s) => ({ script_id: s.id, ...s })), total: rows.length };
    },
  });

  routes.get(`${BASE}/:id`, {
    summary: 'A script: file name, size, analysis',
    response: { 200: scriptSchema },
    handler: async (request) => {
      const { content: _content, ...rest } = await scripts(ctx).get(tenantOf(request), idOf(request));
      return { script_id: rest.id, ...rest };
    },
  });

  routes.get(`${BASE}/:id/content`, {
    summary: 'The script source',
    response: { 200: { type: 'string' } },
    handler: async (request, reply) => {
      const script = await scripts(ctx).get(tenantOf(request), idOf(request));
      reply.header('content-type', 'text/x-python; charset=utf-8');
      return reply.send(script.content);
    },
  });

  routes.delete(`${BASE}/:id`, {
    summary: 'Delete a script no service uses (409 naming the services otherwise)',
    act: async (request) => {
      await scripts(ctx).delete(tenantOf(request), idOf(request));
    },
  });

  routes.post(`${BASE}/:id/discover`, {
    summary: 'Analyse the script again: functions with JSON Schemas, skipped names, warnings, CLI parameters',
    response: { 200: scriptSchema },
    handler: async (request) => ({
      script_id: idOf(request),
      analysis: await scripts(ctx).discover(tenantOf(request), idOf(request), trustOf(getPrincipal(request))),
    }),
  });

  routes.post(`${BASE}/:id/generate_mcp_wrapper`, {
    summary:
      'Turn the script into a registered Python service (selected functions, or script mode with CLI parameters)',
    body: object({
      service_name: { type: 'string', minLength: 1, maxLength: 64 },
      type: { type: 'string', enum: ['function', 'executable'] },
      ...serviceOptions,
    }),
    response: {
      201: { type: 'object', additionalProperties: true },
      200: { type: 'object', additionalProperties: true },
    },
    handler: async (request, reply) => {
      const tenantId = tenantOf(request);
      const body = (request.body ?? {}) as Parameters<ScriptService['generateWrapper']>[2];
      const result = await scripts(ctx).generateWrapper(tenantId, idOf(request), body, trustOf(getPrincipal(request)));
      const projectId = body.project ?? 'default';
      const service = await loadService(ctx.registry, tenantId, projectId, result.connector.name);
      reply.code(result.created ? 201 : 200);
      return { service, wrapper_url: service.routes.wrapper, changed: result.changed };
    },
  });
}
