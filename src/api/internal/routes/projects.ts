import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getPrincipal } from '../auth.js';
import { routeGroup, type ApiContext } from '../context.js';
import { list, object, projectSchema, slug } from '../schemas.js';

const TAGS = ['projects'];
const name = { type: 'string', minLength: 1, maxLength: 200, description: 'Display name (defaults to the id)' };
const description = { type: 'string', maxLength: 2000, description: 'Free text' };

/** Project CRUD in the caller's tenant. */
export function registerProjectRoutes(app: FastifyInstance, { registry }: ApiContext): void {
  const routes = routeGroup(app, { tags: TAGS });
  const tenantOf = (request: FastifyRequest): string => getPrincipal(request).tenantId;
  const idOf = (request: FastifyRequest): string => (request.params as { project_id: string }).project_id;

  routes.get('/v1/projects', {
    summary: "List the tenant's projects",
    response: { 200: list('projects', projectSchema, "Projects of the caller's tenant") },
    handler: async (request) => ({ projects: await registry.listProjects(tenantOf(request)) }),
  });

  routes.post('/v1/projects', {
    summary: 'Create a project',
    body: object({ id: slug('Project id'), name, description }, ['id']),
    response: { 201: projectSchema },
    handler: async (request, reply) => {
      const body = request.body as { id: string; name?: string; description?: string };
      return reply.status(201).send(await registry.createProject(tenantOf(request), body));
    },
  });

  routes.get('/v1/projects/:project_id', {
    summary: 'Get a project',
    response: { 200: projectSchema },
    handler: async (request) => registry.getProject(tenantOf(request), idOf(request)),
  });

  routes.patch('/v1/projects/:project_id', {
    summary: "Change a project's name or description",
    body: object({ name, description }, [], {
      minProperties: 1,
      'x-error': "must change at least one of 'name', 'description'",
    }),
    response: { 200: projectSchema },
    handler: async (request) =>
      registry.updateProject(tenantOf(request), idOf(request), request.body as { name?: string; description?: string }),
  });

  routes.delete('/v1/projects/:project_id', {
    summary: 'Delete a project with its connectors',
    act: async (request) => {
      await registry.deleteProject(tenantOf(request), idOf(request));
    },
  });
}
