import { readFile, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError, trustOf, validationError } from '../../../core/index.js';
import { isInsideRoot } from '../../../registry/index.js';
import type { InstallRequest } from '../../../registry/types.js';
import { getPrincipal } from '../auth.js';
import { addRoute, publicConnector, publicVersion, type ApiContext } from '../context.js';
import {
  connectorSchema,
  healthCheckSchema,
  installResultSchema,
  list,
  noContent,
  object,
  REUSE_SECRETS,
  versionSchema,
} from '../schemas.js';

const TAGS = ['connectors'];
const BASE = '/v1/projects/:project_id/connectors';

const configKey = {
  pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,127}$',
  'x-error': 'must be a config key: letters, digits, "_", "." or "-", starting with a letter or "_"',
};
const configMap = {
  type: 'object',
  propertyNames: configKey,
  additionalProperties: { type: 'string', maxLength: 65_536 },
  description: 'Config values (secrets included); stored encrypted and never returned',
};
/** The options both install routes take, as the body carries them. */
interface InstallBodyOptions {
  config?: Record<string, string>;
  enabled?: boolean;
  force?: boolean;
  reuse_secrets?: boolean;
}

/** The install request's options from a body (snake_case on the wire). */
function installOptionsOf(body: InstallBodyOptions): Omit<InstallRequest, 'tenantId' | 'projectId'> {
  return { config: body.config, enabled: body.enabled, force: body.force, reuseSecrets: body.reuse_secrets };
}

const installOptions = {
  config: configMap,
  enabled: { type: 'boolean', description: 'Serve the connector right away (default true)' },
  force: { type: 'boolean', description: 'Accept different content under the same version number' },
  reuse_secrets: REUSE_SECRETS,
};

interface Scoped {
  tenantId: string;
  projectId: string;
  name: string;
}

function scoped(request: FastifyRequest): Scoped {
  const p = request.params as { project_id: string; name?: string };
  return { tenantId: getPrincipal(request).tenantId, projectId: p.project_id, name: p.name ?? '' };
}

