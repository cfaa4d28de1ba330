import type { FastifyInstance } from 'fastify';
import { createError, isoTime } from '../../../core/index.js';
import type { ApiKeyRecord, ApiKeyScope } from '../../../store/store.js';
import { generateApiKey, getPrincipal } from '../auth.js';
import { routeGroup, type ApiContext } from '../context.js';
import { apiKeySchema, list, newApiKeySchema, object, slug, tenantSchema } from '../schemas.js';

const TAGS = ['tenants'];
const KEY_TAGS = ['api-keys'];

const nameField = { type: 'string', minLength: 1, maxLength: 200 };
const createKeyBody = object(
  {
    name: { ...nameField, description: 'A label to recognise the key by' },
    scopes: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: {
        type: 'string',
        enum: ['admin', 'invoke', 'operator'],
        'x-error': "must be 'admin', 'invoke' or 'operator'",
      },
      description:
        "`admin` manages the tenant's objects; `invoke` calls tools and connects over MCP; `operator` (granted only " +
        "by the operator) carries the admin token's powers over the host",
    },
  },
  ['name', 'scopes'],
);

/** The listing view of a key: never the hash (nor, of course, the key). */
function keyView(k: ApiKeyRecord): Record<string, unknown> {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    revoked_at: k.revoked_at,
  };
}

