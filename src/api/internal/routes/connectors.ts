import { readFile, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError, trustOf, validationError } from '../../../core/index.js';
import { isInsideRoot } from '../../../registry/index.js';
import type { InstallRequest } from '../../../registry/types.js';
import { getPrincipal } from '../auth.js';
import { routeGroup, publicConnector, publicVersion, type ApiContext } from '../context.js';
import {
  connectorSchema,
  healthCheckSchema,
  installResultSchema,
  list,
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

/** The body of an install route: where the manifest comes from (`field`, required), then the options. */
function installBody(field: string, schema: Record<string, unknown>): Record<string, unknown> {
  return object(
    {
      [field]: schema,
      config: configMap,
      enabled: { type: 'boolean', description: 'Serve the connector right away (default true)' },
      force: { type: 'boolean', description: 'Accept different content under the same version number' },
      reuse_secrets: REUSE_SECRETS,
    },
    [field],
  );
}

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
  const connectors = routeGroup(app, { tags: TAGS });

  /** Installs the manifest with the body's options (snake_case on the wire) and answers with the outcome. */
  const install = async (
    request: FastifyRequest,
    reply: FastifyReply,
    source: Pick<InstallRequest, 'manifest' | 'filePath'>,
  ): Promise<FastifyReply> => {
    const { tenantId, projectId } = scoped(request);
    const { config, enabled, force, reuse_secrets } = request.body as InstallBodyOptions;
    const result = await registry.install({
      tenantId,
      projectId,
      ...source,
      config,
      enabled,
      force,
      reuseSecrets: reuse_secrets,
      trust: trustOf(getPrincipal(request)),
    });
    const summary = await registry.getConnector(tenantId, projectId, result.connector.name);
    const current = summary.current_version === result.version.seq;
    return reply.status(result.created ? 201 : 200).send({
      connector: publicConnector(summary),
      version: publicVersion(result.version, current, summary.tool_count),
      changed: result.changed,
      created: result.created,
    });
  };
  const installed = { 200: installResultSchema, 201: installResultSchema };

  connectors.get(BASE, {
    summary: "List the project's connectors",
    response: { 200: list('connectors', connectorSchema, 'Connectors') },
    handler: async (request) => {
      const { tenantId, projectId } = scoped(request);
      return { connectors: (await registry.listConnectors(tenantId, projectId)).map(publicConnector) };
    },
  });

  connectors.post(`${BASE}/install-from-file`, {
    summary: 'Install or update a connector from a manifest file on the server',
    description:
      'The file is watched for hot reload. 201 when the connector is new, 200 when a version is added (or nothing changed). Tenant API keys may name only files under the configured file roots (403 otherwise).',
    body: installBody('file_path', {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      description: 'Path of a manifest file readable by the server',
    }),
    response: installed,
    handler: async (request, reply) => {
      const body = request.body as { file_path: string };
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
      return install(request, reply, { manifest: text, filePath });
    },
  });

  connectors.post(`${BASE}/install-from-manifest`, {
    summary: 'Install or update a connector from a manifest (object or YAML text)',
    description: '201 when the connector is new, 200 when a version is added (or nothing changed).',
    body: installBody('manifest', {
      type: ['object', 'string'],
      minLength: 1,
      description: 'The descriptor as an object, or YAML text',
    }),
    response: installed,
    handler: async (request, reply) => {
      const { manifest } = request.body as { manifest: string | Record<string, unknown> };
      return install(request, reply, { manifest });
    },
  });

  connectors.get(`${BASE}/:name`, {
    summary: 'Get a connector',
    response: { 200: connectorSchema },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      return publicConnector(await registry.getConnector(tenantId, projectId, name));
    },
  });

  connectors.delete(`${BASE}/:name`, {
    summary: 'Uninstall a connector with its versions and history',
    act: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      await registry.uninstall(tenantId, projectId, name);
    },
  });

  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    connectors.post(`${BASE}/:name/${action}`, {
      summary: `${enabled ? 'Enable' : 'Disable'} a connector`,
      response: { 200: connectorSchema },
      handler: async (request) => {
        const { tenantId, projectId, name } = scoped(request);
        return publicConnector(await registry.setEnabled(tenantId, projectId, name, enabled));
      },
    });
  }

  connectors.get(`${BASE}/:name/versions`, {
    summary: "List a connector's versions with their tool diffs",
    response: { 200: list('versions', versionSchema, 'Versions, newest first') },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      const versions = await registry.listVersions(tenantId, projectId, name);
      return { versions: versions.map((v) => publicVersion(v, v.current, v.tool_count)) };
    },
  });

  connectors.post(`${BASE}/:name/rollback`, {
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

  connectors.patch(`${BASE}/:name/config`, {
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

  connectors.put(`${BASE}/:name/probe`, {
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

  connectors.get(`${BASE}/:name/health`, {
    summary: 'Health check history, newest first',
    querystring: object({
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 20, description: 'How many of the newest checks' },
    }),
    response: { 200: list('checks', healthCheckSchema, 'Health checks') },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      return {
        checks: await registry.healthHistory(tenantId, projectId, name, (request.query as { limit: number }).limit),
      };
    },
  });

  connectors.post(`${BASE}/:name/health`, {
    summary: 'Check health now (a real tool execution when a probe is configured)',
    response: { 200: healthCheckSchema },
    handler: async (request) => {
      const { tenantId, projectId, name } = scoped(request);
      return registry.checkHealth(tenantId, projectId, name);
    },
  });
}