/** Connector lifecycle under a project: install, list, enable/disable, versions, rollback, config, health. */
export function registerConnectorRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { registry } = ctx;

  const install = async (
    request: FastifyRequest,
    input: Omit<InstallRequest, 'tenantId' | 'projectId'>,
  ): Promise<{ status: number; body: unknown }> => {
    const { tenantId, projectId } = scoped(request);
    const result = await registry.install({ tenantId, projectId, ...input, trust: trustOf(getPrincipal(request)) });
    const summary = await registry.getConnector(tenantId, projectId, result.connector.name);
    const current = summary.current_version === result.version.seq;
    return {
      status: result.created ? 201 : 200,
      body: {
        connector: publicConnector(summary),
        version: publicVersion(result.version, current, summary.tool_count),
        changed: result.changed,
        created: result.created,
      },
    };
  };

  addRoute(app, {
    method: 'GET',
    url: BASE,
    scope: 'read',
    tags: TAGS,
    summary: "List the project's connectors",
    response: { 200: list('connectors', connectorSchema, 'Connectors') },
    handler: async (request) => {
      const { tenantId, projectId } = scoped(request);
      return { connectors: (await registry.listConnectors(tenantId, projectId)).map(publicConnector) };
    },
  });

  addRoute(app, {
    method: 'POST',
    url: `${BASE}/install-from-file`,
    scope: 'admin',
    tags: TAGS,
    summary: 'Install or update a connector from a manifest file on the server',
    description:
      'The file is watched for hot reload. 201 when the connector is new, 200 when a version is added (or nothing changed). Tenant API keys may name only files under the configured file roots (403 otherwise).',
    body: object(
      {
        file_path: {
          type: 'string',
          minLength: 1,
          maxLength: 4096,
          description: 'Path of a manifest file readable by the server',
        },
        ...installOptions,
      },
      ['file_path'],
    ),
    response: { 200: installResultSchema, 201: installResultSchema },
    handler: async (request, reply) => {
      const body = request.body as InstallBodyOptions & { file_path: string };
      const fileIssue = (message: string): Error =>
        validationError(`file_path: ${message}`, [{ pointer: '/file_path', message: `field 'file_path' ${message}` }]);
      const real = await realpath(resolve(body.file_path)).catch(() => null);
      // Checked before existence, so a tenant key cannot even probe which files exist elsewhere.
      if (
        !getPrincipal(request).isOperator &&
        !ctx.fileRoots.some((root) => isInsideRoot(real ?? resolve(body.file_path), root))
      ) {
        throw createError(
          'forbidden',
          'A tenant API key may install only files under the configured file roots; use install-from-manifest.',
          { pointer: '/file_path' },
        );
      }
      const filePath = real;
      const info = filePath === null ? null : await stat(filePath).catch(() => null);
      if (!filePath || !info) throw fileIssue('names no file that exists on the server');
      if (!info.isFile()) throw fileIssue('is not a regular file');
      if (info.size > ctx.maxFileBytes) throw fileIssue(`names a file larger than ${ctx.maxFileBytes} bytes`);
      const text = await readFile(filePath, 'utf8').catch(() => {
        throw fileIssue('cannot be read by the server');
      });
      const out = await install(request, { manifest: text, filePath, ...installOptionsOf(body) });
      return reply.status(out.status).send(out.body);
    },
  });

  addRoute(app, {
    method: 'POST',
    url: `${BASE}/install-from-manifest`,
    scope: 'admin',
    tags: TAGS,
    summary: 'Install or update a connector from a manifest (object or YAML text)',
    description: '201 when the connector is new, 200 when a version is added (or nothing changed).',
    body: object(
      {
        manifest: {
          type: ['object', 'string'],
          minLength: 1,
          description: 'The descriptor as an object, or YAML text',
        },
        ...installOptions,
      },
      ['manifest'],
    ),
    response: { 200: installResultSchema, 201: installResultSchema },
    handler: async (request, reply) => {
      const body = request.body as InstallBodyOptions & { manifest: string | Record<string, unknown> };
      const out = await install(request, { manifest: body.manifest, ...installOptionsOf(body) });
      return reply.status(out.status).send(out.body);
    },
  });

  addRoute(app, {
    method: 'GET',
    url: `${BASE}/:name`,
    scope: 'read',
    tags: TAGS,
    summary: 'Get a connector',
    response: { 200: connectorSchema },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      return publicConnector(await registry.getConnector(tenantId, projectId, name));
    },
  });

  addRoute(app, {
    method: 'DELETE',
    url: `${BASE}/:name`,
    scope: 'admin',
    tags: TAGS,
    summary: 'Uninstall a connector with its versions and history',
    response: { 204: noContent },
    handler: async (request, reply) => {
      const { tenantId, projectId, name } = scoped(request);
      await registry.uninstall(tenantId, projectId, name);
      return reply.status(204).send();
    },
  });

  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    addRoute(app, {
      method: 'POST',
      url: `${BASE}/:name/${action}`,
      scope: 'admin',
      tags: TAGS,
      summary: `${enabled ? 'Enable' : 'Disable'} a connector`,
      response: { 200: connectorSchema },
      handler: async (request) => {
        const { tenantId, projectId, name } = scoped(request);
        return publicConnector(await registry.setEnabled(tenantId, projectId, name, enabled));
      },
    });
  }

  addRoute(app, {
    method: 'GET',
    url: `${BASE}/:name/versions`,
    scope: 'read',
    tags: TAGS,
    summary: "List a connector's versions with their tool diffs",
    response: { 200: list('versions', versionSchema, 'Versions, oldest first') },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      const versions = await registry.listVersions(tenantId, projectId, name);
      return { versions: versions.map((v) => publicVersion(v, v.current, v.tool_count)) };
    },
  });

  addRoute(app, {
    method: 'POST',
    url: `${BASE}/:name/rollback`,
    scope: 'admin',
    tags: TAGS,
    summary: 'Serve an earlier version again',
    body: object(
      {
        version: { type: 'integer', minimum: 1, description: 'Version sequence number (`seq`) to roll back to' },
        reuse_secrets: REUSE_SECRETS,
      },
      ['version'],
    ),
    response: { 200: connectorSchema },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      const body = request.body as { version: number; reuse_secrets?: boolean };
      return publicConnector(
        await registry.rollback(tenantId, projectId, name, body.version, {
          trust: trustOf(getPrincipal(request)),
          reuseSecrets: body.reuse_secrets === true,
        }),
      );
    },
  });

  addRoute(app, {
    method: 'PATCH',
    url: `${BASE}/:name/config`,
    scope: 'admin',
    tags: TAGS,
    summary: "Change a connector's config values",
    description: 'Values are merged with the current ones; `null` removes a key. Values are never returned.',
    body: object({ config: { ...configMap, additionalProperties: { type: ['string', 'null'], maxLength: 65_536 } } }, [
      'config',
    ]),
    response: { 200: connectorSchema },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      const { config } = request.body as { config: Record<string, string | null> };
      return publicConnector(await registry.updateConfig(tenantId, projectId, name, config));
    },
  });

  addRoute(app, {
    method: 'PUT',
    url: `${BASE}/:name/probe`,
    scope: 'admin',
    tags: TAGS,
    summary: "Set (or with null clear) a connector's functional health probe",
    description: 'Overrides the probe of the manifest: a real tool call with expectations on its result.',
    body: object(
      {
        probe: {
          type: ['object', 'null'],
          description:
            '`{tool, arguments?, expect?: {no_error?, equals?: [{pointer, value}], matches?: [{pointer, pattern}], within_ms?}}`, or null',
        },
      },
      ['probe'],
    ),
    response: { 200: connectorSchema },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      return publicConnector(
        await registry.setProbe(tenantId, projectId, name, (request.body as { probe: unknown }).probe),
      );
    },
  });

  addRoute(app, {
    method: 'GET',
    url: `${BASE}/:name/health`,
    scope: 'read',
    tags: TAGS,
    summary: 'Health check history, newest first',
    querystring: object({ limit: { type: 'integer', minimum: 1, maximum: 500, default: 20 } }),
    response: { 200: list('checks', healthCheckSchema, 'Health checks') },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      return {
        checks: await registry.healthHistory(tenantId, projectId, name, (request.query as { limit: number }).limit),
      };
    },
  });

  addRoute(app, {
    method: 'POST',
    url: `${BASE}/:name/health`,
    scope: 'admin',
    tags: TAGS,
    summary: 'Check health now (a real tool execution when a probe is configured)',
    response: { 200: healthCheckSchema },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      return registry.checkHealth(tenantId, projectId, name);
    },
  });
}
