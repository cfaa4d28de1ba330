/** Mapping rules on small documents written for the rule they pin (the real-document tests are fixtures.test.ts). */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import {
  buildManifest,
  createOperationFilter,
  loadOpenApiDocument,
  type ImportOptions,
} from '../../src/openapi/index.js';

type Doc = Record<string, unknown>;

function oas30(paths: Doc, extra: Doc = {}): Doc {
  return {
    openapi: '3.0.3',
    info: { title: 'Test API', version: '2.1' },
    servers: [{ url: 'https://api.test/v1' }],
    paths,
    ...extra,
  };
}

async function build(doc: Doc, options: ImportOptions = {}) {
  const { doc: bundled } = await loadOpenApiDocument({ kind: 'object', value: doc }, { externalRefs: false });
  return buildManifest(bundled, options);
}

function tool(result: Awaited<ReturnType<typeof build>>, name: string): Record<string, any> {
  const found = (result.manifest.tools as Record<string, any>[]).find((t) => t.name === name);
  if (!found)
    throw new Error(`no tool ${name}: ${(result.manifest.tools as { name: string }[]).map((t) => t.name).join(', ')}`);
  return found;
}

const ajv = new Ajv2020({ strict: false });

describe('schemas', () => {
  test('a circular $ref becomes a bounded recursive $defs entry that compiles and validates deep data', async () => {
    const result = await build(
      oas30(
        {
          '/nodes': {
            post: {
              operationId: 'createNode',
              requestBody: {
                required: true,
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } },
              },
              responses: {
                '201': {
                  description: 'ok',
                  content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } },
                },
              },
            },
          },
        },
        {
          components: {
            schemas: {
              Node: {
                type: 'object',
                required: ['name'],
                properties: {
                  name: { type: 'string' },
                  children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
                },
              },
            },
          },
        },
      ),
    );
    const input = tool(result, 'createNode').input_schema;
    expect(input.$defs.Node.properties.children.items).toEqual({ $ref: '#/$defs/Node' });
    expect(JSON.stringify(input).length).toBeLessThan(2000);
    const validate = ajv.compile(input);
    expect(validate({ name: 'a', children: [{ name: 'b', children: [{ name: 'c' }] }] })).toBe(true);
    expect(validate({ name: 'a', children: [{ children: [] }] })).toBe(false);
    expect(ajv.compile(tool(result, 'createNode').output_schema)({ name: 'x', children: [] })).toBe(true);
  });

  test('nullable, boolean exclusiveMinimum and patterns the gateway cannot run become valid 2020-12', async () => {
    const result = await build(
      oas30({
        '/things': {
          get: {
            operationId: 'listThings',
            parameters: [
              { name: 'owner', in: 'query', schema: { type: 'string', nullable: true } },
              { name: 'color', in: 'query', schema: { type: 'string', enum: ['red', 'blue'], nullable: true } },
              { name: 'min', in: 'query', schema: { type: 'number', minimum: 0, exclusiveMinimum: true } },
              { name: 'code', in: 'query', schema: { type: 'string', pattern: '^\\p{Foo}$' } },
              // Lookahead (as in many AWS documents): the gateway's linear-time engine cannot run it.
              { name: 'arn', in: 'query', schema: { type: 'string', pattern: '^(?=arn:).{4,}$' } },
              { name: 'id', in: 'query', schema: { type: 'string', pattern: '^[a-z]+-\\d+$' } },
            ],
            responses: { '200': { description: 'ok' } },
          },
        },
      }),
    );
    const props = tool(result, 'listThings').input_schema.properties;
    expect(props.owner.type).toEqual(['string', 'null']);
    expect(props.color.enum).toEqual(['red', 'blue', null]);
    expect(props.min).toMatchObject({ exclusiveMinimum: 0 });
    expect(props.min.minimum).toBeUndefined();
    expect(props.code.pattern).toBeUndefined();
    expect(props.arn.pattern).toBeUndefined();
    expect(props.id.pattern).toBe('^[a-z]+-\\d+$');
    const validate = ajv.compile(tool(result, 'listThings').input_schema);
    expect(validate({ owner: null, color: null, min: 1 })).toBe(true);
    expect(validate({ min: 0 })).toBe(false);
  });

  test('oneOf with a discriminator and allOf inheritance keeps both alternatives', async () => {
    const result = await build(
      oas30(
        {
          '/pets': {
            post: {
              operationId: 'addPet',
              requestBody: {
                required: true,
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } },
              },
              responses: { '204': { description: 'ok' } },
            },
          },
        },
        {
          components: {
            schemas: {
              Pet: {
                oneOf: [{ $ref: '#/components/schemas/Cat' }, { $ref: '#/components/schemas/Dog' }],
                discriminator: { propertyName: 'kind', mapping: { cat: '#/components/schemas/Cat' } },
              },
              Base: { type: 'object', required: ['kind'], properties: { kind: { type: 'string' } } },
              Cat: {
                allOf: [
                  { $ref: '#/components/schemas/Base' },
                  {
                    type: 'object',
                    required: ['lives'],
                    properties: { kind: { enum: ['cat'] }, lives: { type: 'integer' } },
                  },
                ],
              },
              Dog: {
                allOf: [
                  { $ref: '#/components/schemas/Base' },
                  {
                    type: 'object',
                    required: ['bark'],
                    properties: { kind: { enum: ['dog'] }, bark: { type: 'boolean' } },
                  },
                ],
              },
            },
          },
        },
      ),
    );
    const addPet = tool(result, 'addPet');
    expect(addPet.http.body_arg).toBe('body');
    expect(addPet.input_schema.properties.body.oneOf).toHaveLength(2);
    expect(JSON.stringify(addPet.input_schema)).not.toContain('discriminator');
    const validate = ajv.compile(addPet.input_schema);
    expect(validate({ body: { kind: 'cat', lives: 9 } })).toBe(true);
    expect(validate({ body: { kind: 'dog', bark: true } })).toBe(true);
    expect(validate({ body: { kind: 'cat' } })).toBe(false);
  });

  test('a non-object 2xx response is described as {result} like the runtime wraps it', async () => {
    const result = await build(
      oas30({
        '/tags': {
          get: {
            operationId: 'listTags',
            responses: {
              '200': {
                description: 'ok',
                content: { 'application/json': { schema: { type: 'array', items: { type: 'string' } } } },
              },
            },
          },
        },
      }),
    );
    expect(tool(result, 'listTags').output_schema).toEqual({
      type: 'object',
      properties: { result: { type: 'array', items: { type: 'string' } } },
      required: ['result'],
    });
  });
});

