import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const SECRET = 'sk-live-SUPERSECRET-4242';

const manifest = `
name: notes
version: 1.0.0
kind: http
description: Notes API
config:
  api_key: { secret: true, required: true, description: API key }
http:
  base_url: http://127.0.0.1:9/api
  auth: { type: api_key, in: header, name: X-Api-Key, value: "\${config.api_key}" }
tools:
  - name: list_notes
    description: List notes
    input_schema: { type: object, properties: {} }
    http: { method: GET, path: /notes }
`;

describe('tenancy and auth through a started server', () => {
  let server: ServerProcess;
  let admin: ReturnType<typeof createRestClient>;
  let keyA: string;
  let keyB: string;
  let invokeOnlyB: string;

  beforeAll(async () => {
    server = await startServerProcess();
    admin = createRestClient(server.url, server.adminToken);
    for (const id of ['alpha', 'beta']) expect((await admin('POST', '/v1/tenants', { id })).status).toBe(201);
    const a = await admin('POST', '/v1/tenants/alpha/api-keys', { name: 'a-admin', scopes: ['admin', 'invoke'] });
    const b = await admin('POST', '/v1/tenants/beta/api-keys', { name: 'b-admin', scopes: ['admin', 'invoke'] });
    const bi = await admin('POST', '/v1/tenants/beta/api-keys', { name: 'b-invoke', scopes: ['invoke'] });
    expect([a.status, b.status, bi.status]).toEqual([201, 201, 201]);
    keyA = a.body.key;
    keyB = b.body.key;
    invokeOnlyB = bi.body.key;
    const asB = createRestClient(server.url, keyB);
    expect((await asB('POST', '/v1/projects', { id: 'secret-project', name: 'B only' })).status).toBe(201);
    const installed = await asB('POST', '/v1/projects/secret-project/connectors/install-from-manifest', {
      manifest,
      config: { api_key: SECRET },
    });
    expect(installed.status).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves /health without a token and refuses everything else without one', async () => {
    const anon = createRestClient(server.url);
    const health = await anon('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    const projects = await anon('GET', '/v1/projects');
    expect(projects.status).toBe(401);
    expect(projects.body.error.code).toBe('unauthorized');
  });

  it("gives tenant A's key 404 on every one of tenant B's project routes", async () => {
    const asA = createRestClient(server.url, keyA);
    const p = '/v1/projects/secret-project';
    const routes: [string, string, unknown?][] = [
      ['GET', p],
      ['PATCH', p, { name: 'stolen' }],
      ['DELETE', p],
      ['GET', `${p}/connectors`],
      ['POST', `${p}/connectors/install-from-manifest`, { manifest }],
      ['POST', `${p}/connectors/install-from-file`, { file_path: '/etc/hostname' }],
      ['GET', `${p}/connectors/notes`],
      ['DELETE', `${p}/connectors/notes`],
      ['POST', `${p}/connectors/notes/enable`],
      ['POST', `${p}/connectors/notes/disable`],
      ['GET', `${p}/connectors/notes/versions`],
      ['GET', `${p}/connectors/notes/health`],
      ['POST', `${p}/connectors/notes/health`],
      ['GET', `${p}/tools`],
      ['GET', `${p}/tools/notes__list_notes`],
      ['POST', `${p}/tools/notes__list_notes/invoke`, { arguments: {} }],
      ['GET', `${p}/stats`],
      ['POST', `${p}/hot-reload`],
      ['POST', `${p}/install-samples`],
      ['GET', `${p}/client-config`],
    ];
    for (const [method, path, body] of routes) {
      const res = await asA(method, path, body);
      expect({ route: `${method} ${path}`, status: res.status }).toEqual({ route: `${method} ${path}`, status: 404 });
      expect(res.text).not.toContain('B only');
    }
    // And B's project is untouched.
    const asB = createRestClient(server.url, keyB);
    const still = await asB('GET', p);
    expect(still.status).toBe(200);
    expect(still.body.name).toBe('B only');
  });

  it('hands out ready-to-paste client configuration for a project, without the key', async () => {
    const asB = createRestClient(server.url, keyB);
    const res = await asB('GET', '/v1/projects/secret-project/client-config');
    expect(res.status).toBe(200);
    expect(res.body.mcp_url).toBe(`${server.url}/mcp/secret-project`);
    const cursor = Object.values(res.body.cursor.mcpServers)[0] as { url: string; headers: Record<string, string> };
    expect(cursor.url).toBe(`${server.url}/mcp/secret-project`);
    expect(cursor.headers.Authorization).toBe('Bearer <YOUR_API_KEY>');
    expect(JSON.stringify(res.body.vscode)).toContain('"type":"http"');
    expect(JSON.stringify(res.body.claude_desktop)).toContain('stdio');
    expect(res.text).not.toContain(keyB);
  });

  it('refuses a revoked key with 401', async () => {
    const created = await admin('POST', '/v1/tenants/alpha/api-keys', { name: 'temp', scopes: ['invoke'] });
    const client = createRestClient(server.url, created.body.key);
    expect((await client('GET', '/v1/projects')).status).toBe(200);
    expect((await admin('DELETE', `/v1/tenants/alpha/api-keys/${created.body.id}`)).status).toBe(204);
    const after = await client('GET', '/v1/projects');
    expect(after.status).toBe(401);
  });

  it('does not let a key without the admin scope create a project', async () => {
    const asInvoker = createRestClient(server.url, invokeOnlyB);
    const res = await asInvoker('POST', '/v1/projects', { id: 'nope' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    const list = await createRestClient(server.url, keyB)('GET', '/v1/projects');
    expect(
      list.body.projects?.map((p: { id: string }) => p.id) ?? list.body.map((p: { id: string }) => p.id),
    ).not.toContain('nope');
  });

  it('never returns a secret in any response body', async () => {
    const asB = createRestClient(server.url, keyB);
    const p = '/v1/projects/secret-project';
    for (const path of [
      p,
      `${p}/connectors`,
      `${p}/connectors/notes`,
      `${p}/connectors/notes/versions`,
      `${p}/tools`,
      `${p}/stats`,
      '/v1/stats',
      '/openapi.json',
    ]) {
      const res = await asB('GET', path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).not.toContain(SECRET);
    }
    const keys = await admin('GET', '/v1/tenants/beta/api-keys');
    expect(keys.text).not.toContain(keyB);
    expect(keys.text).not.toContain('hash');
  });

  it('answers a malformed body with 400 naming the field', async () => {
    const asB = createRestClient(server.url, keyB);
    const res = await asB('POST', '/v1/projects', { id: 'Not A Slug!' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(JSON.stringify(res.body.error.details)).toContain('/id');
    const broken = await asB('POST', '/v1/projects', '{"id": ');
    expect(broken.status).toBe(400);
  });

  it('answers a body over the limit with 413', async () => {
    const asB = createRestClient(server.url, keyB);
    const res = await asB('POST', '/v1/projects', { id: 'big', description: 'x'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });
});
