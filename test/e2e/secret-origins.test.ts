import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const SECRET = 'sk-first-origin-7f3a9c';
const OTHER = 'sk-second-origin-51be20';

/** A loopback API that records the headers of every request it gets. */
async function startRecorder(): Promise<{ url: string; seen: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

function manifest(baseUrl: string, version: string): string {
  return `
name: notes
version: ${version}
kind: http
config:
  api_key: { secret: true, required: true }
http:
  base_url: ${baseUrl}
  auth: { type: api_key, in: header, name: X-Api-Key, value: "\${config.api_key}" }
tools:
  - name: ping
    input_schema: { type: object, properties: {} }
    http: { method: GET, path: /ping }
`;
}

describe('stored secrets never follow a connector to a new origin unless given again', () => {
  let server: ServerProcess;
  let first: Awaited<ReturnType<typeof startRecorder>>;
  let second: Awaited<ReturnType<typeof startRecorder>>;
  let third: Awaited<ReturnType<typeof startRecorder>>;
  let asTenant: ReturnType<typeof createRestClient>;
  const base = '/v1/projects/default/connectors';
  const keysSeenBy = (r: { seen: IncomingHttpHeaders[] }): unknown[] => r.seen.map((h) => h['x-api-key']);

  beforeAll(async () => {
    [first, second, third] = await Promise.all([startRecorder(), startRecorder(), startRecorder()]);
    server = await startServerProcess();
    const admin = createRestClient(server.url, server.adminToken);
    expect((await admin('POST', '/v1/tenants', { id: 'acme' })).status).toBe(201);
    const key = await admin('POST', '/v1/tenants/acme/api-keys', { name: 'k', scopes: ['admin', 'invoke'] });
    asTenant = createRestClient(server.url, key.body.key);
    const installed = await asTenant('POST', `${base}/install-from-manifest`, {
      manifest: manifest(first.url, '1.0.0'),
      config: { api_key: SECRET },
    });
    expect(installed.status).toBe(201);
    expect((await asTenant('POST', '/v1/projects/default/tools/notes__ping/invoke', {})).status).toBe(200);
    expect(keysSeenBy(first)).toEqual([SECRET]);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await Promise.all([first?.close(), second?.close(), third?.close()]);
  });

  it('refuses a new version with another base_url origin, naming the key, and changes nothing', async () => {
    const moved = await asTenant('POST', `${base}/install-from-manifest`, { manifest: manifest(second.url, '2.0.0') });
    expect(moved.status).toBe(409);
    expect(moved.body.error.code).toBe('secrets_required');
    expect(moved.body.error.details.keys).toEqual(['api_key']);
    expect(moved.text).not.toContain(SECRET);
    const versions = await asTenant('GET', `${base}/notes/versions`);
    expect(versions.body.versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0']);
    expect((await asTenant('POST', '/v1/projects/default/tools/notes__ping/invoke', {})).status).toBe(200);
    expect(second.seen).toHaveLength(0);
    expect(keysSeenBy(first)).toEqual([SECRET, SECRET]);
  });

  it('moves when the secret is sent again, and the new origin gets only the new value', async () => {
    const moved = await asTenant('POST', `${base}/install-from-manifest`, {
      manifest: manifest(second.url, '2.0.0'),
      config: { api_key: OTHER },
    });
    expect(moved.status).toBe(200);
    expect((await asTenant('POST', '/v1/projects/default/tools/notes__ping/invoke', {})).status).toBe(200);
    expect(keysSeenBy(second)).toEqual([OTHER]);
  });

  it('carries a stored secret over only when the request says reuse_secrets: true', async () => {
    const refused = await asTenant('POST', `${base}/install-from-manifest`, { manifest: manifest(third.url, '3.0.0') });
    expect(refused.status).toBe(409);
    const moved = await asTenant('POST', `${base}/install-from-manifest`, {
      manifest: manifest(third.url, '3.0.0'),
      reuse_secrets: true,
    });
    expect(moved.status).toBe(200);
    expect((await asTenant('POST', '/v1/projects/default/tools/notes__ping/invoke', {})).status).toBe(200);
    expect(keysSeenBy(third)).toEqual([OTHER]);
    expect(keysSeenBy(second)).not.toContain(SECRET);
  });

  it('refuses a rollback to a version with another origin unless reuse_secrets is set', async () => {
    const versions = await asTenant('GET', `${base}/notes/versions`);
    const v1 = versions.body.versions.find((v: { version: string }) => v.version === '1.0.0');
    const refused = await asTenant('POST', `${base}/notes/rollback`, { version: v1.seq });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.keys).toEqual(['api_key']);
    expect((await asTenant('GET', `${base}/notes`)).body.version).toBe('3.0.0');
    expect((await asTenant('POST', '/v1/projects/default/tools/notes__ping/invoke', {})).status).toBe(200);
    expect(keysSeenBy(third)).toEqual([OTHER, OTHER]);
  });

  it('refuses the same move through the services surface and documents reuse_secrets in the OpenAPI', async () => {
    const registered = await asTenant('POST', '/api/v1/services/register', {
      name: 'notes',
      manifest: manifest(first.url, '4.0.0'),
    });
    expect(registered.status).toBe(409);
    expect(registered.body.error.details.keys).toEqual(['api_key']);
    const spec = await asTenant('GET', '/openapi.json');
    expect(spec.text).toContain('reuse_secrets');
  });
});
