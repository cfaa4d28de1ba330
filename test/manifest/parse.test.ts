import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANIFEST_DEFAULTS, parseManifest, type ConnectorManifest } from '../../src/manifest/index.js';

function parsed(
  input: string | Record<string, unknown>,
  options?: { file?: string },
): { manifest: ConnectorManifest; warnings: { pointer: string; message: string }[] } {
  const result = parseManifest(input, options);
  if (!result.ok)
    throw new Error(result.issues.map((i) => `${i.line}:${i.column} ${i.pointer} ${i.message}`).join('\n'));
  return result;
}

const MINIMAL_HTTP = `
name: notes
version: 0.1.0
http:
  base_url: https://notes.example/api
tools:
  - name: get_note
    endpoint: GET /notes/{id}
    input_schema:
      type: object
      required: [id]
      properties:
        id: { type: string }
        fields: { type: string }
`;

describe('current format', () => {
  it('fills every http default and infers kind http', () => {
    const { manifest } = parsed(MINIMAL_HTTP);
    expect(manifest.kind).toBe('http');
    expect(manifest.config).toEqual({});
    expect(manifest.http).toEqual({
      base_url: 'https://notes.example/api',
      timeout_ms: 10_000,
      retries: 2,
      headers: {},
      auth: { type: 'none' },
      max_response_bytes: 5 * 1024 * 1024,
    });
    expect(MANIFEST_DEFAULTS.maxResponseBytes).toBe(5_242_880);
  });

  it('expands the endpoint shorthand into an http spec with argument locations', () => {
    const { manifest } = parsed(MINIMAL_HTTP);
    expect(manifest.tools[0]!.http).toEqual({
      method: 'GET',
      path: '/notes/{id}',
      args: { id: 'path', fields: 'query' },
      body_format: 'json',
    });
  });

  it('sends non-path arguments of a POST to the body and keeps explicit locations', () => {
    const { manifest } = parsed(`
name: notes
version: 1.0.0
kind: http
http: { base_url: "https://notes.example" }
tools:
  - name: add_note
    input_schema:
      type: object
      properties:
        folder: { type: string }
        text: { type: string }
        trace: { type: string }
    http:
      method: POST
      path: /folders/{folder}/notes
      args: { trace: header }
      rename: { trace: X-Trace-Id }
      body_format: form
      timeout_ms: 2000
`);
    expect(manifest.tools[0]!.http).toEqual({
      method: 'POST',
      path: '/folders/{folder}/notes',
      args: { folder: 'path', text: 'body', trace: 'header' },
      rename: { trace: 'X-Trace-Id' },
      body_format: 'form',
      timeout_ms: 2000,
    });
  });

  it('gives a tool without input_schema an empty object schema, and adds a missing type', () => {
    const { manifest } = parsed(`
name: ping
version: 1.0.0
http: { base_url: "http://127.0.0.1:9" }
tools:
  - name: ping
    endpoint: GET /ping
  - name: echo
    endpoint: GET /echo
    input_schema: { properties: { q: { type: string } } }
`);
    expect(manifest.tools[0]!.input_schema).toEqual({ type: 'object', properties: {} });
    expect(manifest.tools[1]!.input_schema).toEqual({ type: 'object', properties: { q: { type: 'string' } } });
  });

  it('fills python defaults and resolves the script against the manifest folder', () => {
    const { manifest } = parsed('name: calc\nversion: 1.0.0\npython:\n  script: scripts/calc.py\n', {
      file: '/srv/manifests/calc.yaml',
    });
    expect(manifest.kind).toBe('python');
    expect(manifest.tools).toEqual([]);
    expect(manifest.python).toEqual({
      script: join('/srv/manifests', 'scripts/calc.py'),
      mode: 'functions',
      functions: [],
      parameters: [],
      allow_network: false,
      timeout_ms: 30_000,
      memory_mb: 256,
      max_workers: 2,
    });
  });

  it('normalises script-mode parameters and mcp sections', () => {
    const py = parsed(`
name: report
version: 1.0.0
kind: python
python:
  script_id: scr_123
  mode: script
  tool_name: make_report
  parameters:
    - { name: count, type: integer, flag: --count, required: true }
    - { name: title, type: string }
`).manifest.python!;
    expect(py.parameters).toEqual([
      { name: 'count', type: 'integer', flag: '--count', required: true },
      { name: 'title', type: 'string', required: false },
    ]);
    const mcp = parsed('name: fs\nversion: 1.0.0\nkind: mcp\nmcp:\n  command: npx\n  args: [-y, server-fs]\n').manifest;
    expect(mcp.mcp).toEqual({ command: 'npx', args: ['-y', 'server-fs'], env: {}, headers: {} });
  });

  it('normalises config keys (defaults as strings) and the health probe', () => {
    const { manifest } = parsed(`
name: svc
version: 1.0.0
config:
  base_url: { default: "http://127.0.0.1:8091" }
  page_size: { default: 50, env: PAGE_SIZE }
  token: { secret: true, required: true, description: API token }
http:
  base_url: \${config.base_url}
  auth: { type: bearer, token: "\${config.token}" }
health:
  interval_ms: 60000
  probe:
    tool: ping
tools:
  - { name: ping, endpoint: GET /ping }
`);
    expect(manifest.config).toEqual({
      base_url: { secret: false, required: false, default: 'http://127.0.0.1:8091' },
      page_size: { secret: false, required: false, default: '50', env: 'PAGE_SIZE' },
      token: { secret: true, required: true, description: 'API token' },
    });
    expect(manifest.http!.auth).toEqual({ type: 'bearer', token: '${config.token}' });
    expect(manifest.health).toEqual({
      interval_ms: 60000,
      probe: { tool: 'ping', arguments: {}, expect: { no_error: true } },
    });
  });

  it('resolves YAML anchors, aliases and merge keys, and ignores x- keys', () => {
    const { manifest } = parsed(`
name: anchors
version: 1.0.0
x-id: &id { type: string, minLength: 1 }
x-common: &common
  id: *id
  verbose: { type: boolean }
http: { base_url: "https://a.example" }
tools:
  - name: get_a
    endpoint: GET /a/{id}
    input_schema: { type: object, required: [id], properties: { <<: *common } }
  - name: get_b
    endpoint: GET /b/{id}
    input_schema:
      type: object
      required: [id]
      properties:
        <<: *common
        extra: { type: integer }
`);
    expect(manifest.tools[0]!.input_schema.properties).toEqual({
      id: { type: 'string', minLength: 1 },
      verbose: { type: 'boolean' },
    });
    expect(Object.keys(manifest.tools[1]!.input_schema.properties as object)).toEqual(['id', 'verbose', 'extra']);
    expect(manifest).not.toHaveProperty('x-id');
  });

  it('accepts an object, without line numbers in issues and without touching the input', () => {
    const input = {
      name: 'obj',
      version: '1.0.0',
      http: { base_url: 'https://a.example' },
      tools: [{ name: 't', endpoint: 'GET /t' }],
    };
    const copy = structuredClone(input);
    const { manifest } = parsed(input);
    expect(manifest.tools[0]!.http!.path).toBe('/t');
    expect(input).toEqual(copy);
    const bad = parseManifest({ ...input, version: 'one' }, { file: 'api' });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.issues).toEqual([
        { file: 'api', pointer: '/version', message: 'must be a semantic version such as "1.0.0"' },
      ]);
  });

  it('accepts JSON text', () => {
    const { manifest } = parsed(
      JSON.stringify({
        name: 'j',
        version: '2.0.0-rc.1',
        http: { base_url: 'https://a.example' },
        tools: [{ name: 't', endpoint: 'DELETE /t' }],
      }),
    );
    expect(manifest.version).toBe('2.0.0-rc.1');
  });

  it('reports every problem at once, ordered by line', () => {
    const result = parseManifest(`
name: Bad Name
version: 1
kind: http
http:
  base_url: nowhere
  retries: -1
tools:
  - name: a
    endpoint: GET /a/{x}
  - name: a
    endpoint: POST /b
    colour: blue
`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => [i.line, i.pointer])).toEqual([
      [2, '/name'],
      [3, '/version'],
      [6, '/http/base_url'],
      [7, '/http/retries'],
      [10, '/tools/0/endpoint'],
      [11, '/tools/1/name'],
      [13, '/tools/1/colour'],
    ]);
  });

  it('returns warnings for literal credentials and path parameters not required', () => {
    const { warnings } = parsed(`
name: w
version: 1.0.0
http:
  base_url: https://a.example
  auth: { type: api_key, name: X-Key, value: hunter2 }
tools:
  - name: t
    endpoint: GET /t/{id}
    input_schema: { type: object, properties: { id: { type: string } } }
`);
    expect(warnings.map((w) => w.pointer)).toEqual(['/http/auth/value', '/tools/0/endpoint']);
    expect(warnings[0]!.message).toContain('literal credential');
    expect(warnings[0]!.message).not.toContain('hunter2');
  });

  it('survives hostile input without throwing', () => {
    const bomb =
      'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
    for (const input of [bomb, '', '\0\0', ':', '[', '{"name": 1}', 'name: [', '- - -', 'x'.repeat(10_000)]) {
      expect(parseManifest(input).ok).toBe(false);
    }
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    expect(parseManifest(cyclic).ok).toBe(false);
  });
});

