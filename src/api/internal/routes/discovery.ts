import type { FastifyInstance } from 'fastify';
import { manifestJsonSchema } from '../../../manifest/index.js';
import { getPrincipal } from '../auth.js';
import { routeGroup, type ApiContext } from '../context.js';
import { object } from '../schemas.js';

/** Builds client configuration snippets; the gateway's builder, injected by the composition root. */
export type ClientConfigBuilder = (options: {
  baseUrl: string;
  projectId: string;
  connector?: string;
}) => Record<string, unknown>;

/** The published manifest JSON Schema and per-project client configuration. */
export function registerDiscoveryRoutes(
  app: FastifyInstance,
  ctx: ApiContext,
  clientConfig?: ClientConfigBuilder,
): void {
  const routes = routeGroup(app, {});
  routes.get('/v1/schemas/manifest.json', {
    // Editors' YAML plugins fetch this without credentials; it is the same document as schemas/manifest.schema.json.
    scope: 'public',
    tags: ['system'],
    summary: 'The JSON Schema of connector manifests (for editors and validators; no authentication)',
    response: { 200: { type: 'object', additionalProperties: true } },
    handler: async (_request, reply) => reply.type('application/schema+json').send(JSON.stringify(manifestJsonSchema)),
  });

  routes.get('/v1/projects/:project_id/client-config', {
    tags: ['projects'],
    summary: 'Ready-to-paste MCP client entries (Claude Desktop, Cursor, VS Code, MCP Inspector) for this project',
    description: 'The API key is a placeholder: keys are shown once, at creation, and never echoed back.',
    querystring: object({
      connector: { type: 'string', minLength: 1, maxLength: 64, description: 'One connector only' },
    }),
    response: { 200: { type: 'object', additionalProperties: true } },
    handler: async (request) => {
      const { project_id: projectId } = request.params as { project_id: string };
      const { connector } = request.query as { connector?: string };
      if (connector !== undefined)
        await ctx.registry.getConnector(getPrincipal(request).tenantId, projectId, connector);
      const host = request.headers.host ?? `${request.hostname}`;
      const baseUrl = `${request.protocol}://${host}`;
      if (!clientConfig) return { mcp_url: `${baseUrl}/mcp/${projectId}`, sse_url: `${baseUrl}/sse/${projectId}` };
      return clientConfig({
        baseUrl,
        projectId,
        ...(connector === undefined ? {} : { connector }),
      });
    },
  });
}
