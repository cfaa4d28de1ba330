import { SLUG_PATTERN, type JsonSchema } from '../../core/index.js';

/*
 * The JSON Schema (draft-07, the draft editors support best) of the current manifest format.
 * It checks structure: types, required fields, enums, patterns, unknown keys, the auth union and
 * the kind-specific sections. Cross-field rules (path parameters, config references, duplicate
 * names, embedded JSON Schemas) live in semantic-checks.ts because a schema cannot express them.
 * `errorMessage` is a non-standard keyword editors show instead of the generic pattern message;
 * the parser reads it too. schemas/manifest.schema.json is this object, written by a test.
 */

/** Semantic version 2.0.0, e.g. `1.2.0` or `2.0.0-beta.1`. */
export const SEMVER_PATTERN =
  '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$';
/** Tool names as MCP clients accept them. */
/** A connector name: the schema both descriptor formats use. */
export const connectorNameSchema: JsonSchema = {
  type: 'string',
  pattern: SLUG_PATTERN.source,
  errorMessage: 'must be a slug: lower-case letters, digits, "-" and "_", 1-64 chars, starting and ending alphanumeric',
};
/** A connector version: the schema both descriptor formats use. */
export const versionSchema: JsonSchema = {
  type: 'string',
  pattern: SEMVER_PATTERN,
  errorMessage: 'must be a semantic version such as "1.0.0"',
};
export const TOOL_NAME_PATTERN = '^[a-zA-Z0-9_-]{1,64}$';
/** `METHOD /path` of the endpoint shorthand. */
export const ENDPOINT_PATTERN = '^(GET|POST|PUT|PATCH|DELETE|HEAD)\\s+/\\S*$';
/** Config keys are identifiers so `${config.KEY}` stays unambiguous. */
export const CONFIG_KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const positiveMs = (max: number, description: string) => ({ type: 'integer', minimum: 1, maximum: max, description });

const authSchema = {
  description: 'How requests authenticate. Credentials should reference secret config keys as `${config.KEY}`.',
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    { type: 'object', additionalProperties: false, properties: { type: { const: 'none' } }, required: ['type'] },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'name', 'value'],
      properties: {
        type: { const: 'api_key' },
        in: { enum: ['header', 'query', 'cookie'], default: 'header', description: 'Where the key is sent.' },
        name: { type: 'string', minLength: 1, description: 'Header, query parameter or cookie name.' },
        value: { type: 'string', minLength: 1, description: 'The key, e.g. `${config.api_key}`.' },
        scheme: { type: 'string', description: 'Prefix for header keys, e.g. `Bearer`.' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'token'],
      properties: { type: { const: 'bearer' }, token: { type: 'string', minLength: 1 } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'username', 'password'],
      properties: {
        type: { const: 'basic' },
        username: { type: 'string', minLength: 1 },
        password: { type: 'string', minLength: 1 },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'token_url', 'client_id', 'client_secret'],
      properties: {
        type: { const: 'oauth2_client_credentials' },
        token_url: { type: 'string', minLength: 1 },
        client_id: { type: 'string', minLength: 1 },
        client_secret: { type: 'string', minLength: 1 },
        scopes: { type: 'array', items: { type: 'string' }, default: [] },
        audience: { type: 'string' },
      },
    },
  ],
};

const toolHttpSchema = {
  description: 'How the tool maps onto one HTTP call.',
  type: 'object',
  additionalProperties: false,
  required: ['method', 'path'],
  properties: {
    method: { enum: HTTP_METHODS },
    path: {
      type: 'string',
      pattern: '^/',
      errorMessage: 'must start with "/"',
      description: 'Appended to base_url; `{param}` placeholders name input arguments.',
    },
    args: {
      type: 'object',
      description: 'Where each argument goes; unlisted: path placeholders → path, GET/DELETE/HEAD → query, else body.',
      additionalProperties: { enum: ['path', 'query', 'header', 'cookie', 'body'] },
    },
    rename: { ...stringMap, description: 'Wire name per argument when it differs.' },
    body_format: { enum: ['json', 'form'], default: 'json' },
    body_arg: { type: 'string', description: 'Send this argument as the whole request body.' },
    headers: stringMap,
    timeout_ms: positiveMs(600_000, 'Overrides the connector timeout.'),
    retries: { type: 'integer', minimum: 0, maximum: 10 },
  },
};

const toolSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: TOOL_NAME_PATTERN, errorMessage: 'must match ^[a-zA-Z0-9_-]{1,64}$' },
    title: { type: 'string' },
    description: { type: 'string' },
    input_schema: { type: 'object', description: 'JSON Schema (2020-12) of the arguments; type object.' },
    output_schema: { type: 'object', description: 'JSON Schema of structuredContent.' },
    annotations: {
      type: 'object',
      additionalProperties: false,
      properties: {
        title: { type: 'string' },
        readOnlyHint: { type: 'boolean' },
        destructiveHint: { type: 'boolean' },
        idempotentHint: { type: 'boolean' },
        openWorldHint: { type: 'boolean' },
      },
    },
    http: toolHttpSchema,
    endpoint: {
      type: 'string',
      pattern: ENDPOINT_PATTERN,
      errorMessage: 'must be "METHOD /path", e.g. "GET /items/{id}"',
      description: 'Shorthand for http: {method, path}.',
    },
  },
};

const probeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tool'],
  properties: {
    tool: { type: 'string', description: 'A tool of this connector, called as the probe.' },
    arguments: { type: 'object', default: {} },
    expect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        no_error: { type: 'boolean', default: true },
        equals: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['pointer', 'value'],
            properties: { pointer: { type: 'string' }, value: {} },
          },
        },
        matches: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['pointer', 'pattern'],
            properties: { pointer: { type: 'string' }, pattern: { type: 'string' } },
          },
        },
        within_ms: positiveMs(600_000, 'The probe call must finish within this time.'),
      },
    },
  },
};

