import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/api/index.js';
import { ADMIN_TOKEN, createHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Every REST route of the contract (DESIGN.md + the platform and registry issues). */
const EXPECTED = [
  'GET /health',
  'GET /health/ready',
  'GET /metrics',
  'GET /openapi.json',
  'POST /v1/tenants',
  'GET /v1/tenants',
  'GET /v1/tenants/{id}',
  'DELETE /v1/tenants/{id}',
  'POST /v1/tenants/{id}/api-keys',
  'GET /v1/tenants/{id}/api-keys',
  'DELETE /v1/tenants/{id}/api-keys/{key_id}',
  'GET /v1/api-keys',
  'POST /v1/api-keys',
  'DELETE /v1/api-keys/{key_id}',
  'GET /v1/projects',
  'POST /v1/projects',
  'GET /v1/projects/{project_id}',
  'PATCH /v1/projects/{project_id}',
  'DELETE /v1/projects/{project_id}',
  'GET /v1/projects/{project_id}/connectors',
  'POST /v1/projects/{project_id}/connectors/install-from-file',
  'POST /v1/projects/{project_id}/connectors/install-from-manifest',
  'POST /v1/projects/{project_id}/connectors/import-openapi',
  'GET /v1/projects/{project_id}/connectors/{name}',
  'DELETE /v1/projects/{project_id}/connectors/{name}',
  'POST /v1/projects/{project_id}/connectors/{name}/enable',
  'POST /v1/projects/{project_id}/connectors/{name}/disable',
  'GET /v1/projects/{project_id}/connectors/{name}/versions',
  'POST /v1/projects/{project_id}/connectors/{name}/rollback',
  'PATCH /v1/projects/{project_id}/connectors/{name}/config',
  'PUT /v1/projects/{project_id}/connectors/{name}/probe',
  'GET /v1/projects/{project_id}/connectors/{name}/health',
  'POST /v1/projects/{project_id}/connectors/{name}/health',
  'GET /v1/projects/{project_id}/tools',
  'GET /v1/projects/{project_id}/tools/{tool_name}',
  'POST /v1/projects/{project_id}/tools/{tool_name}/invoke',
  'GET /v1/projects/{project_id}/stats',
  'POST /v1/projects/{project_id}/hot-reload',
  'POST /v1/projects/{project_id}/install-samples',
  'GET /v1/stats',
  'GET /v1/events',
  'GET /v1/schemas/manifest.json',
  'GET /v1/projects/{project_id}/client-config',
  'POST /api/v1/services/register',
  'GET /api/v1/services/',
  'GET /api/v1/services/stats/overview',
  'GET /api/v1/services/{id}',
  'DELETE /api/v1/services/{id}',
  'POST /api/v1/services/{id}/activate',
  'POST /api/v1/services/{id}/deactivate',
  'GET /api/v1/services/{id}/health',
  'POST /api/v1/services/{id}/health',
  'GET /api/v1/services/{id}/tools',
  'GET /api/v1/services/{id}/wrapper',
  'POST /api/v1/upload_script',
  'GET /api/v1/scripts',
  'GET /api/v1/scripts/{id}',
  'GET /api/v1/scripts/{id}/content',
  'DELETE /api/v1/scripts/{id}',
  'POST /api/v1/scripts/{id}/discover',
  'POST /api/v1/scripts/{id}/generate_mcp_wrapper',
];

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, any>>>;
  components: Record<string, any>;
};