test('an output schema too large to be worth compiling on every install is left out with a warning', async () => {
  const properties = Object.fromEntries(
    Array.from({ length: 1500 }, (_, i) => [`field_${i}`, { type: 'string', description: 'x'.repeat(20) }]),
  );
  const big = { type: 'object', properties };
  const result = await build(
    oas30({
      '/big': {
        get: {
          operationId: 'big',
          responses: { '200': { description: 'ok', content: { 'application/json': { schema: big } } } },
        },
      },
      '/small': {
        get: {
          operationId: 'small',
          responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    }),
  );
  expect(tool(result, 'big').output_schema).toBeUndefined();
  expect(tool(result, 'small').output_schema).toEqual({ type: 'object' });
  expect(result.warnings.join('\n')).toMatch(/output schemas larger than/);
});

describe('names and arguments', () => {
  const long = 'a'.repeat(70);
  test('names come from operationId or method+path, fit 64 characters and never collide', async () => {
    const result = await build(
      oas30({
        '/users/{user-id}/posts': { get: { responses: { '200': { description: 'ok' } } } },
        '/users': {
          get: { operationId: 'list users!', responses: {} },
          post: { operationId: 'list_users', responses: {} },
        },
        '/a': { get: { operationId: `${long}X`, responses: {} } },
        '/b': { get: { operationId: `${long}Y`, responses: {} } },
      }),
    );
    const names = result.tools.map((t) => t.name);
    expect(names).toContain('get_users_by_user-id_posts');
    expect(names).toContain('list_users');
    expect(names).toContain('list_users_2');
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  test('parameter names are made safe with the wire name kept; clashes across locations are told apart', async () => {
    const result = await build(
      oas30({
        '/items/{id}': {
          post: {
            operationId: 'touch',
            parameters: [
              { name: 'id', in: 'path', required: true, schema: { type: 'integer' } },
              { name: 'id', in: 'query', schema: { type: 'string' } },
              { name: 'page[size]', in: 'query', schema: { type: 'integer' } },
              { name: 'X-Request-Id', in: 'header', schema: { type: 'string' } },
              { name: 'session', in: 'cookie', schema: { type: 'string' } },
              { name: 'Accept', in: 'header', schema: { type: 'string' } },
            ],
            requestBody: {
              content: { 'application/json': { schema: { type: 'object', properties: { note: { type: 'string' } } } } },
            },
            responses: {},
          },
        },
      }),
    );
    const touch = tool(result, 'touch');
    expect(Object.keys(touch.input_schema.properties).sort()).toEqual(
      ['X-Request-Id', 'id', 'id_query', 'note', 'page_size_', 'session'].sort(),
    );
    expect(touch.http).toMatchObject({
      path: '/items/{id}',
      args: { id_query: 'query', page_size_: 'query', 'X-Request-Id': 'header', session: 'cookie' },
      rename: { id_query: 'id', page_size_: 'page[size]' },
    });
    expect(touch.input_schema.required).toEqual(['id']);
  });
});

describe('operations that cannot be mapped are listed with the reason', () => {
  test('XML-only and multipart bodies, OPTIONS, and 3.1 webhooks', async () => {
    const result = await build({
      openapi: '3.1.0',
      info: { title: 'T', version: '1' },
      servers: [{ url: 'https://t.test' }],
      paths: {
        '/xml': {
          post: {
            operationId: 'postXml',
            requestBody: { required: true, content: { 'application/xml': { schema: { type: 'object' } } } },
            responses: {},
          },
        },
        '/upload': {
          post: {
            operationId: 'upload',
            requestBody: { content: { 'multipart/form-data': { schema: { type: 'object' } } } },
            responses: {},
          },
        },
        '/ok': { options: { operationId: 'probe', responses: {} }, get: { operationId: 'ok', responses: {} } },
      },
      webhooks: { newPet: { post: { operationId: 'newPetHook', responses: {} } } },
    });
    expect(result.tools.map((t) => t.name)).toEqual(['ok']);
    const reasons = Object.fromEntries(result.skipped.map((s) => [s.operation_id, s.reason]));
    expect(reasons.postXml).toMatch(/XML-only/);
    expect(reasons.upload).toMatch(/multipart/);
    expect(reasons.probe).toMatch(/OPTIONS/);
    expect(reasons.newPetHook).toMatch(/webhook/);
    expect(result.stats).toMatchObject({ operations: 4, tools: 1 });
  });
});

describe('filters', () => {
  const op = (method: string, path: string, operationId: string, tags: string[]) => ({
    method,
    path,
    operationId,
    tags,
  });
  test('tag, operationId and path globs; exclude wins', () => {
    const keep = createOperationFilter(['tag:pets', 'id:get*', '/store/**'], ['DELETE /store/*', 'getSecret']);
    expect(keep(op('GET', '/pets', 'listPets', ['pets']))).toBe(true);
    expect(keep(op('GET', '/users/1', 'getUser', ['users']))).toBe(true);
    expect(keep(op('POST', '/users', 'createUser', ['users']))).toBe(false);
    expect(keep(op('GET', '/store/orders/1', 'order', []))).toBe(true);
    expect(keep(op('DELETE', '/store/orders', 'deleteOrders', []))).toBe(false);
    expect(keep(op('GET', '/secret', 'getSecret', []))).toBe(false);
    expect(createOperationFilter([], ['path:/admin/*'])(op('GET', '/admin/x', 'x', []))).toBe(false);
  });
});

describe('servers and security', () => {
  test('server variables take their defaults; oauth2 client credentials become the auth with secrets as required config', async () => {
    const result = await build(
      oas30(
        { '/me': { get: { operationId: 'me', responses: {} } } },
        {
          servers: [
            {
              url: 'https://{region}.api.test/{v}',
              variables: { region: { default: 'eu', enum: ['eu', 'us'] }, v: { default: 'v2' } },
            },
          ],
          components: {
            securitySchemes: {
              oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://id.test/.well-known' },
              cc: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: { read: 'r' } } } },
            },
          },
          security: [{ oidc: [] }, { cc: ['read'] }],
        },
      ),
    );
    expect(result.manifest.config).toMatchObject({
      base_url: { default: 'https://eu.api.test/v2' },
      token_url: { default: 'https://eu.api.test/oauth/token' },
      client_id: { secret: true, required: true },
      client_secret: { secret: true, required: true },
    });
    expect((result.manifest.config as Doc).base_url).toMatchObject({ description: expect.stringContaining('eu | us') });
    expect((result.manifest.http as Doc).auth).toEqual({
      type: 'oauth2_client_credentials',
      token_url: '${config.token_url}',
      client_id: '${config.client_id}',
      client_secret: '${config.client_secret}',
      scopes: ['read'],
    });
    expect(result.warnings.join('\n')).toMatch(/oidc/);
  });

  test('apiKey in query or cookie, and http basic; the key parameter itself is not asked for again', async () => {
    const paths = {
      '/x': {
        get: {
          operationId: 'x',
          parameters: [{ name: 'key', in: 'query', schema: { type: 'string' } }],
          responses: {},
        },
      },
    };
    const query = await build(
      oas30(paths, { components: { securitySchemes: { k: { type: 'apiKey', in: 'query', name: 'key' } } } }),
    );
    expect((query.manifest.http as Doc).auth).toEqual({
      type: 'api_key',
      in: 'query',
      name: 'key',
      value: '${config.api_key}',
    });
    expect(tool(query, 'x').input_schema.properties).toEqual({});
    const cookie = await build(
      oas30(paths, { components: { securitySchemes: { k: { type: 'apiKey', in: 'cookie', name: 'sid' } } } }),
    );
    expect((cookie.manifest.http as Doc).auth).toMatchObject({ in: 'cookie', name: 'sid' });
    // A label instead of a header name (as in RapidAPI's dynamicdocs document): not used, said in a warning.
    const label = await build(
      oas30(paths, {
        components: { securitySchemes: { k: { type: 'apiKey', in: 'header', name: 'RapidAPI.com API Key' } } },
        security: [{ k: [] }],
      }),
    );
    expect((label.manifest.http as Doc).auth).toEqual({ type: 'none' });
    expect(label.warnings.join('\n')).toMatch(/'RapidAPI.com API Key' is not a valid HTTP header name/);
    const basic = await build(
      oas30(paths, { components: { securitySchemes: { b: { type: 'http', scheme: 'basic' } } } }),
    );
    expect((basic.manifest.http as Doc).auth).toEqual({
      type: 'basic',
      username: '${config.username}',
      password: '${config.password}',
    });
    expect(basic.manifest.config).toMatchObject({ password: { secret: true, required: true } });
  });

  test('Swagger 2.0: host, basePath and schemes; the application flow is client credentials', async () => {
    const result = await build({
      swagger: '2.0',
      info: { title: 'Old API', version: 'v3' },
      host: 'old.test',
      basePath: '/api',
      schemes: ['http', 'https'],
      securityDefinitions: {
        app: { type: 'oauth2', flow: 'application', tokenUrl: 'https://old.test/token', scopes: {} },
      },
      paths: { '/ping': { get: { operationId: 'ping', responses: { '200': { description: 'ok' } } } } },
    });
    expect(result.manifest).toMatchObject({ name: 'old-api', version: '3.0.0' });
    expect(result.manifest.config).toMatchObject({
      base_url: { default: 'https://old.test/api' },
      token_url: { default: 'https://old.test/token' },
    });
    expect((result.manifest.http as Doc).auth).toMatchObject({
      type: 'oauth2_client_credentials',
      token_url: '${config.token_url}',
    });
  });
});