/** The published JSON Schema of the current manifest format. */
export const manifestJsonSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://toolport.dev/schemas/manifest.schema.json',
  title: 'Toolport connector manifest',
  description: 'Describes one connector: an HTTP API, a Python script or an upstream MCP server, and its tools.',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version'],
  // `x-` keys are ignored: a place for YAML anchors and tooling notes.
  patternProperties: { '^x-': {} },
  properties: {
    name: connectorNameSchema,
    version: versionSchema,
    description: { type: 'string' },
    kind: { enum: ['http', 'python', 'mcp'], default: 'http' },
    config: {
      type: 'object',
      description: 'Config keys the connector needs; values are given at install time.',
      propertyNames: {
        pattern: CONFIG_KEY_PATTERN,
        errorMessage: 'config keys must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$',
      },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          description: { type: 'string' },
          secret: { type: 'boolean', default: false },
          required: { type: 'boolean', default: false },
          default: { type: ['string', 'number', 'boolean'] },
          env: { type: 'string', pattern: ENV_NAME_PATTERN, errorMessage: 'must be an environment variable name' },
        },
      },
    },
    http: {
      type: 'object',
      additionalProperties: false,
      required: ['base_url'],
      properties: {
        base_url: { type: 'string', minLength: 1, description: 'http(s) URL; may be `${config.base_url}`.' },
        timeout_ms: { ...positiveMs(600_000, 'Per-call timeout.'), default: 10_000 },
        retries: { type: 'integer', minimum: 0, maximum: 10, default: 2 },
        headers: stringMap,
        auth: authSchema,
        max_response_bytes: { type: 'integer', minimum: 1, default: 5_242_880 },
        allow_private_networks: {
          type: 'boolean',
          default: false,
          description: 'Operator manifests only: reach loopback/private addresses (refused for tenant keys).',
        },
      },
    },
    python: {
      type: 'object',
      additionalProperties: false,
      properties: {
        script: { type: 'string', minLength: 1, description: 'Path, absolute or relative to the manifest file.' },
        script_id: { type: 'string', minLength: 1, description: 'A script uploaded through the API.' },
        mode: { enum: ['functions', 'script'], default: 'functions' },
        functions: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
        parameters: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'type'],
            properties: {
              name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]*$' },
              type: { enum: ['string', 'integer', 'number', 'boolean', 'array'] },
              description: { type: 'string' },
              required: { type: 'boolean', default: false },
              default: {},
              flag: {
                type: 'string',
                pattern: '^--?[A-Za-z0-9][A-Za-z0-9_-]*$',
                errorMessage: 'must look like --name or -n',
              },
              enum: {
                type: 'array',
                minItems: 1,
                items: { type: ['string', 'number'] },
                description: 'The allowed values (argparse choices).',
              },
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['type'],
                properties: {
                  type: { enum: ['string', 'integer', 'number', 'boolean'] },
                  enum: { type: 'array', minItems: 1, items: { type: ['string', 'number'] } },
                },
                description: 'Arrays: the type of each item.',
              },
              count: { type: 'integer', minimum: 1, description: 'Arrays: the exact number of items (nargs=N).' },
              repeat: {
                type: 'boolean',
                description: "Arrays: one flag per value, `--tag a --tag b` (action='append').",
              },
            },
          },
        },
        tool_name: { type: 'string', pattern: TOOL_NAME_PATTERN },
        allow_network: { type: 'boolean', default: false },
        timeout_ms: { ...positiveMs(3_600_000, 'Per-call timeout.'), default: 30_000 },
        memory_mb: { type: 'integer', minimum: 16, maximum: 65_536, default: 256 },
        max_workers: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
        max_processes: {
          type: 'integer',
          minimum: 4,
          maximum: 4096,
          description: "Processes of one worker's tree; can only lower the server's limit.",
        },
        max_memory_mb: {
          type: 'integer',
          minimum: 32,
          maximum: 65_536,
          description: "Memory of one worker's whole process tree; can only lower the server's limit.",
        },
        scratch_mb: {
          type: 'integer',
          minimum: 1,
          maximum: 65_536,
          description: "Size of one worker's scratch directory; can only lower the server's limit.",
        },
      },
    },
    mcp: {
      type: 'object',
      additionalProperties: false,
      properties: {
        command: { type: 'string', minLength: 1, description: 'Executable of a stdio server.' },
        args: { type: 'array', items: { type: 'string' } },
        env: stringMap,
        cwd: { type: 'string' },
        url: { type: 'string', minLength: 1, description: 'Streamable HTTP (or SSE) endpoint of a remote server.' },
        headers: stringMap,
      },
    },
    health: {
      type: 'object',
      additionalProperties: false,
      properties: { interval_ms: { type: 'integer', minimum: 1000 }, probe: probeSchema },
    },
    tools: { type: 'array', items: toolSchema },
    metadata: { type: 'object' },
  },
  allOf: [
    {
      if: { required: ['kind'], properties: { kind: { const: 'http' } } },
      then: { required: ['http', 'tools'], properties: { tools: { minItems: 1 } } },
    },
    { if: { required: ['kind'], properties: { kind: { const: 'python' } } }, then: { required: ['python'] } },
    { if: { required: ['kind'], properties: { kind: { const: 'mcp' } } }, then: { required: ['mcp'] } },
  ],
};

/** Reusable pieces for the legacy schema, so both formats check shared fields alike. */
export const schemaParts = { authSchema, toolSchema, stringMap };
