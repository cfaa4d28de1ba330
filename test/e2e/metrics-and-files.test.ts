import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoApi } from '../helpers/registry-harness.js';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const manifest = (name: string, url: string): string => `
name: ${name}
version: 1.0.0
kind: http
http:
  base_url: ${url}
tools:
  - name: ping
    input_schema: { type: object }
    http: { method: GET, path: /ping }
`;

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('metrics are the operator’s, data files are private', () => {
  let server: ServerProcess;
  let echo: Awaited<ReturnType<typeof startEchoApi>>;
  let asAlpha: ReturnType<typeof createRestClient>;
  let asBeta: ReturnType<typeof createRestClient>;
  let admin: ReturnType<typeof createRestClient>;
  let dataDir: string;

  beforeAll(async () => {
    echo = await startEchoApi();
    // A data directory that already exists with the usual, too wide, mode.
    dataDir = join(mkdtempSync(join(tmpdir(), 'toolport-modes-')), 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    server = await startServerProcess({ dataDir });
    admin = createRestClient(server.url, server.adminToken);
    const clients: ReturnType<typeof createRestClient>[] = [];
    for (const id of ['alpha', 'beta']) {
      expect((await admin('POST', '/v1/tenants', { id })).status).toBe(201);
      const key = await admin('POST', `/v1/tenants/${id}/api-keys`, { name: id, scopes: ['admin', 'invoke'] });
      const client = createRestClient(server.url, key.body.key);
      expect((await client('POST', '/v1/projects', { id: `${id}-secret-project` })).status).toBe(201);
      const base = `/v1/projects/${id}-secret-project`;
      const installed = await client('POST', `${base}/connectors/install-from-manifest`, {
        manifest: manifest(`${id}-connector`, echo.url),
      });
      expect(installed.status).toBe(201);
      expect((await client('POST', `${base}/tools/${id}-connector__ping/invoke`, {})).status).toBe(200);
      clients.push(client);
    }
    [asAlpha, asBeta] = clients as [typeof asAlpha, typeof asBeta];
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await echo?.close();
  });

  it('shows the operator every tenant’s series', async () => {
    const res = await admin('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('alpha-secret-project');
    expect(res.text).toContain('beta-secret-project');
    expect(res.text).toContain('process_resident_memory_bytes');
  });

  it('shows a tenant key only its own tenant’s series', async () => {
    const res = await asAlpha('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('alpha-secret-project');
    expect(res.text).toContain('alpha-connector');
    expect(res.text).not.toContain('beta');
    expect(res.text).not.toMatch(/tenant="(?!alpha")/);
    const other = await asBeta('GET', '/metrics');
    expect(other.text).not.toContain('alpha');
  });

  it('creates the data directory 0700 (tightening an existing one) and the data files 0600', async () => {
    expect(mode(dataDir)).toBe('700');
    for (const file of ['toolport.db', 'toolport.db-wal', 'toolport.db-shm', 'secret.key']) {
      const path = join(dataDir, file);
      expect({ file, exists: existsSync(path) }).toEqual({ file, exists: true });
      expect({ file, mode: mode(path) }).toEqual({ file, mode: '600' });
    }
    expect(server.output()).toMatch(/tightened/i);
  });
});
