import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError } from '../../../core/index.js';
import type { ToolSummary } from '../../../registry/registry-api.js';
import { getPrincipal } from '../auth.js';
import { routeGroup, type ApiContext } from '../context.js';
import { list, object, reloadOutcomeSchema, slug, statsSchema, toolResultSchema, toolSchema } from '../schemas.js';

const TAGS = ['tools'];
const PROJECT = '/v1/projects/:project_id';

function scope(request: FastifyRequest): { tenantId: string; projectId: string } {
  return { tenantId: getPrincipal(request).tenantId, projectId: (request.params as { project_id: string }).project_id };
}

/**
 * The arguments of an invoke body: `{arguments: {...}}` when that is the only field, else the body itself
 * (so `{"a": 1}` and `{"arguments": {"a": 1}}` both work).
 */
export function invokeArguments(body: unknown): unknown {
  if (body === undefined || body === null) return {};
  if (typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body);
    const wrapped = (body as { arguments?: unknown }).arguments;
    if (
      keys.length === 1 &&
      keys[0] === 'arguments' &&
      typeof wrapped === 'object' &&
      wrapped !== null &&
      !Array.isArray(wrapped)
    )
      return wrapped;
  }
  return body;
}

/** Finds a tool by qualified name, or by a bare name unique in the project. */
function findTool(tools: ToolSummary[], name: string): ToolSummary {
  const exact = tools.find((t) => t.qualified_name === name);
  if (exact) return exact;
  const bare = tools.filter((t) => t.name === name);
  if (bare.length === 1 && bare[0]) return bare[0];
  if (bare.length > 1) {
    throw createError('conflict', `Tool name '${name}' is ambiguous; use the qualified name.`, {
      candidates: bare.map((t) => t.qualified_name),
    });
  }
  throw createError('tool_not_found', `No tool '${name.slice(0, 200)}' in this project.`);
}

/** Tools, invocation, project statistics, hot reload and samples of a project; global stats. */
export function registerToolRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { registry } = ctx;
  const routes = routeGroup(app, { tags: TAGS });

  routes.get(`${PROJECT}/tools`, {
    summary: "List the project's tools with usage",
    querystring: object({
      connector: slug('Only tools of this connector'),
      enabled: { type: 'boolean', description: 'Only tools whose connector is (not) enabled' },
    }),
    response: { 200: list('tools', toolSchema, 'Tools') },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      const q = request.query as { connector?: string; enabled?: boolean };
      const filter: { connector?: string; enabled?: boolean } = {};
      if (q.connector !== undefined) filter.connector = q.connector;
      if (q.enabled !== undefined) filter.enabled = q.enabled;
      return { tools: await registry.listTools(tenantId, projectId, filter) };
    },
  });

  routes.get(`${PROJECT}/tools/:tool_name`, {
    summary: 'Get a tool with its schemas and usage',
    response: { 200: toolSchema },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      return findTool(
        await registry.listTools(tenantId, projectId),
        (request.params as { tool_name: string }).tool_name,
      );
    },
  });

  routes.post(`${PROJECT}/tools/:tool_name/invoke`, {
    scope: 'invoke',
    summary: 'Call a tool',
    description:
      'Body: `{"arguments": {...}}` or the arguments object itself. Invalid arguments → 400 with JSON pointers; tool failures are 200 results with `isError: true`.',
    body: {
      type: 'object',
      additionalProperties: true,
      'x-error': 'must be a JSON object: {"arguments": {...}} or the arguments themselves',
    },
    response: { 200: toolResultSchema },
    handler: async (request, reply) => {
      const { tenantId, projectId } = scope(request);
      const controller = new AbortController();
      // The client went away before the answer: let the tool stop working for nobody.
      const onClose = (): void => {
        if (!reply.raw.writableEnded) controller.abort();
      };
      reply.raw.once('close', onClose);
      try {
        const name = (request.params as { tool_name: string }).tool_name;
        return await registry.invokeTool(tenantId, projectId, name, invokeArguments(request.body), {
          signal: controller.signal,
          requestId: request.id,
          ...traceparentOf(request.headers.traceparent),
        });
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  });

  routes.get(`${PROJECT}/stats`, {
    tags: ['stats'],
    summary: 'Project statistics',
    response: { 200: statsSchema },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      return registry.projectStats(tenantId, projectId);
    },
  });

  routes.post(`${PROJECT}/hot-reload`, {
    tags: ['connectors'],
    summary: 'Re-read every file-installed connector now',
    response: { 200: list('outcomes', reloadOutcomeSchema, 'What happened per connector') },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      return { outcomes: await registry.hotReload(tenantId, projectId) };
    },
  });

  routes.post(`${PROJECT}/install-samples`, {
    tags: ['connectors'],
    summary: 'Install the bundled sample connectors',
    response: {
      200: list(
        'installed',
        {
          type: 'object',
          properties: {
            connector: { type: 'string' },
            version: { type: 'integer' },
            changed: { type: 'boolean' },
            created: { type: 'boolean' },
          },
        },
        'Installed samples',
      ),
    },
    handler: async (request) => {
      if (!ctx.samplesAvailable)
        throw createError('unprocessable', 'The bundled samples are not available in this installation.');
      const { tenantId, projectId } = scope(request);
      const results = await registry.installSamples(tenantId, projectId);
      return {
        installed: results.map((r) => ({
          connector: r.connector.name,
          version: r.version.seq,
          changed: r.changed,
          created: r.created,
        })),
      };
    },
  });

  routes.get('/v1/stats', {
    tags: ['stats'],
    summary: 'Statistics across projects',
    description: 'A tenant key sees its tenant; the operator token sees all tenants unless X-Tenant-Id names one.',
    response: { 200: { type: 'object', additionalProperties: true, description: 'Global statistics' } },
    handler: async (request) => {
      const principal = getPrincipal(request);
      const all = principal.isOperator && request.headers['x-tenant-id'] === undefined;
      return registry.globalStats(all ? undefined : principal.tenantId);
    },
  });
}

/** The caller's W3C trace context, so tool call spans join its trace (tracing validates the format). */
function traceparentOf(header: string | string[] | undefined): { traceparent?: string } {
  return typeof header === 'string' && header.length <= 128 ? { traceparent: header } : {};
}
