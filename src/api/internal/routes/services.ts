import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError, trustOf, validationError } from '../../../core/index.js';
import type { ScriptService } from '../../../registry/scripts.js';
import { getPrincipal } from '../auth.js';
import { routeGroup, type ApiContext } from '../context.js';
import { list, object, REUSE_SECRETS, slug } from '../schemas.js';
import { loadService, toServiceConfig, type ServiceConfig } from './service-view.js';

const TAGS = ['services'];
const BASE = '/api/v1/services';

const serviceSchema = { type: 'object', additionalProperties: true, description: 'A service (ServiceConfig)' };
const projectQuery = object({ project: slug("Project (default: the caller's default project)") });
const listQuery = object({
  project: slug("Project (default: the caller's default project)"),
  status: { type: 'string', enum: ['active', 'inactive', 'error'], description: 'Only services with this status' },
});

/** Fields shared by service registration and wrapper generation. */
export const serviceOptions = {
  description: { type: 'string', maxLength: 2000 },
  hosting_mode: {
    type: 'string',
    enum: ['stdio', 'sse'],
    description: 'How it is meant to be reached (both always work)',
  },
  functions: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 500 },
  parameters: {
    type: 'array',
    maxItems: 100,
    items: object(
      {
        name: { type: 'string', minLength: 1, maxLength: 100 },
        type: { type: 'string', enum: ['string', 'integer', 'number', 'boolean', 'array'] },
        description: { type: 'string', maxLength: 2000 },
        required: { type: 'boolean' },
        default: {},
        flag: { type: 'string', maxLength: 100 },
      },
      ['name', 'type'],
    ),
  },
  auto_activate: { type: 'boolean', description: 'Activate right away (default false)' },
  allow_network: { type: 'boolean', description: 'Let the sandboxed script use the network' },
  timeout_ms: { type: 'integer', minimum: 100, maximum: 600_000 },
  config: {
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 65_536 },
    description: 'Environment values for the script; stored encrypted',
  },
  env: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }, maxItems: 100 },
  metadata: { type: 'object', additionalProperties: true },
  project: slug("Project (default: the caller's default project)"),
};

function scope(request: FastifyRequest): { tenantId: string; projectId: string } {
  const q = (request.query ?? {}) as { project?: string };
  const b = (request.body ?? {}) as { project?: string };
  return { tenantId: getPrincipal(request).tenantId, projectId: q.project ?? b.project ?? 'default' };
}

function requireScripts(ctx: ApiContext): ScriptService {
  if (!ctx.scripts) throw createError('unprocessable', 'Python scripts are not enabled on this server');
  return ctx.scripts;
}

