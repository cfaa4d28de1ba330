/**
 * `POST /v1/projects/{id}/connectors/import-openapi` over the real registry, store and HTTP runtime. Imports run
 * in the importer's worker thread, the compiled dist/openapi/internal/import-worker.js: `npm run build` first.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApi, type Api } from '../../src/api/index.js';
import { createOffThreadImporter, type OffThreadImporter } from '../../src/openapi/index.js';
import { createRegistryHarness, type RegistryHarness } from '../helpers/registry-harness.js';
import { startRecorder, type Recorder } from './recorder.js';

const ADMIN = 'admin-token-for-openapi-tests-0123';
const PETSTORE = readFileSync('test/fixtures/openapi/petstore.swagger20.json', 'utf8');
const AUTOTASK = readFileSync('test/fixtures/openapi/autotask.oas30.json', 'utf8');
const URL_BASE = '/v1/projects/default/connectors/import-openapi';
let h: RegistryHarness;
let api: Api;
let upstream: Recorder;
let tenantKey: string;

async function call(token: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const res = await api.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: res.statusCode, body: res.body === '' ? undefined : (res.json() as Record<string, any>) };
}

beforeAll(async () => {
  h = await createRegistryHarness();
  upstream = await startRecorder();
  api = await createApi({ store: h.store, registry: h.registry, adminToken: ADMIN, version: '0.0.0-test' });
  await api.app.ready();
  expect((await call(ADMIN, 'POST', '/v1/tenants', { id: 'acme' })).status).toBe(201);
  const key = await call(ADMIN, 'POST', '/v1/tenants/acme/api-keys', { name: 'ops', scopes: ['admin', 'invoke'] });
  tenantKey = key.body!.key as string;
});
afterAll(async () => {
  await api.app.close();
  await upstream.close();
  await h.close();
});

describe('import-openapi', () => {
  test('previews a document sent as text: manifest, tools and skipped operations, nothing installed', async () => {
    const res = await call(tenantKey, 'POST', URL_BASE, { spec: PETSTORE, name: 'petstore', include: ['tag:pet'] });
    expect(res.status).toBe(200);
    expect(res.body!.manifest).toMatchObject({ name: 'petstore', kind: 'http' });
    expect(res.body!.tools.map((t: { name: string }) => t.name)).toContain('getPetById');
    expect(res.body!.tools.map((t: { name: string }) => t.name)).not.toContain('getOrderById');
    expect(res.body!.skipped).toEqual([
      expect.objectContaining({ operation_id: 'uploadFile', reason: expect.stringMatching(/multipart/) }),
    ]);
    expect(res.body!.stats).toMatchObject({ tools: 7, skipped: 1, filtered: 12 });
    expect(res.body!.install).toBeUndefined();
    const listed = await call(tenantKey, 'GET', '/v1/projects/default/connectors');
    expect(listed.body!.connectors).toEqual([]);
  });

  test('installs with config (201) and the tool calls the API', async () => {
    const res = await call(tenantKey, 'POST', URL_BASE, {
      spec: JSON.parse(PETSTORE),
      name: 'petstore',
      install: true,
      config: { base_url: `${upstream.url}/v2`, api_key: 'tenant-secret' },
    });
    expect(res.status).toBe(201);
    expect(res.body!.install).toMatchObject({ created: true, connector: { name: 'petstore' } });
    expect(JSON.stringify(res.body)).not.toContain('tenant-secret');
    upstream.reply(200, { id: 5, name: 'rex', photoUrls: [] });
    const invoked = await call(tenantKey, 'POST', '/v1/projects/default/tools/petstore__getPetById/invoke', {
      arguments: { petId: 5 },
    });
    expect(invoked.status).toBe(200);
    expect(invoked.body!.structuredContent).toEqual({ id: 5, name: 'rex', photoUrls: [] });
    const request = upstream.requests.at(-1)!;
    expect([request.method, request.path, request.headers.api_key]).toEqual(['GET', '/v2/pet/5', 'tenant-secret']);
  });

  test('a URL instead of a document is refused without fetching it', async () => {
    const before = upstream.requests.length;
    const res = await call(tenantKey, 'POST', URL_BASE, { spec: `${upstream.url}/openapi.json` });
    expect(res.status).toBe(400);
    expect(res.body!.error.message).toMatch(/^spec:/);
    expect(upstream.requests.length).toBe(before);
  });

  test('a sent document with external $refs is refused before any file read or request', async () => {
    const before = upstream.requests.length;
    const spec = (ref: string) => ({
      openapi: '3.0.3',
      info: { title: 'Refs', version: '1.0.0' },
      servers: [{ url: 'https://refs.test' }],
      components: { schemas: { A: { type: 'object', properties: { x: { type: 'string' } } } } },
      paths: {
        '/a': {
          post: {
            operationId: 'a',
            requestBody: { content: { 'application/json': { schema: { $ref: ref } } } },
            responses: {},
          },
        },
      },
    });
    for (const ref of [`${upstream.url}/schema.json`, 'file:///etc/passwd', '../secrets.yaml#/x']) {
      const res = await call(tenantKey, 'POST', URL_BASE, { spec: spec(ref) });
      expect(res.status).toBe(400);
      expect(res.body!.error.details.pointer).toBe(
        '/spec/paths/~1a/post/requestBody/content/application~1json/schema/$ref',
      );
      expect(JSON.stringify(res.body)).not.toContain('root:');
    }
    expect(upstream.requests.length).toBe(before);
    const local = await call(tenantKey, 'POST', URL_BASE, { spec: spec('#/components/schemas/A'), install: false });
    expect(local.status).toBe(200);
  });

  test('a document that is not OpenAPI is a 400 naming the spec', async () => {
    const res = await call(tenantKey, 'POST', URL_BASE, { spec: { hello: 'world' } });
    expect(res.status).toBe(400);
    expect(res.body!.error).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/^spec:/) });
    const yaml = await call(tenantKey, 'POST', URL_BASE, { spec: 'openapi: [unclosed' });
    expect(yaml.status).toBe(400);
  });

  test('a document with no importable operation is a 422 listing why', async () => {
    const res = await call(tenantKey, 'POST', URL_BASE, {
      spec: {
        openapi: '3.1.0',
        info: { title: 'Hooks', version: '1.0.0' },
        webhooks: { ping: { post: { responses: {} } } },
      },
    });
    expect(res.status).toBe(422);
    expect(res.body!.error.details.skipped[0].reason).toMatch(/webhook/);
  });

  test('is described in /openapi.json', async () => {
    const res = await call(ADMIN, 'GET', '/openapi.json');
    const path = res.body!.paths['/v1/projects/{project_id}/connectors/import-openapi'];
    expect(path.post.requestBody.content['application/json'].schema.required).toEqual(['spec']);
  });
});

describe('imports run off the event loop, with a size limit and a timeout', () => {
  let importer: OffThreadImporter;
  let server: Api;
  let base: string;
  const post = (body: unknown) =>
    fetch(`${base}${URL_BASE}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  beforeAll(async () => {
    importer = createOffThreadImporter({ maxSpecBytes: 6 * 1024 * 1024 });
    server = await createApi({
      store: h.store,
      registry: h.registry,
      adminToken: ADMIN,
      version: '0.0.0-test',
      bodyLimitBytes: 8 * 1024 * 1024,
      openapiImporter: importer,
    });
    base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server.app.close();
    await importer.close();
  });

  test('while a document of thousands of operations is imported, /health is answered', async () => {
    const started = new Promise<void>((resolve) => {
      const off = importer.onJob((event) => {
        if (event.type === 'start') {
          off();
          resolve();
        }
      });
    });
    const order: string[] = [];
    const importing = post({ spec: AUTOTASK }).then(async (res) => {
      order.push('import');
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    });
    await started; // the worker has the document now
    const health = await fetch(`${base}/health`);
    order.push('health');
    expect(health.status).toBe(200);
    const imported = await importing;
    expect(order).toEqual(['health', 'import']);
    expect(imported.status).toBe(200);
    expect(imported.body.stats.tools).toBeGreaterThan(2900);
    expect(imported.body.manifest.tools).toHaveLength(imported.body.stats.tools);
  }, 120_000);

  test('a document over the import limit is a 413 naming the spec', async () => {
    const big = await post({ spec: `${AUTOTASK}${' '.repeat(3 * 1024 * 1024)}` });
    expect(big.status).toBe(413);
    expect(((await big.json()) as Record<string, any>).error.message).toMatch(/^spec: .*import limit/);
  });

  test('an import past its timeout fails with limit_exceeded; the next one runs in a fresh worker', async () => {
    const events: string[] = [];
    const off = importer.onJob((e) => events.push(e.type === 'end' ? `end:${e.ok}` : 'start'));
    await expect(importer.run(AUTOTASK, {}, { timeoutMs: 1 })).rejects.toMatchObject({
      code: 'limit_exceeded',
      message: expect.stringMatching(/^spec: the import took longer/),
    });
    const json = await importer.run(PETSTORE, { name: 'petstore' });
    off();
    expect(JSON.parse(json).stats).toMatchObject({ tools: 19, skipped: 1 });
    expect(events).toEqual(['start', 'end:false', 'start', 'end:true']);
  });

  test('imports wait their turn up to a limit (then rate_limited); one out of heap fails with limit_exceeded', async () => {
    const small = createOffThreadImporter({ maxQueued: 1 });
    try {
      const [first, second, third] = [1, 2, 3].map((i) => small.run(PETSTORE, { name: `pets${i}` }));
      await expect(third).rejects.toMatchObject({ code: 'rate_limited' });
      expect(JSON.parse(await first!).manifest.name).toBe('pets1');
      expect(JSON.parse(await second!).manifest.name).toBe('pets2');
    } finally {
      await small.close();
    }
    const starved = createOffThreadImporter({ maxHeapMb: 8 });
    try {
      await expect(starved.run(AUTOTASK, {})).rejects.toMatchObject({
        code: 'limit_exceeded',
        message: expect.stringMatching(/^spec: the import needed more than 8 MB/),
      });
    } finally {
      await starved.close();
    }
  });
});