/** Tenants and their API keys (operator), plus a tenant admin's own keys under /v1/api-keys. */
export function registerTenantRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store, registry, clock } = ctx;
  const tenants = routeGroup(app, { scope: 'operator', tags: TAGS });
  const tenantKeys = routeGroup(app, { scope: 'operator', tags: KEY_TAGS });
  // A tenant admin manages its own tenant's keys without the operator token.
  const ownKeys = routeGroup(app, { scope: 'admin', tags: KEY_TAGS });

  const requireTenant = async (id: string): Promise<void> => {
    if (!(await store.getTenant(id))) throw createError('not_found', `Tenant '${id}' not found.`);
  };
  /** What a tenant holds beyond its empty default project (API keys do not count: they go with it). */
  const tenantContents = async (id: string): Promise<Record<string, number>> => {
    const [projects, connectors, scripts] = await Promise.all([
      store.listProjects(id),
      store.listConnectors({ tenantId: id }),
      store.listScripts(id),
    ]);
    return {
      projects: projects.filter((p) => p.id !== 'default').length,
      connectors: connectors.length,
      scripts: scripts.length,
    };
  };
  const createKey = async (
    tenantId: string,
    body: { name: string; scopes: ApiKeyScope[] },
    grantedByOperator: boolean,
  ): Promise<Record<string, unknown>> => {
    if (body.scopes.includes('operator') && !grantedByOperator) {
      throw createError(
        'forbidden',
        "Only the operator (admin token or an operator key) may grant the 'operator' scope.",
        {
          pointer: '/scopes',
        },
      );
    }
    const { record, key } = generateApiKey(tenantId, body.name, body.scopes, clock.now());
    await store.createApiKey(record);
    return {
      id: record.id,
      key,
      prefix: record.prefix,
      scopes: record.scopes,
      name: record.name,
      created_at: record.created_at,
    };
  };
  const revokeKey = async (tenantId: string, keyId: string): Promise<void> => {
    const keys = await store.listApiKeys(tenantId);
    const key = keys.find((k) => k.id === keyId);
    // Revoking twice is a no-op that still answers 204; an unknown id is 404.
    if (!key) throw createError('not_found', `API key '${keyId}' not found.`);
    if (key.revoked_at === null) await store.revokeApiKey(tenantId, keyId, isoTime(clock.now()));
    ctx.revoked({ tenantId, keyId });
  };

  tenants.post('/v1/tenants', {
    summary: 'Create a tenant (with its `default` project)',
    body: object({ id: slug('Tenant id'), name: { ...nameField, description: 'Display name (defaults to the id)' } }, [
      'id',
    ]),
    response: { 201: tenantSchema },
    handler: async (request, reply) => {
      const body = request.body as { id: string; name?: string };
      if (await store.getTenant(body.id))
        throw createError('conflict', `Tenant '${body.id}' already exists.`, { pointer: '/id' });
      const tenant = { id: body.id, name: body.name ?? body.id, created_at: isoTime(clock.now()) };
      await store.createTenant(tenant);
      try {
        await registry.ensureTenantDefaults(tenant.id);
      } catch (err) {
        // A tenant without its default project would break the contract; undo rather than half-create.
        await store.deleteTenant(tenant.id).catch(() => undefined);
        throw err;
      }
      return reply.status(201).send(tenant);
    },
  });

  tenants.get('/v1/tenants', {
    summary: 'List tenants',
    response: { 200: list('tenants', tenantSchema, 'All tenants') },
    handler: async () => ({ tenants: await store.listTenants() }),
  });

  tenants.get('/v1/tenants/:id', {
    summary: 'Get a tenant',
    response: { 200: tenantSchema },
    handler: async (request) => {
      const { id } = request.params as { id: string };
      const tenant = await store.getTenant(id);
      if (!tenant) throw createError('not_found', `Tenant '${id}' not found.`);
      return tenant;
    },
  });

  tenants.delete('/v1/tenants/:id', {
    summary: 'Delete a tenant with everything in it',
    description:
      'Deletes the tenant, its projects, connectors (their sources are stopped), versions, usage, health history, ' +
      'webhooks, scripts and API keys in one store transaction; open MCP sessions of the tenant are closed. A ' +
      'tenant that holds anything beyond its empty `default` project is deleted only with `?force=true` ' +
      '(otherwise 409 listing what it holds). The `default` tenant cannot be deleted.',
    querystring: object({
      force: { type: 'boolean', description: 'Delete the tenant even when it still holds projects or connectors' },
    }),
    act: async (request) => {
      const { id } = request.params as { id: string };
      const { force = false } = request.query as { force?: boolean };
      if (id === 'default') throw createError('conflict', "The 'default' tenant cannot be deleted.");
      await requireTenant(id);
      if (!force) {
        const held = await tenantContents(id);
        if (Object.values(held).some((n) => n > 0)) {
          const what = Object.entries(held)
            .filter(([, n]) => n > 0)
            .map(([kind, n]) => `${n} ${kind}`)
            .join(', ');
          throw createError(
            'conflict',
            `Tenant '${id}' still holds ${what}; repeat with ?force=true to delete it with everything in it.`,
            { ...held },
          );
        }
      }
      if (!(await registry.deleteTenant(id))) throw createError('not_found', `Tenant '${id}' not found.`);
      ctx.revoked({ tenantId: id });
    },
  });

  tenantKeys.post('/v1/tenants/:id/api-keys', {
    summary: 'Create an API key for a tenant (the key is shown once)',
    body: createKeyBody,
    response: { 201: newApiKeySchema },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      await requireTenant(id);
      return reply.status(201).send(await createKey(id, request.body as { name: string; scopes: ApiKeyScope[] }, true));
    },
  });

  tenantKeys.get('/v1/tenants/:id/api-keys', {
    summary: "List a tenant's API keys",
    response: { 200: list('api_keys', apiKeySchema, 'Keys, revoked ones included') },
    handler: async (request) => {
      const { id } = request.params as { id: string };
      await requireTenant(id);
      return { api_keys: (await store.listApiKeys(id)).map(keyView) };
    },
  });

  tenantKeys.delete('/v1/tenants/:id/api-keys/:key_id', {
    summary: 'Revoke an API key',
    act: async (request) => {
      const { id, key_id } = request.params as { id: string; key_id: string };
      await requireTenant(id);
      await revokeKey(id, key_id);
    },
  });

  ownKeys.get('/v1/api-keys', {
    summary: "List the caller's tenant's API keys",
    response: { 200: list('api_keys', apiKeySchema, 'Keys, revoked ones included') },
    handler: async (request) => ({ api_keys: (await store.listApiKeys(getPrincipal(request).tenantId)).map(keyView) }),
  });

  ownKeys.post('/v1/api-keys', {
    summary: "Create an API key in the caller's tenant (shown once)",
    body: createKeyBody,
    response: { 201: newApiKeySchema },
    handler: async (request, reply) => {
      const body = request.body as { name: string; scopes: ApiKeyScope[] };
      const principal = getPrincipal(request);
      return reply.status(201).send(await createKey(principal.tenantId, body, principal.isOperator));
    },
  });

  ownKeys.delete('/v1/api-keys/:key_id', {
    summary: "Revoke an API key of the caller's tenant",
    act: async (request) => {
      await revokeKey(getPrincipal(request).tenantId, (request.params as { key_id: string }).key_id);
    },
  });
}