describe('/openapi.json', () => {
  it('lists every route once, each with summary, tags, security, responses and its path parameters', async () => {
    h = await createHarness();
    const doc = (await h.call(ADMIN_TOKEN, { method: 'GET', url: '/openapi.json' })).json() as Doc;
    expect(doc.openapi).toBe('3.1.0');
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(listed.sort()).toEqual([...EXPECTED].sort());
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const at = `${method} ${path}`;
        expect(op.summary, at).toEqual(expect.any(String));
        expect(op.tags, at).toEqual([expect.any(String)]);
        expect(op.security, at).toEqual(
          path.startsWith('/health') || ['/v1/schemas/manifest.json', '/openapi.json'].includes(path)
            ? []
            : [{ bearerAuth: [] }],
        );
        expect(
          Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)),
          at,
        ).toBe(true);
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect(
          (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name),
          at,
        ).toEqual(inPath);
      }
    }
  });

  it('publishes the very schemas that validate: what the document forbids, the server rejects', async () => {
    h = await createHarness();
    const doc = (await h.call(ADMIN_TOKEN, { method: 'GET', url: '/openapi.json' })).json() as Doc;
    const body = doc.paths['/v1/projects']!.post!.requestBody.content['application/json'].schema;
    expect(body).toMatchObject({ type: 'object', required: ['id'], additionalProperties: false });
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(body);
    for (const candidate of [{ id: 'ok-1' }, { id: 'NO' }, { id: 'x', extra: true }, { name: 'no id' }]) {
      const res = await h.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/projects', payload: candidate });
      expect(res.statusCode === 400, JSON.stringify(candidate)).toBe(!validate(candidate));
    }
    // Every schema in the document is a valid JSON Schema 2020-12.
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        for (const p of op.parameters ?? []) ajv.compile(p.schema);
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (schema) ajv.compile(schema);
      }
    }
  });

  it('serves every documented route (no route-table 404)', async () => {
    h = await createHarness();
    const doc = (await h.call(ADMIN_TOKEN, { method: 'GET', url: '/openapi.json' })).json() as Doc;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        if (path === '/v1/events') continue; // a stream; covered by events.test.ts over a real socket
        const url = path.replace('{project_id}', 'default').replace(/\{\w+\}/g, 'x');
        const res = await h.call(ADMIN_TOKEN, {
          method: method.toUpperCase() as 'GET',
          url,
          payload: method === 'get' || method === 'delete' ? undefined : {},
        });
        expect(res.statusCode, `${method} ${url}`).not.toBe(500);
        if (res.statusCode === 404) expect(res.json().error.message, `${method} ${url}`).not.toMatch(/^No route/);
      }
    }
  });

  it('documents routes other layers mount later, which keep their own auth', async () => {
    h = await createHarness();
    const { createApi } = await import('../../src/api/index.js');
    const api = await createApi({ store: h.store, registry: h.registry, adminToken: ADMIN_TOKEN, version: 't' });
    api.app.get('/mcp/:project_id', { schema: { summary: 'MCP endpoint', tags: ['mcp'] } as object }, async () => ({
      mounted: true,
    }));
    await api.app.ready();
    try {
      const doc = (
        await api.app.inject({
          method: 'GET',
          url: '/openapi.json',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        })
      ).json() as Doc;
      expect(doc.paths['/mcp/{project_id}']?.get?.summary).toBe('MCP endpoint');
      const res = await api.app.inject({ method: 'GET', url: '/mcp/p' });
      expect(res.json()).toEqual({ mounted: true });
      expect(res.headers['x-request-id']).toBeDefined();
    } finally {
      await api.app.close();
    }
  });
});

const SAMPLE_LINE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|NaN|\+Inf|-Inf)$/;

describe('/metrics', () => {
  it('needs a token and answers the operator Prometheus text with process metrics; a tenant key gets none of them', async () => {
    h = await createHarness();
    expect((await h.call(null, { method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const key = await h.tenantWithKey('acme', ['invoke']);
    const tenant = await h.call(key, { method: 'GET', url: '/metrics' });
    expect(tenant.statusCode).toBe(200);
    expect(tenant.body).not.toMatch(/^process_resident_memory_bytes /m);
    const res = await h.call(ADMIN_TOKEN, { method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = res.body.trimEnd().split('\n');
    for (const line of lines) {
      if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      expect(line).toMatch(SAMPLE_LINE);
    }
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_heap_size_total_bytes',
      'nodejs_eventloop_lag_seconds',
      'process_uptime_seconds',
    ]) {
      expect(res.body).toMatch(new RegExp(`^${name} `, 'm'));
    }
  });

  it('counts requests by route pattern, never by raw URL, with a matching histogram', async () => {
    h = await createHarness();
    await h.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/projects', payload: { id: 'alpha' } });
    for (const id of ['alpha', 'default', 'alpha'])
      await h.call(ADMIN_TOKEN, { method: 'GET', url: `/v1/projects/${id}` });
    await h.call(ADMIN_TOKEN, { method: 'GET', url: '/no/such/route' });
    const text = (await h.call(ADMIN_TOKEN, { method: 'GET', url: '/metrics' })).body;
    expect(text).toContain(
      'toolport_http_requests_total{method="GET",route="/v1/projects/:project_id",status="200"} 3\n',
    );
    expect(text).toContain('toolport_http_requests_total{method="POST",route="/v1/projects",status="201"} 1\n');
    expect(text).toContain('toolport_http_requests_total{method="GET",route="(unmatched)",status="404"} 1\n');
    expect(text).toContain(
      'toolport_http_request_duration_seconds_count{method="GET",route="/v1/projects/:project_id"} 3\n',
    );
    expect(text).toContain(
      'toolport_http_request_duration_seconds_bucket{method="GET",route="/v1/projects/:project_id",le="+Inf"} 3\n',
    );
    expect(text).not.toMatch(/route="\/v1\/projects\/(alpha|default)"/);
  });

  it('renders series other layers add to the shared registry', async () => {
    const metrics = createMetricsRegistry();
    h = await createHarness({ metrics });
    metrics
      .counter({ name: 'toolport_tool_calls_total', help: 'Tool calls.', labelNames: ['project', 'tool'] })
      .inc({ project: 'p', tool: 't' });
    const text = (await h.call(ADMIN_TOKEN, { method: 'GET', url: '/metrics' })).body;
    expect(text).toContain('toolport_tool_calls_total{project="p",tool="t"} 1\n');
    expect(text).toContain('# TYPE toolport_http_requests_total counter');
    metrics.close();
  });
});
