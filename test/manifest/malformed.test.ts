import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/index.js';

/** One malformed manifest and the issue it must produce (among possibly others). */
interface Case {
  name: string;
  yaml: string;
  line: number;
  column: number;
  pointer: string;
  message: string;
}

// A valid manifest the cases below break one way each. Line numbers in the table count from 1.
const HEAD = 'name: demo\nversion: 1.0.0\nkind: http\nhttp:\n  base_url: https://api.example.com\n';
const TOOL = `tools:
  - name: get_item
    endpoint: GET /items/{id}
    input_schema:
      type: object
      required: [id]
      properties:
        id: { type: string }
`;

const cases: Case[] = [
  // YAML itself
  {
    name: 'unclosed flow sequence',
    yaml: 'name: demo\ntools: [\n  a, b\nversion: 1.0.0\n',
    line: 4,
    column: 1,
    pointer: '/tools/1',
    message: 'Flow sequence in block collection must be sufficiently indented and end with a ]',
  },
  {
    name: 'duplicate mapping key',
    yaml: 'name: demo\nname: other\nversion: 1.0.0\n',
    line: 2,
    column: 1,
    pointer: '/name',
    message: 'Map keys must be unique',
  },
  {
    name: 'unterminated quoted string',
    yaml: 'name: demo\nversion: "1.0.0\n',
    line: 3,
    column: 1,
    pointer: '/version',
    message: 'Missing closing "quote',
  },
  {
    name: 'two documents in one file',
    yaml: 'name: a\n---\nname: b\n',
    line: 2,
    column: 1,
    pointer: '/name',
    message: 'multiple documents',
  },
  {
    name: 'document is a list',
    yaml: '- name: demo\n',
    line: 1,
    column: 1,
    pointer: '',
    message: 'must be a mapping of fields, got a list',
  },
  { name: 'empty document', yaml: '# nothing\n', line: 1, column: 1, pointer: '', message: 'got an empty document' },
  // top level
  {
    name: 'misspelt top-level key',
    yaml: `${HEAD}${TOOL}descripton: x\n`,
    line: 14,
    column: 1,
    pointer: '/descripton',
    message: "unknown key 'descripton' (did you mean 'description'?)",
  },
  {
    name: 'missing name',
    yaml: `version: 1.0.0\nhttp:\n  base_url: https://a.example\n${TOOL}`,
    line: 1,
    column: 1,
    pointer: '/name',
    message: "missing required field 'name'",
  },
  {
    name: 'version read as a number',
    yaml: `name: demo\nversion: 1.0\nhttp:\n  base_url: https://a.example\n${TOOL}`,
    line: 2,
    column: 10,
    pointer: '/version',
    message: 'must be a string, got number (quote the value)',
  },
  {
    name: 'version not semver',
    yaml: `name: demo\nversion: "1.0"\nhttp:\n  base_url: https://a.example\n${TOOL}`,
    line: 2,
    column: 10,
    pointer: '/version',
    message: 'semantic version',
  },
  {
    name: 'connector name not a slug',
    yaml: `name: My Connector\nversion: 1.0.0\nhttp:\n  base_url: https://a.example\n${TOOL}`,
    line: 1,
    column: 7,
    pointer: '/name',
    message: 'must be a slug',
  },
  {
    name: 'unknown kind',
    yaml: `name: demo\nversion: 1.0.0\nkind: grpc\n${TOOL}`,
    line: 3,
    column: 7,
    pointer: '/kind',
    message: 'must be one of: http, python, mcp',
  },
  {
    name: 'http section missing for kind http',
    yaml: `name: demo\nversion: 1.0.0\nkind: http\n${TOOL}`,
    line: 1,
    column: 1,
    pointer: '/http',
    message: "missing required field 'http'",
  },
  {
    name: 'metadata not a mapping',
    yaml: `${HEAD}${TOOL}metadata: [a]\n`,
    line: 14,
    column: 11,
    pointer: '/metadata',
    message: 'must be a mapping (key: value), got a list',
  },
  // http section
  {
    name: 'base_url missing',
    yaml: `name: demo\nversion: 1.0.0\nhttp:\n  timeout_ms: 100\n${TOOL}`,
    line: 3,
    column: 1,
    pointer: '/http/base_url',
    message: "missing required field 'base_url'",
  },
  {
    name: 'base_url with ftp scheme',
    yaml: `name: demo\nversion: 1.0.0\nhttp:\n  base_url: ftp://files.example\n${TOOL}`,
    line: 4,
    column: 13,
    pointer: '/http/base_url',
    message: 'is not an absolute http(s) URL',
  },
  {
    name: 'base_url not a URL',
    yaml: `name: demo\nversion: 1.0.0\nhttp:\n  base_url: api.example.com/v1\n${TOOL}`,
    line: 4,
    column: 13,
    pointer: '/http/base_url',
    message: 'is not an absolute http(s) URL',
  },
  {
    name: 'timeout_ms as a string',
    yaml: `${HEAD}  timeout_ms: 10s\n${TOOL}`,
    line: 6,
    column: 15,
    pointer: '/http/timeout_ms',
    message: 'must be an integer, got string',
  },
  {
    name: 'retries out of range',
    yaml: `${HEAD}  retries: 99\n${TOOL}`,
    line: 6,
    column: 12,
    pointer: '/http/retries',
    message: 'must be <= 10',
  },
  {
    name: 'misspelt http key',
    yaml: `${HEAD}  timeout: 5\n${TOOL}`,
    line: 6,
    column: 3,
    pointer: '/http/timeout',
    message: "unknown key 'timeout' (did you mean 'timeout_ms'?)",
  },
  {
    name: 'invalid header name',
    yaml: `${HEAD}  headers:\n    X Bad: 1\n${TOOL}`,
    line: 7,
    column: 5,
    pointer: '/http/headers/X Bad',
    message: 'not a valid HTTP header name',
  },
  // auth
  {
    name: 'unknown auth type',
    yaml: `${HEAD}  auth: { type: digest }\n${TOOL}`,
    line: 6,
    column: 17,
    pointer: '/http/auth/type',
    message: 'must be one of: none, api_key, bearer, basic, oauth2_client_credentials',
  },
  {
    name: 'auth without type',
    yaml: `${HEAD}  auth: { name: X-Key }\n${TOOL}`,
    line: 6,
    column: 3,
    pointer: '/http/auth/type',
    message: "missing required field 'type'",
  },
  {
    name: 'api_key auth missing its name',
    yaml: `${HEAD}  auth:\n    type: api_key\n    value: \${config.key}\nconfig:\n  key: { secret: true }\n${TOOL}`,
    line: 6,
    column: 3,
    pointer: '/http/auth/name',
    message: "missing required field 'name'",
  },
  {
    name: 'api_key sent in the body',
    yaml: `${HEAD}  auth: { type: api_key, in: body, name: key, value: "\${config.key}" }\nconfig:\n  key: { secret: true }\n${TOOL}`,
    line: 6,
    column: 30,
    pointer: '/http/auth/in',
    message: 'must be one of: header, query, cookie',
  },
  {
    name: 'oauth2 token_url not a URL',
    yaml: `${HEAD}  auth:\n    type: oauth2_client_credentials\n    token_url: /token\n    client_id: \${config.id}\n    client_secret: \${config.secret}\nconfig:\n  id: {}\n  secret: { secret: true }\n${TOOL}`,
    line: 8,
    column: 16,
    pointer: '/http/auth/token_url',
    message: 'is not an absolute http(s) URL',
  },
  // config references
  {
    name: 'header references an undeclared config key',
    yaml: `${HEAD}  headers:\n    Authorization: Bearer \${config.token}\n${TOOL}`,
    line: 7,
    column: 20,
    pointer: '/http/headers/Authorization',
    message: "references undeclared config key 'token'",
  },
  {
    name: 'placeholder other than config',
    yaml: `${HEAD}  headers:\n    X-Home: \${env.HOME}\n${TOOL}`,
    line: 7,
    column: 13,
    pointer: '/http/headers/X-Home',
    message: "unsupported placeholder '${env.HOME}'",
  },
  {
    name: 'config key with a dash',
    yaml: `${HEAD}config:\n  api-key: { secret: true }\n${TOOL}`,
    line: 7,
    column: 3,
    pointer: '/config/api-key',
    message: "invalid key 'api-key'",
  },
  {
    name: 'config secret not a boolean',
    yaml: `${HEAD}config:\n  key: { secret: "yes" }\n${TOOL}`,
    line: 7,
    column: 18,
    pointer: '/config/key/secret',
    message: 'must be a boolean',
  },
  // tools
  {
    name: 'http connector without tools',
    yaml: `${HEAD}tools: []\n`,
    line: 6,
    column: 8,
    pointer: '/tools',
    message: 'must have at least 1 item',
  },
  {
    name: 'tool name with a space',
    yaml: `${HEAD}tools:\n  - name: get item\n    endpoint: GET /items\n`,
    line: 7,
    column: 11,
    pointer: '/tools/0/name',
    message: 'must match ^[a-zA-Z0-9_-]{1,64}$',
  },
  {
    name: 'duplicate tool names',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: GET /a\n  - name: a\n    endpoint: GET /b\n`,
    line: 9,
    column: 11,
    pointer: '/tools/1/name',
    message: "duplicate tool name 'a' (first defined at /tools/0)",
  },
  {
    name: 'tool without http or endpoint',
    yaml: `${HEAD}tools:\n  - name: a\n    description: does nothing\n`,
    line: 7,
    column: 5,
    pointer: '/tools/0/http',
    message: "missing required field 'http' (or the shorthand",
  },
  {
    name: 'tool with both endpoint and http',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: GET /a\n    http: { method: GET, path: /a }\n`,
    line: 8,
    column: 5,
    pointer: '/tools/0/endpoint',
    message: "use either 'endpoint' or 'http', not both",
  },
  {
    name: 'endpoint with an unknown method',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: FETCH /a\n`,
    line: 8,
    column: 15,
    pointer: '/tools/0/endpoint',
    message: 'must be "METHOD /path"',
  },
  {
    name: 'path parameter missing from input_schema',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: GET /items/{item_id}\n    input_schema: { type: object, properties: { id: { type: string } } }\n`,
    line: 8,
    column: 15,
    pointer: '/tools/0/endpoint',
    message: "path parameter '{item_id}' is not declared in input_schema.properties",
  },
  {
    name: 'lower-case method',
    yaml: `${HEAD}tools:\n  - name: a\n    http: { method: get, path: /a }\n`,
    line: 8,
    column: 21,
    pointer: '/tools/0/http/method',
    message: 'must be one of: GET, POST, PUT, PATCH, DELETE, HEAD',
  },
  {
    name: 'path without a leading slash',
    yaml: `${HEAD}tools:\n  - name: a\n    http:\n      method: GET\n      path: items\n`,
    line: 10,
    column: 13,
    pointer: '/tools/0/http/path',
    message: 'must start with "/"',
  },
  {
    name: 'unbalanced braces in path',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: GET /items/{id\n    input_schema: { type: object, properties: { id: { type: string } } }\n`,
    line: 8,
    column: 15,
    pointer: '/tools/0/endpoint',
    message: 'unbalanced { } in path',
  },
  {
    name: 'args names an undeclared argument',
    yaml: `${HEAD}tools:\n  - name: a\n    input_schema: { type: object, properties: { q: { type: string } } }\n    http:\n      method: GET\n      path: /search\n      args: { query: query }\n`,
    line: 12,
    column: 15,
    pointer: '/tools/0/http/args/query',
    message: "argument 'query' is not declared in input_schema.properties",
  },
  {
    name: 'args with an unknown location',
    yaml: `${HEAD}tools:\n  - name: a\n    input_schema: { type: object, properties: { q: { type: string } } }\n    http:\n      method: POST\n      path: /search\n      args: { q: form }\n`,
    line: 12,
    column: 18,
    pointer: '/tools/0/http/args/q',
    message: 'must be one of: path, query, header, cookie, body',
  },
  {
    name: 'args maps to path without placeholder',
    yaml: `${HEAD}tools:\n  - name: a\n    input_schema: { type: object, properties: { q: { type: string } } }\n    http:\n      method: GET\n      path: /search\n      args:\n        q: path\n`,
    line: 13,
    column: 12,
    pointer: '/tools/0/http/args/q',
    message: 'mapped to the path, but the path has no {q}',
  },
  {
    name: 'body_arg on a GET',
    yaml: `${HEAD}tools:\n  - name: a\n    input_schema: { type: object, properties: { doc: { type: object } } }\n    http:\n      method: GET\n      path: /docs\n      body_arg: doc\n`,
    line: 12,
    column: 17,
    pointer: '/tools/0/http/body_arg',
    message: 'GET requests have no body',
  },
  // embedded JSON Schemas
  {
    name: 'input_schema of type array',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: GET /a\n    input_schema:\n      type: array\n`,
    line: 10,
    column: 13,
    pointer: '/tools/0/input_schema/type',
    message: 'input_schema must have type "object"',
  },
  {
    name: 'input_schema with a misspelt type',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: GET /a\n    input_schema:\n      type: object\n      properties:\n        q: { type: strng }\n`,
    line: 12,
    column: 20,
    pointer: '/tools/0/input_schema/properties/q/type',
    message: 'invalid JSON Schema: must be one of: array, boolean, integer, null, number, object, string',
  },
  {
    name: '$ref that points nowhere',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: GET /a\n    input_schema:\n      type: object\n      properties:\n        q: { $ref: "#/$defs/Query" }\n`,
    line: 12,
    column: 20,
    pointer: '/tools/0/input_schema/properties/q/$ref',
    message: "$ref '#/$defs/Query' points nowhere",
  },
  {
    name: 'pattern that is not a regular expression',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: GET /a\n    input_schema:\n      type: object\n      properties:\n        q: { type: string, pattern: "([a-z" }\n`,
    line: 12,
    column: 37,
    pointer: '/tools/0/input_schema/properties/q/pattern',
    message: 'not a valid regular expression',
  },
  {
    name: 'output_schema as a string',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: GET /a\n    output_schema: json\n`,
    line: 9,
    column: 20,
    pointer: '/tools/0/output_schema',
    message: 'must be a mapping (key: value), got string',
  },
  {
    name: 'misspelt annotation',
    yaml: `${HEAD}tools:\n  - name: a\n    endpoint: GET /a\n    annotations:\n      readonlyHint: true\n`,
    line: 10,
    column: 7,
    pointer: '/tools/0/annotations/readonlyHint',
    message: "unknown key 'readonlyHint' (did you mean 'readOnlyHint'?)",
  },
  // health
  {
    name: 'probe names an unknown tool',
    yaml: `${HEAD}${TOOL}health:\n  probe:\n    tool: get_items\n`,
    line: 16,
    column: 11,
    pointer: '/health/probe/tool',
    message: "no tool named 'get_items'",
  },
  {
    name: 'probe arguments violate the input schema',
    yaml: `${HEAD}${TOOL}health:\n  probe:\n    tool: get_item\n    arguments: { id: 42 }\n`,
    line: 17,
    column: 16,
    pointer: '/health/probe/arguments',
    message: "do not match the input_schema of 'get_item' at /id: must be string",
  },
  {
    name: 'probe pointer without a slash',
    yaml: `${HEAD}${TOOL}health:\n  probe:\n    tool: get_item\n    arguments: { id: "1" }\n    expect:\n      equals:\n        - { pointer: name, value: x }\n`,
    line: 20,
    column: 22,
    pointer: '/health/probe/expect/equals/0/pointer',
    message: "'name' is not a JSON pointer",
  },
  {
    name: 'probe pattern not a regular expression',
    yaml: `${HEAD}${TOOL}health:\n  probe:\n    tool: get_item\n    arguments: { id: "1" }\n    expect:\n      matches:\n        - { pointer: /name, pattern: "(" }\n`,
    line: 20,
    column: 38,
    pointer: '/health/probe/expect/matches/0/pattern',
    message: 'not a valid regular expression',
  },
  {
    name: 'health interval too short',
    yaml: `${HEAD}${TOOL}health:\n  interval_ms: 10\n`,
    line: 15,
    column: 16,
    pointer: '/health/interval_ms',
    message: 'must be >= 1000',
  },
  // other kinds
  {
    name: 'python kind without python section',
    yaml: 'name: demo\nversion: 1.0.0\nkind: python\n',
    line: 1,
    column: 1,
    pointer: '/python',
    message: "missing required field 'python'",
  },
  {
    name: 'python section without script',
    yaml: 'name: demo\nversion: 1.0.0\nkind: python\npython:\n  mode: functions\n',
    line: 4,
    column: 1,
    pointer: '/python/script',
    message: "missing required field 'script' (or 'script_id')",
  },
  {
    name: 'python memory_mb as text',
    yaml: 'name: demo\nversion: 1.0.0\npython:\n  script: tool.py\n  memory_mb: lots\n',
    line: 5,
    column: 14,
    pointer: '/python/memory_mb',
    message: 'must be an integer, got string',
  },
  {
    name: 'mcp with both command and url',
    yaml: 'name: demo\nversion: 1.0.0\nkind: mcp\nmcp:\n  command: node\n  url: https://mcp.example/mcp\n',
    line: 6,
    column: 3,
    pointer: '/mcp/url',
    message: "use either 'command' or 'url', not both",
  },
  {
    name: 'section of another kind',
    yaml: `${HEAD}${TOOL}mcp:\n  command: node\n`,
    line: 14,
    column: 1,
    pointer: '/mcp',
    message: "section 'mcp' does not apply to kind http",
  },
  // legacy format
  {
    name: 'legacy api_key without key_name',
    yaml: 'connector:\n  name: legacy\n  version: 1.0.0\n  base_url: https://a.example\n  auth:\n    type: api_key\n  tools:\n    - name: a\n      endpoint: GET /a\n',
    line: 5,
    column: 3,
    pointer: '/connector/auth/key_name',
    message: "missing required field 'key_name'",
  },
  {
    name: 'legacy path parameter missing from input_schema',
    yaml: 'connector:\n  name: legacy\n  version: 1.0.0\n  base_url: https://a.example\n  tools:\n    - name: a\n      endpoint: GET /a/{id}\n',
    line: 7,
    column: 17,
    pointer: '/connector/tools/0/endpoint',
    message: "path parameter '{id}' is not declared",
  },
  {
    name: 'legacy scoped npm name',
    yaml: 'connector:\n  name: "@acme/weather"\n  version: 1.0.0\n  tools:\n    - name: a\n      endpoint: GET /a\n',
    line: 2,
    column: 9,
    pointer: '/connector/name',
    message: 'must be a slug',
  },
  {
    name: 'legacy base_url not a URL',
    yaml: 'connector:\n  name: legacy\n  version: 1.0.0\n  base_url: example\n  tools:\n    - name: a\n      endpoint: GET /a\n',
    line: 4,
    column: 13,
    pointer: '/connector/base_url',
    message: 'is not an absolute http(s) URL',
  },
  {
    name: 'legacy unknown key',
    yaml: 'connector:\n  name: legacy\n  version: 1.0.0\n  base_ur: https://a.example\n  tools:\n    - name: a\n      endpoint: GET /a\n',
    line: 4,
    column: 3,
    pointer: '/connector/base_ur',
    message: "unknown key 'base_ur' (did you mean 'base_url'?)",
  },
  {
    name: 'legacy per-tool auth that differs',
    yaml: 'connector:\n  name: legacy\n  version: 1.0.0\n  base_url: https://a.example\n  auth: { type: api_key, key_name: X-Key }\n  tools:\n    - name: a\n      endpoint: GET /a\n      auth: { type: api_key, key_name: token, location: query }\n',
    line: 9,
    column: 13,
    pointer: '/connector/tools/0/auth',
    message: 'per-tool auth differs',
  },
];

describe('malformed manifests: each problem is reported with line, column and pointer', () => {
  it('covers at least 35 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(35);
  });

  it.each(cases)('$name', ({ yaml, line, column, pointer, message }) => {
    const result = parseManifest(yaml, { file: 'm.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.issues.find((i) => i.pointer === pointer && i.message.includes(message));
    expect(
      issue,
      `issues were:\n${result.issues.map((i) => `${i.line}:${i.column} ${i.pointer} ${i.message}`).join('\n')}`,
    ).toBeDefined();
    expect({ file: issue!.file, line: issue!.line, column: issue!.column }).toEqual({ file: 'm.yaml', line, column });
  });
});