describe('legacy connector: format', () => {
  it('maps api_key auth onto a secret, required config key', () => {
    const { manifest } = parsed(`
connector:
  name: quotes
  version: 1.2.0
  description: Quotes
  base_url: https://quotes.example/v1
  auth: { type: api_key, key_name: X-Api-Key, location: header, scheme: Token }
  tools:
    - name: random_quote
      description: A quote
      endpoint: GET /quotes/{category}
      input_schema: { type: object, required: [category], properties: { category: { type: string } } }
      output_schema: { type: object }
`);
    expect(manifest).toMatchObject({ name: 'quotes', version: '1.2.0', description: 'Quotes', kind: 'http' });
    expect(manifest.config).toEqual({ api_key: { description: 'API key', secret: true, required: true } });
    expect(manifest.http!.auth).toEqual({
      type: 'api_key',
      in: 'header',
      name: 'X-Api-Key',
      value: '${config.api_key}',
      scheme: 'Token',
    });
    expect(manifest.tools[0]!.http).toEqual({
      method: 'GET',
      path: '/quotes/{category}',
      args: { category: 'path' },
      body_format: 'json',
    });
    expect(manifest.tools[0]!.output_schema).toEqual({ type: 'object' });
  });

  it('maps oauth2 client credentials onto client_id/client_secret config keys', () => {
    const { manifest } = parsed(`
connector:
  name: crm
  version: 1.0.0
  base_url: https://crm.example
  auth: { type: oauth2_client_credentials, token_url: "https://auth.example/token", scopes: [read] }
  tools:
    - { name: list, endpoint: GET /contacts }
`);
    expect(manifest.http!.auth).toEqual({
      type: 'oauth2_client_credentials',
      token_url: 'https://auth.example/token',
      client_id: '${config.client_id}',
      client_secret: '${config.client_secret}',
      scopes: ['read'],
    });
    expect(Object.keys(manifest.config)).toEqual(['client_id', 'client_secret']);
    expect(manifest.config.client_secret!.secret).toBe(true);
  });

  it('lifts a shared per-tool auth and turns a missing base_url into install-time config', () => {
    const { manifest } = parsed(`
connector:
  name: legacy
  version: 1.0.0
  tools:
    - { name: a, endpoint: GET /a, auth: { type: api_key, key_name: key, location: query } }
    - { name: b, endpoint: GET /b }
`);
    expect(manifest.http!.base_url).toBe('${config.base_url}');
    expect(manifest.config.base_url).toEqual({ description: 'Base URL of the API', secret: false, required: true });
    expect(manifest.http!.auth).toMatchObject({ type: 'api_key', in: 'query', name: 'key' });
  });
});
