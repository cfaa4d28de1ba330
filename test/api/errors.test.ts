import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, createRecordingLogger, ECHO_MANIFEST, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SHAPE = { error: { code: expect.any(String), message: expect.any(String), details: expect.any(Object) } };

describe('error translation', () => {
  it('400s a bad body with a JSON pointer and a message naming each field', async () => {
    h = await createHarness();
    const res = await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/projects',
      payload: { id: 'Not A Slug', name: 7, colour: 'red' },
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('validation_failed');
    const byPointer = Object.fromEntries(
      error.details.issues.map((i: { pointer: string; message: string }) => [i.pointer, i.message]),
    );
    expect(byPointer['/id']).toMatch(/^field 'id' must be a slug/);
    expect(byPointer['/name']).toBe("field 'name' must be string");
    expect(byPointer['/colour']).toBe("field 'colour' is not allowed");
    expect(error.message).toContain("field '");
  });

  it('400s a missing required field, a wrong query parameter and a bad path parameter', async () => {
    h = await createHarness();
    const missing = await h.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/projects', payload: {} });
    expect(missing.json().error.details.issues).toEqual([{ pointer: '/id', message: "field 'id' is required" }]);
    const query = await h.call(ADMIN_TOKEN, { method: 'GET', url: '/v1/projects/default/tools?enabled=maybe' });
    expect(query.statusCode).toBe(400);
    expect(query.json().error.details.issues[0]).toEqual({
      pointer: '/enabled',
      message: "query parameter 'enabled' must be boolean",
    });
    const param = await h.call(ADMIN_TOKEN, { method: 'GET', url: '/v1/projects/default/connectors/Bad%20Name' });
    expect(param.statusCode).toBe(400);
    expect(param.json().error.details.issues[0].message).toMatch(/^path parameter 'name' must be a slug/);
  });

  it('400s malformed JSON and a non-object body without a 500', async () => {
    h = await createHarness();
    const bad = await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/projects',
      headers: { 'content-type': 'application/json' },
      payload: '{"id": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: { code: 'bad_request', message: 'The request body is not valid JSON.', details: {} },
    });
    const arr = await h.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/projects', payload: [1, 2] });
    expect(arr.statusCode).toBe(400);
    expect(arr.json().error.details.issues[0]).toEqual({ pointer: '', message: 'request body must be object' });
    const proto = await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/projects',
      headers: { 'content-type': 'application/json' },
      payload: '{"id":"p","__proto__":{"x":1}}',
    });
    expect(proto.statusCode).toBe(400);
  });

  it('415s a body of another content type', async () => {
    h = await createHarness();
    const res = await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/projects',
      headers: { 'content-type': 'application/xml' },
      payload: '<id/>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('unsupported_media_type');
  });

  it('400s a body nesting deeper than 128 levels, and stores nothing of it', async () => {
    h = await createHarness();
    /** A project body whose `extra` field holds `depth` nested arrays, sent as text. */
    const create = (depth: number) =>
      h!.call(ADMIN_TOKEN, {
        method: 'POST',
        url: '/v1/projects',
        headers: { 'content-type': 'application/json' },
        payload: `{"id":"deep","extra":${'['.repeat(depth)}1${']'.repeat(depth)}}`,
      });
    const refused = await create(20_000);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toEqual({
      code: 'bad_request',
      message: 'The request body nests arrays and objects more than 128 levels deep.',
      details: { max_depth: 128 },
    });
    expect((await h.call(ADMIN_TOKEN, { method: 'GET', url: '/v1/projects/deep' })).statusCode).toBe(404);
    // At the limit the body is parsed and judged on its fields as usual.
    const judged = await create(127);
    expect(judged.statusCode).toBe(400);
    expect(judged.json().error.code).toBe('validation_failed');
  });

  it('413s a body over the limit with payload_too_large', async () => {
    h = await createHarness({ bodyLimitBytes: 2048 });
    const res = await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/projects',
      payload: { id: 'p', description: 'x'.repeat(4096) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      error: {
        code: 'payload_too_large',
        message: 'The request body exceeds the limit of 2048 bytes.',
        details: { limit_bytes: 2048 },
      },
    });
  });

  it('accepts an empty JSON body on bodiless POSTs', async () => {
    h = await createHarness();
    await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/projects/default/connectors/install-from-manifest',
      payload: { manifest: ECHO_MANIFEST },
    });
    const res = await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/projects/default/connectors/echo/disable',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().enabled).toBe(false);
  });

  it('404s unknown routes with not_found in the error shape', async () => {
    h = await createHarness();
    for (const [method, url] of [
      ['GET', '/nope'],
      ['GET', '/v1/projects/default/widgets'],
      ['PUT', '/v1/projects'],
    ] as const) {
      const res = await h.call(ADMIN_TOKEN, { method, url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toEqual(SHAPE);
      expect(res.json().error.code).toBe('not_found');
    }
  });

  it('translates registry errors to their status (409 conflict, 404 not_found, 422)', async () => {
    h = await createHarness({ samplesAvailable: false });
    expect((await h.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/projects', payload: { id: 'p' } })).statusCode).toBe(
      201,
    );
    const dup = await h.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/projects', payload: { id: 'p' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('conflict');
    const gone = await h.call(ADMIN_TOKEN, { method: 'GET', url: '/v1/projects/p/connectors/ghost' });
    expect(gone.statusCode).toBe(404);
    const samples = await h.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/projects/p/install-samples' });
    expect(samples.statusCode).toBe(422);
    expect(samples.json().error.code).toBe('unprocessable');
  });

  it('500s an unexpected failure with a generic message, logging the cause but never returning it', async () => {
    const logger = createRecordingLogger();
    h = await createHarness({ logger });
    // Fault injection into the real store: a driver failure that is not a ToolportError.
    const store = h.store as { listProjects: typeof h.store.listProjects };
    store.listProjects = () => Promise.reject(new Error('connection to postgres://admin:hunter2@db failed'));
    const res = await h.call(ADMIN_TOKEN, {
      method: 'GET',
      url: '/v1/projects',
      headers: { 'x-request-id': 'req-123' },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: { code: 'internal', message: 'An unexpected error occurred.', details: { request_id: 'req-123' } },
    });
    expect(res.body).not.toContain('hunter2');
    const logged = logger.lines.find((l) => l.level === 'error');
    expect(JSON.stringify(logged)).toContain('hunter2');
  });

  it('echoes a plain X-Request-Id, replaces an unsafe one, and generates one otherwise', async () => {
    h = await createHarness();
    expect(
      (await h.call(null, { method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-1.2' } })).headers[
        'x-request-id'
      ],
    ).toBe('abc-1.2');
    const unsafe = await h.call(null, { method: 'GET', url: '/health', headers: { 'x-request-id': 'a b<script>' } });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const errored = await h.call(null, { method: 'GET', url: '/v1/projects' });
    expect(errored.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs one line per request without the Authorization header or the token', async () => {
    const logger = createRecordingLogger();
    h = await createHarness({ logger });
    await h.call(ADMIN_TOKEN, { method: 'GET', url: '/v1/projects/default?x=secret-query' });
    const line = logger.lines.find((l) => l.msg === 'request');
    // Access lines are debug: info is for what an operator watches (registry and health events).
    expect(line?.level).toBe('debug');
    expect(line?.obj).toMatchObject({
      method: 'GET',
      route: '/v1/projects/:project_id',
      path: '/v1/projects/default',
      status: 200,
      tenant: 'default',
    });
    const all = JSON.stringify(logger.lines);
    expect(all).not.toContain(ADMIN_TOKEN);
    expect(all.toLowerCase()).not.toContain('authorization');
    expect(all).not.toContain('secret-query');
  });
});