/** The `/api/v1/services` surface: connectors of a project seen as services. */
export function registerServiceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { registry } = ctx;
  const routes = routeGroup(app, { tags: TAGS });
  // Every route but register names its project in the query string.
  const inProject = routeGroup(app, {
    tags: TAGS,
    paramSchemas: { id: slug('Service id (the connector name)') },
    querystring: projectQuery,
  });

  routes.post(`${BASE}/register`, {
    summary: 'Register a service from an uploaded script (script_id) or a connector manifest',
    body: object(
      {
        name: slug('Service id'),
        type: { type: 'string', enum: ['function', 'executable', 'http', 'python', 'mcp'] },
        script_id: { type: 'string', pattern: '^[a-f0-9]{64}$', description: 'An uploaded script' },
        manifest: { type: ['object', 'string'], description: 'A connector manifest (object or YAML)' },
        reuse_secrets: REUSE_SECRETS,
        ...serviceOptions,
      },
      ['name'],
    ),
    response: { 201: serviceSchema },
    handler: async (request, reply) => {
      const { tenantId, projectId } = scope(request);
      const body = request.body as Record<string, unknown> & {
        name: string;
        script_id?: string;
        manifest?: string | Record<string, unknown>;
        type?: string;
      };
      if (body.script_id) {
        if (body.type && !['function', 'executable', 'python'].includes(body.type)) {
          throw validationError('a script service is of type function or executable', [
            { pointer: '/type', message: 'must be function or executable with script_id' },
          ]);
        }
        const { name, script_id, type, manifest: _m, reuse_secrets: _r, ...rest } = body;
        const result = await requireScripts(ctx).generateWrapper(
          tenantId,
          script_id,
          {
            ...(rest as object),
            service_name: name,
            ...(type === 'function' || type === 'executable' ? { type } : {}),
            project: projectId,
          },
          trustOf(getPrincipal(request)),
        );
        reply.code(result.created ? 201 : 200);
        return loadService(registry, tenantId, projectId, result.connector.name);
      }
      if (!body.manifest) {
        throw validationError('nothing to register', [
          { pointer: '/script_id', message: 'give script_id (a Python service) or manifest (any connector)' },
        ]);
      }
      const result = await registry.install({
        tenantId,
        projectId,
        name: body.name,
        manifest: body.manifest,
        enabled: body.auto_activate === true,
        ...(body.config ? { config: body.config as Record<string, string> } : {}),
        reuseSecrets: body.reuse_secrets === true,
        metadata: { ...((body.metadata as object) ?? {}), hosting_mode: body.hosting_mode ?? 'sse' },
        trust: trustOf(getPrincipal(request)),
      });
      reply.code(result.created ? 201 : 200);
      return loadService(registry, tenantId, projectId, result.connector.name);
    },
  });

  inProject.get(`${BASE}/`, {
    summary: 'List services (optionally by status)',
    querystring: listQuery,
    response: { 200: list('services', serviceSchema, 'Services') },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      const status = (request.query as { status?: string }).status;
      const connectors = (await registry.listConnectors(tenantId, projectId)).filter(
        (c) => !status || c.status === status,
      );
      const tools = await registry.listTools(tenantId, projectId);
      const services: ServiceConfig[] = [];
      for (const c of connectors) {
        const mode =
          c.kind === 'python' ? (await registry.getManifest(tenantId, projectId, c.name)).python?.mode : undefined;
        services.push(
          toServiceConfig(
            c,
            tools.filter((t) => t.connector === c.name),
            mode,
          ),
        );
      }
      return { services, total: services.length };
    },
  });

  inProject.get(`${BASE}/stats/overview`, {
    summary: 'Registry totals by status, type and hosting mode; health totals and average response time',
    response: { 200: { type: 'object', additionalProperties: true } },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      const connectors = await registry.listConnectors(tenantId, projectId);
      const byStatus: Record<string, number> = { active: 0, inactive: 0, error: 0 };
      const byType: Record<string, number> = {};
      const byHosting: Record<string, number> = { stdio: 0, sse: 0 };
      let healthy = 0;
      let unhealthy = 0;
      let unknown = 0;
      let latencySum = 0;
      let latencyCount = 0;
      for (const c of connectors) {
        const mode =
          c.kind === 'python' ? (await registry.getManifest(tenantId, projectId, c.name)).python?.mode : undefined;
        const view = toServiceConfig(c, [], mode);
        byStatus[view.status] = (byStatus[view.status] ?? 0) + 1;
        byType[view.type] = (byType[view.type] ?? 0) + 1;
        byHosting[view.hosting_mode] = (byHosting[view.hosting_mode] ?? 0) + 1;
        const [last] = await registry.healthHistory(tenantId, projectId, c.name, 1);
        if (!last) unknown += 1;
        else if (last.ok) healthy += 1;
        else unhealthy += 1;
        if (last) {
          latencySum += last.latency_ms;
          latencyCount += 1;
        }
      }
      return {
        registry: {
          total_services: connectors.length,
          by_status: byStatus,
          by_type: byType,
          by_hosting_mode: byHosting,
        },
        health: {
          healthy,
          unhealthy,
          unknown,
          average_response_time_ms: latencyCount ? Math.round((latencySum / latencyCount) * 100) / 100 : null,
        },
      };
    },
  });

  inProject.get(`${BASE}/:id`, {
    summary: 'Get a service',
    response: { 200: serviceSchema },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      return loadService(registry, tenantId, projectId, (request.params as { id: string }).id);
    },
  });

  inProject.delete(`${BASE}/:id`, {
    summary: 'Unregister a service',
    act: async (request) => {
      const { tenantId, projectId } = scope(request);
      await registry.uninstall(tenantId, projectId, (request.params as { id: string }).id);
    },
  });

  for (const [action, enabled] of [
    ['activate', true],
    ['deactivate', false],
  ] as const) {
    inProject.post(`${BASE}/:id/${action}`, {
      summary: enabled ? 'Activate a service (serve its tools)' : 'Deactivate a service',
      response: { 200: serviceSchema },
      handler: async (request) => {
        const { tenantId, projectId } = scope(request);
        const id = (request.params as { id: string }).id;
        await registry.setEnabled(tenantId, projectId, id, enabled);
        return loadService(registry, tenantId, projectId, id);
      },
    });
  }

  const healthOf = async (tenantId: string, projectId: string, id: string): Promise<Record<string, unknown>> => {
    const service = await registry.getConnector(tenantId, projectId, id);
    const history = await registry.healthHistory(tenantId, projectId, id, 20);
    return {
      service_id: id,
      status: service.status,
      status_reason: service.status_reason,
      healthy: history[0]?.ok ?? null,
      last_check: history[0] ?? null,
      history,
      ...(service.breaker ? { breaker: service.breaker } : {}),
    };
  };

  inProject.get(`${BASE}/:id/health`, {
    summary: 'Health of a service: status, last check and recent history',
    response: { 200: { type: 'object', additionalProperties: true } },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      return healthOf(tenantId, projectId, (request.params as { id: string }).id);
    },
  });

  inProject.post(`${BASE}/:id/health`, {
    summary: 'Check a service now (really executes it) and return its health',
    response: { 200: { type: 'object', additionalProperties: true } },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      const id = (request.params as { id: string }).id;
      await registry.checkHealth(tenantId, projectId, id);
      return healthOf(tenantId, projectId, id);
    },
  });

  inProject.get(`${BASE}/:id/tools`, {
    summary: "A service's tools with their schemas and usage",
    response: { 200: list('tools', { type: 'object', additionalProperties: true }, 'Tools') },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      const id = (request.params as { id: string }).id;
      await registry.getConnector(tenantId, projectId, id);
      return { tools: await registry.listTools(tenantId, projectId, { connector: id }) };
    },
  });

  inProject.get(`${BASE}/:id/wrapper`, {
    summary: 'Download the generated wrapper: one Python file serving the script over stdio MCP',
    description: 'Runnable with nothing but Python 3: `python3 <file>` speaks MCP on stdin/stdout.',
    response: { 200: { type: 'string', description: 'Python source' } },
    handler: async (request, reply) => {
      const { tenantId, projectId } = scope(request);
      const wrapper = await requireScripts(ctx).wrapperFor(tenantId, projectId, (request.params as { id: string }).id);
      reply.header('content-type', 'text/x-python; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="${wrapper.filename}"`);
      return reply.send(wrapper.content);
    },
  });
}
