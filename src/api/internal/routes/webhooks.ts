import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebhookService } from '../../../webhooks/index.js';
import { getPrincipal } from '../auth.js';
import { routeGroup } from '../context.js';
import { doc, list, object } from '../schemas.js';

const TAGS = ['webhooks'];
const BASE = '/v1/projects/:project_id/webhooks';

const webhookSchema = doc(
  {
    id: { type: 'string' },
    project_id: { type: 'string' },
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    enabled: { type: 'boolean' },
    created_at: { type: 'string' },
  },
  'A webhook (never its secret)',
);
const deliverySchema = doc(
  {
    id: { type: 'string', description: 'Delivery id (X-Toolport-Delivery); the same for every attempt' },
    event: { type: 'string' },
    attempt: { type: 'integer' },
    status_code: { type: ['integer', 'null'] },
    ok: { type: 'boolean' },
    error: { type: ['string', 'null'] },
    delivered_at: { type: 'string' },
  },
  'One delivery attempt',
);

function scope(request: FastifyRequest): { tenantId: string; projectId: string; id: string } {
  const p = request.params as { project_id: string; webhook_id?: string };
  return { tenantId: getPrincipal(request).tenantId, projectId: p.project_id, id: p.webhook_id ?? '' };
}

/** What the webhook routes need (the WebhookService of src/webhooks). */
export type WebhookAdmin = Pick<WebhookService, 'create' | 'list' | 'delete' | 'deliveries'>;

/** Webhooks of a project: create (secret shown once), list, delete, delivery log. */
export function registerWebhookRoutes(app: FastifyInstance, webhooks: WebhookAdmin): void {
  const routes = routeGroup(app, { scope: 'admin', tags: TAGS });
  routes.post(BASE, {
    summary: 'Subscribe a URL to connector events',
    description:
      'Deliveries are signed: `X-Toolport-Signature: sha256=<hex HMAC-SHA256 of "<X-Toolport-Timestamp>.<body>">`. The secret is returned once.',
    body: object(
      {
        url: { type: 'string', minLength: 1, maxLength: 2048, description: 'http(s) receiver URL' },
        events: {
          type: 'array',
          minItems: 1,
          maxItems: 20,
          items: { type: 'string', maxLength: 64 },
          description: 'Event types (default all connector.*)',
        },
        secret: {
          type: 'string',
          minLength: 16,
          maxLength: 256,
          description: 'Signing secret (generated when absent)',
        },
      },
      ['url'],
    ),
    response: {
      201: doc({ ...(webhookSchema.properties as object), secret: { type: 'string', description: 'Shown once' } }),
    },
    handler: async (request, reply) => {
      const { tenantId, projectId } = scope(request);
      return reply.status(201).send(await webhooks.create(tenantId, projectId, request.body as { url: string }));
    },
  });

  routes.get(BASE, {
    summary: "List a project's webhooks",
    response: { 200: list('webhooks', webhookSchema, 'Webhooks without secrets') },
    handler: async (request) => {
      const { tenantId, projectId } = scope(request);
      return { webhooks: await webhooks.list(tenantId, projectId) };
    },
  });

  routes.delete(`${BASE}/:webhook_id`, {
    summary: 'Delete a webhook',
    act: async (request) => {
      const { tenantId, projectId, id } = scope(request);
      await webhooks.delete(tenantId, projectId, id);
    },
  });

  routes.get(`${BASE}/:webhook_id/deliveries`, {
    summary: "A webhook's newest delivery attempts",
    querystring: object({ limit: { type: 'integer', minimum: 1, maximum: 500, description: 'Default 50' } }),
    response: { 200: list('deliveries', deliverySchema, 'Newest first') },
    handler: async (request) => {
      const { tenantId, projectId, id } = scope(request);
      const { limit } = request.query as { limit?: number };
      return { deliveries: await webhooks.deliveries(tenantId, projectId, id, limit ?? 50) };
    },
  });
}
