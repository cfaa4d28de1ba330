import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream } from '../helpers/net.js';
import { rawHeaders } from '../helpers/raw-mcp.js';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { PG_URL, requirePostgres } from '../store/drivers.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const PROTOCOL = { 'mcp-protocol-version': '2025-11-25' };

const manifest = `
name: notes
version: 1.0.0
kind: http
description: Notes API
http:
  base_url: http://127.0.0.1:9/api
tools:
  - name: list_notes
    description: List notes
    input_schema: { type: object, properties: {} }
    http: { method: GET, path: /notes }
`;

async function post(url: string, token: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...rawHeaders(token), ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, sessionId: res.headers.get('mcp-session-id'), text };
}

/** A 2025 session with an open standalone GET stream, plus a legacy SSE stream, both opened with `token`. */
async function openStreams(server: ServerProcess, token: string) {
  const init = await post(`${server.url}/mcp/default`, token, INITIALIZE);
  expect(init.status).toBe(200);
  const sessionId = init.sessionId!;
  await post(
    `${server.url}/mcp/default`,
    token,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    {
      'mcp-session-id': sessionId,
      ...PROTOCOL,
    },
  );
  const get = await openStream(`${server.url}/mcp/default`, token, { 'mcp-session-id': sessionId, ...PROTOCOL });
  expect(get.status).toBe(200);
  const sse = await openStream(`${server.url}/sse/default`, token);
  expect(sse.status).toBe(200);
  return { sessionId, get, sse };
}

