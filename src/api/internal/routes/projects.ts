import type { FastifyInstance } from 'fastify';
import { getPrincipal } from '../auth.js';
import { addRoute, type ApiContext } from '../context.js';
import { list, noContent, object, projectSchema, slug } from '../schemas.js';

const TAGS = ['projects'];
const name = { type: 'string', minLength: 1, maxLength: 200, description: 'Display name (defaults to the id)' };
const description = { type: 'string', maxLength: 2000, description: 'Free text' };

/** Project CRUD in the caller's tenant. */
export function registerProjectRoutes(app: FastifyInstance, { registry }: ApiContext): void {
  addRoute(app, {
    method: 'GET',
    url: '/v1/projects',
    scope: 'read',
    tags: TAGS,
    summary: "List the tenant's projects",
    response: { 200: list('projects', projectSchema, "Projects of the caller's tenant") },
    handler: async (request) => ({ projects: await registry.listProjects(getPrincipal(request).tenantId) }),
  });

  addRoute(app, {
    method: 'POST',
    url: '/v1/projects',
    scope: 'admin',
    tags: TAGS,
    summary: 'Create a project',
    body: object({ id: slug('Project id'), name, description }, ['id']),
    response: { 201: projectSchema },
    handler: async (request, reply) => {
      const body = request.body as { id: string; name?: string; description?: string };
      return reply.status(201).send(await registry.createProject(getPrincipal(request).tenantId, body));
    },
  });

  addRoute(app, {
    method: 'GET',
    url: '/v1/projects/:project_id',
    scope: 'read',
    tags: TAGS,
    summary: 'Get a project',
    response: { 200: projectSchema },
    handler: async (request) =>
      registry.getProject(getPrincipal(request).tenantId, (request.params as { project_id: string }).project_id),
  });

  addRoute(app, {
    method: 'PATCH',
    url: '/v1/projects/:project_id',
    scope: 'admin',
    tags: TAGS,
    summary: "Change a project's name or description",
    body: object({ name, description }, [], {
      minProperties: 1,
      'x-error': "must change at least one of 'name', 'description'",
    }),
    response: { 200: projectSchema },
    handler: async (request) => {
      const { project_id } = request.params as { project_id: string };
      return registry.updateProject(
        getPrincipal(request).tenantId,
        project_id,
        request.body as { name?: string; description?: string },
      );
    },
  });

  addRoute(app, {
    method: 'DELETE',
    url: '/v1/projects/:project_id',
    scope: 'admin',
    tags: TAGS,
    summary: 'Delete a project with its connectors',
    response: { 204: noContent },
    handler: async (request, reply) => {
      await registry.deleteProject(
        getPrincipal(request).tenantId,
        (request.params as { project_id: string }).project_id,
      );
      return reply.status(204).send();
    },
  });
}
