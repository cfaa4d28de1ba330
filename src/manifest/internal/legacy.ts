import type { JsonSchema } from '../../core/index.js';
import { ENDPOINT_PATTERN, TOOL_NAME_PATTERN, connectorNameSchema, versionSchema } from './manifest-schema.js';
import { splitPointer, joinPointer } from './pointer.js';

/*
 * The legacy `connector:` format, accepted unchanged and mapped onto the current format before the
 * shared semantic checks run. Pointers found on the mapped data are translated back so issues name
 * the author's own lines.
 */

/** An object with the listed properties only. */
const closed = (required: string[], properties: Record<string, unknown>): Record<string, unknown> => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});

const legacyAuth = {
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    closed(['type'], { type: { const: 'none' } }),
    closed(['type', 'key_name'], {
      type: { const: 'api_key' },
      key_name: { type: 'string', minLength: 1 },
      location: { enum: ['header', 'query', 'cookie'] },
      scheme: { type: ['string', 'null'] },
    }),
    closed(['type', 'token_url'], {
      type: { const: 'oauth2_client_credentials' },
      token_url: { type: 'string', minLength: 1 },
      scopes: { type: ['array', 'null'], items: { type: 'string' } },
    }),
  ],
};

/** The legacy format's schema (internal: only the current format is published). */
export const legacyJsonSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  ...closed(['connector'], {
    connector: closed(['name', 'version', 'tools'], {
      name: connectorNameSchema,
      version: versionSchema,
      description: { type: 'string' },
      base_url: { type: 'string', minLength: 1 },
      auth: legacyAuth,
      tools: {
        type: 'array',
        minItems: 1,
        items: closed(['name', 'endpoint'], {
          name: { type: 'string', pattern: TOOL_NAME_PATTERN, errorMessage: 'must match ^[a-zA-Z0-9_-]{1,64}$' },
          description: { type: 'string' },
          input_schema: { type: 'object' },
          output_schema: { type: 'object' },
          endpoint: {
            type: 'string',
            pattern: ENDPOINT_PATTERN,
            errorMessage: 'must be "METHOD /path", e.g. "GET /items/{id}"',
          },
          auth: legacyAuth,
        }),
      },
    }),
  }),
};

/** True when the data looks like the legacy format (a top-level `connector:` key). */
export function isLegacy(data: unknown): boolean {
  return data !== null && typeof data === 'object' && !Array.isArray(data) && 'connector' in data;
}

type Rec = Record<string, unknown>;

/** The result of mapping: current-format data plus a pointer translator back to the legacy text. */
export interface LegacyMapping {
  data: Rec;
  toSource(pointer: string): string;
}

/** Maps structurally valid legacy data onto the current format. */
export function mapLegacy(legacy: Rec): LegacyMapping {
  const c = legacy.connector as Rec;
  const tools = (c.tools as Rec[]) ?? [];
  // Per-tool auth existed in the legacy model; one auth per connector is what runtimes support, so a
  // single shared per-tool auth is lifted (differing ones are reported by the caller via authSource).
  const toolAuthIndex = tools.findIndex((t) => t.auth !== undefined && (t.auth as Rec).type !== 'none');
  const connectorAuth = c.auth !== undefined && (c.auth as Rec).type !== 'none';
  const authSource = connectorAuth
    ? '/connector/auth'
    : toolAuthIndex >= 0
      ? `/connector/tools/${toolAuthIndex}/auth`
      : c.auth !== undefined
        ? '/connector/auth'
        : undefined;
  const legacyAuthValue = (connectorAuth ? c.auth : toolAuthIndex >= 0 ? tools[toolAuthIndex]!.auth : undefined) as
    Rec | undefined;
  const config: Rec = {};
  let auth: Rec = { type: 'none' };
  if (legacyAuthValue?.type === 'api_key') {
    config.api_key = { description: 'API key', secret: true, required: true };
    auth = {
      type: 'api_key',
      in: legacyAuthValue.location ?? 'header',
      name: legacyAuthValue.key_name,
      value: '${config.api_key}',
    };
    if (typeof legacyAuthValue.scheme === 'string' && legacyAuthValue.scheme !== '')
      auth.scheme = legacyAuthValue.scheme;
  } else if (legacyAuthValue?.type === 'oauth2_client_credentials') {
    config.client_id = { description: 'OAuth2 client id', secret: true, required: true };
    config.client_secret = { description: 'OAuth2 client secret', secret: true, required: true };
    auth = {
      type: 'oauth2_client_credentials',
      token_url: legacyAuthValue.token_url,
      client_id: '${config.client_id}',
      client_secret: '${config.client_secret}',
      scopes: legacyAuthValue.scopes ?? [],
    };
  }
  let baseUrl = c.base_url;
  if (baseUrl === undefined) {
    // Without a base_url the legacy format bound endpoints elsewhere; here it becomes install-time config.
    config.base_url = { description: 'Base URL of the API', secret: false, required: true };
    baseUrl = '${config.base_url}';
  }
  const data: Rec = {
    name: c.name,
    version: c.version,
    ...(c.description !== undefined ? { description: c.description } : {}),
    kind: 'http',
    config,
    http: { base_url: baseUrl, auth },
    tools: tools.map((t) => {
      const tool: Rec = { name: t.name, endpoint: t.endpoint };
      for (const key of ['description', 'input_schema', 'output_schema'] as const)
        if (t[key] !== undefined) tool[key] = t[key];
      return tool;
    }),
  };
  return { data, toSource: (pointer) => translate(pointer, authSource) };
}

const AUTH_KEYS: Record<string, string> = {
  name: 'key_name',
  in: 'location',
  scheme: 'scheme',
  token_url: 'token_url',
  scopes: 'scopes',
};

function translate(pointer: string, authSource: string | undefined): string {
  const [head, ...rest] = splitPointer(pointer);
  switch (head) {
    case undefined:
      return '';
    case 'tools':
      return joinPointer(['connector', 'tools', ...rest]);
    case 'name':
    case 'version':
    case 'description':
      return `/connector/${head}`;
    case 'http': {
      if (rest[0] === 'base_url') return '/connector/base_url';
      if (rest[0] === 'auth' && authSource) {
        const legacyKey = rest[1] !== undefined ? AUTH_KEYS[rest[1]] : undefined;
        return legacyKey ? `${authSource}/${legacyKey}` : authSource;
      }
      return '/connector';
    }
    default:
      return '/connector';
  }
}

/** Per-tool auth must agree with the connector's (or each other's): runtimes apply one auth per connector. */
export function legacyAuthIssues(legacy: Rec): { pointer: string; message: string }[] {
  const c = legacy.connector as Rec;
  const tools = (c.tools as Rec[]) ?? [];
  const issues: { pointer: string; message: string }[] = [];
  let reference = c.auth !== undefined && (c.auth as Rec).type !== 'none' ? JSON.stringify(c.auth) : undefined;
  tools.forEach((tool, i) => {
    if (tool.auth === undefined || (tool.auth as Rec).type === 'none') return;
    const text = JSON.stringify(tool.auth);
    reference ??= text;
    if (text !== reference) {
      issues.push({
        pointer: `/connector/tools/${i}/auth`,
        message: 'per-tool auth differs from the connector auth; Toolport applies one auth per connector',
      });
    }
  });
  return issues;
}