describe('revocation reaches open MCP sessions', () => {
  let server: ServerProcess;
  let admin: ReturnType<typeof createRestClient>;

  beforeAll(async () => {
    server = await startServerProcess();
    admin = createRestClient(server.url, server.adminToken);
    for (const id of ['rev', 'gone']) expect((await admin('POST', '/v1/tenants', { id })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const newKey = async (tenant: string, scopes = ['invoke']): Promise<{ id: string; key: string }> => {
    const res = await admin('POST', `/v1/tenants/${tenant}/api-keys`, { name: 'k', scopes });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, key: res.body.key as string };
  };

  it('revoking a key closes its Streamable HTTP and SSE streams; its session is gone, later requests get 401', async () => {
    const revoked = await newKey('rev');
    const kept = await newKey('rev');
    const { sessionId, get, sse } = await openStreams(server, revoked.key);
    // A session of another key of the same tenant stays open.
    const other = await openStreams(server, kept.key);

    expect((await admin('DELETE', `/v1/tenants/rev/api-keys/${revoked.id}`)).status).toBe(204);
    await Promise.all([get.ended, sse.ended]);

    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
    const headers = { 'mcp-session-id': sessionId, ...PROTOCOL };
    expect((await post(`${server.url}/mcp/default`, revoked.key, list, headers)).status).toBe(401);
    // The session itself was closed, not merely unreachable with that key.
    expect((await post(`${server.url}/mcp/default`, kept.key, list, headers)).status).toBe(404);
    const stillThere = await post(`${server.url}/mcp/default`, kept.key, list, {
      'mcp-session-id': other.sessionId,
      ...PROTOCOL,
    });
    expect(stillThere.status).toBe(200);
    other.get.close();
    other.sse.close();
  });

  it('deleting a tenant closes the streams opened with its keys', async () => {
    const key = await newKey('gone');
    const { get, sse } = await openStreams(server, key.key);
    expect((await admin('DELETE', '/v1/tenants/gone?force=true')).status).toBe(204);
    await Promise.all([get.ended, sse.ended]);
    expect((await post(`${server.url}/mcp/default`, key.key, INITIALIZE)).status).toBe(401);
  });
});

describe('DELETE /v1/tenants/{id}', () => {
  let server: ServerProcess;
  let admin: ReturnType<typeof createRestClient>;

  beforeAll(async () => {
    server = await startServerProcess();
    admin = createRestClient(server.url, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses (409, naming force) a tenant that has objects and leaves all of it in place', async () => {
    expect((await admin('POST', '/v1/tenants', { id: 'full' })).status).toBe(201);
    const key = (await admin('POST', '/v1/tenants/full/api-keys', { name: 'k', scopes: ['admin', 'invoke'] })).body
      .key as string;
    const asTenant = createRestClient(server.url, key);
    expect((await asTenant('POST', '/v1/projects', { id: 'p1' })).status).toBe(201);
    expect((await asTenant('POST', '/v1/projects', { id: 'p2' })).status).toBe(201);
    expect(
      (await asTenant('POST', '/v1/projects/p1/connectors/install-from-manifest', { manifest, enabled: true })).status,
    ).toBe(201);

    const refused = await admin('DELETE', '/v1/tenants/full');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/force=true/);
    // Nothing was deleted: both projects, the connector and the key still work.
    const projects = await asTenant('GET', '/v1/projects');
    expect(projects.status).toBe(200);
    expect((projects.body.projects as { id: string }[]).map((p) => p.id).sort()).toEqual(['default', 'p1', 'p2']);
    expect((await asTenant('GET', '/v1/projects/p1/connectors/notes')).status).toBe(200);
  });

  it('with ?force=true deletes the tenant with all its projects, connectors, scripts and keys at once', async () => {
    const key = (await admin('GET', '/v1/tenants/full/api-keys')).body.api_keys as { id: string }[];
    expect(key.length).toBe(1);
    const form = new FormData();
    form.append('file', new Blob(['def f(x: int) -> int:\n    return x\n']), 'f.py');
    const adminHeaders = { Authorization: `Bearer ${server.adminToken}`, 'X-Tenant-Id': 'full' };
    const uploaded = await fetch(`${server.url}/api/v1/upload_script`, {
      method: 'POST',
      headers: adminHeaders,
      body: form,
    });
    expect(uploaded.status).toBe(201);

    const deleted = await admin('DELETE', '/v1/tenants/full?force=true');
    expect(deleted.status).toBe(204);
    expect((await admin('GET', '/v1/tenants/full')).status).toBe(404);
    expect((await admin('DELETE', '/v1/tenants/full?force=true')).status).toBe(404);

    // A tenant created again under the same id starts empty: nothing of the old one survived.
    expect((await admin('POST', '/v1/tenants', { id: 'full' })).status).toBe(201);
    const projects = await admin('GET', '/v1/projects', undefined, { 'X-Tenant-Id': 'full' });
    expect((projects.body.projects as { id: string }[]).map((p) => p.id)).toEqual(['default']);
    const scripts = await admin('GET', '/api/v1/scripts', undefined, { 'X-Tenant-Id': 'full' });
    expect(scripts.body.scripts).toEqual([]);
    expect((await admin('GET', '/v1/tenants/full/api-keys')).body.api_keys).toEqual([]);
    const mcp = await post(`${server.url}/mcp/p1`, server.adminToken, INITIALIZE, { 'X-Tenant-Id': 'full' });
    expect(mcp.status).toBe(404);
  });

  it('deletes a tenant holding only its empty default project without force', async () => {
    expect((await admin('POST', '/v1/tenants', { id: 'empty' })).status).toBe(201);
    expect((await admin('POST', '/v1/tenants/empty/api-keys', { name: 'k', scopes: ['invoke'] })).status).toBe(201);
    expect((await admin('DELETE', '/v1/tenants/empty')).status).toBe(204);
    expect((await admin('GET', '/v1/tenants/empty')).status).toBe(404);
  });
});

const hasPg = await requirePostgres('revocation across nodes');

describe.skipIf(!hasPg)('revocation across two nodes sharing PostgreSQL', () => {
  const schema = `revoke_${randomBytes(4).toString('hex')}`;
  let nodeA: ServerProcess;
  let nodeB: ServerProcess;

  beforeAll(async () => {
    const setup = new pg.Client({ connectionString: PG_URL });
    await setup.connect();
    await setup.query(`CREATE SCHEMA ${schema}`);
    await setup.end();
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const env = { TOOLPORT_DATABASE_URL: url.toString(), TOOLPORT_SESSION_REVALIDATE_MS: '300' };
    nodeA = await startServerProcess({ env });
    nodeB = await startServerProcess({ env });
  });
  afterAll(async () => {
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    const cleanup = new pg.Client({ connectionString: PG_URL });
    await cleanup.connect();
    await cleanup.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await cleanup.end();
  });

  it('a key revoked on one node loses its streams on the other', async () => {
    const admin = createRestClient(nodeA.url, nodeA.adminToken);
    expect((await admin('POST', '/v1/tenants', { id: 'shared' })).status).toBe(201);
    const created = await admin('POST', '/v1/tenants/shared/api-keys', { name: 'k', scopes: ['invoke'] });
    expect(created.status).toBe(201);
    // Node B learns of the tenant's default project through NOTIFY.
    await expect
      .poll(async () => (await post(`${nodeB.url}/mcp/default`, created.body.key, INITIALIZE)).status)
      .toBe(200);
    const { get, sse } = await openStreams(nodeB, created.body.key as string);

    expect((await admin('DELETE', `/v1/tenants/shared/api-keys/${created.body.id}`)).status).toBe(204);
    await Promise.all([get.ended, sse.ended]);
  });

  it('a tenant deleted with force on one node is gone on both, with its sessions', async () => {
    const admin = createRestClient(nodeA.url, nodeA.adminToken);
    expect((await admin('POST', '/v1/tenants', { id: 'doomed' })).status).toBe(201);
    const key = (await admin('POST', '/v1/tenants/doomed/api-keys', { name: 'k', scopes: ['admin', 'invoke'] })).body
      .key as string;
    const asTenant = createRestClient(nodeA.url, key);
    expect((await asTenant('POST', '/v1/projects', { id: 'work' })).status).toBe(201);
    expect((await asTenant('POST', '/v1/projects/work/connectors/install-from-manifest', { manifest })).status).toBe(
      201,
    );
    await expect.poll(async () => (await post(`${nodeB.url}/mcp/work`, key, INITIALIZE)).status).toBe(200);
    const stream = await openStream(`${nodeB.url}/sse/work`, key);
    expect(stream.status).toBe(200);

    expect((await admin('DELETE', '/v1/tenants/doomed')).status).toBe(409);
    expect((await admin('DELETE', '/v1/tenants/doomed?force=true')).status).toBe(204);
    await stream.ended;
    const onB = createRestClient(nodeB.url, nodeB.adminToken);
    expect((await onB('GET', '/v1/tenants/doomed')).status).toBe(404);
    expect(
      (await post(`${nodeB.url}/mcp/work`, nodeB.adminToken, INITIALIZE, { 'X-Tenant-Id': 'doomed' })).status,
    ).toBe(404);
  });
});
