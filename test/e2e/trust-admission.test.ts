import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/** A stdio upstream that would leave a mark on the host if it ever ran. */
function shellManifest(marker: string): string {
  return `
name: sneaky
version: 1.0.0
kind: mcp
mcp:
  command: /bin/sh
  args: ["-c", "touch ${marker}; sleep 5"]
`;
}

describe('the operator decides what tenant content may do on the host', () => {
  let server: ServerProcess;
  let admin: ReturnType<typeof createRestClient>;
  let tenant: ReturnType<typeof createRestClient>;
  let outside: string;

  beforeAll(async () => {
    outside = mkdtempSync(join(tmpdir(), 'toolport-outside-'));
    writeFileSync(join(outside, 'tool.py'), 'def hello() -> str:\n    return "hi"\n');
    server = await startServerProcess({
      env: { TOOLPORT_MCP_COMMANDS: 'npx @modelcontextprotocol/server-everything' },
    });
    admin = createRestClient(server.url, server.adminToken);
    expect((await admin('POST', '/v1/tenants', { id: 'acme' })).status).toBe(201);
    const key = await admin('POST', '/v1/tenants/acme/api-keys', { name: 'acme', scopes: ['admin', 'invoke'] });
    tenant = createRestClient(server.url, key.body.key);
    expect((await tenant('POST', '/v1/projects', { id: 'p1' })).status).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a stdio command outside TOOLPORT_MCP_COMMANDS with 403 naming the setting, and starts nothing', async () => {
    const marker = join(outside, 'ran');
    const res = await tenant('POST', '/v1/projects/p1/connectors/install-from-manifest', {
      manifest: shellManifest(marker),
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(res.body.error.message).toContain('TOOLPORT_MCP_COMMANDS');
    expect((await tenant('GET', '/v1/projects/p1/connectors/sneaky')).status).toBe(404);
    const { existsSync } = await import('node:fs');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses an allowed command with a different leading argument', async () => {
    const res = await tenant('POST', '/v1/projects/p1/connectors/install-from-manifest', {
      manifest: 'name: npxer\nversion: 1.0.0\nkind: mcp\nmcp:\n  command: npx\n  args: ["-y", "evil-package"]\n',
      enabled: false,
    });
    expect(res.status).toBe(403);
  });

  it('admits an allowlisted command for a tenant (installed disabled, so nothing needs to run)', async () => {
    const res = await tenant('POST', '/v1/projects/p1/connectors/install-from-manifest', {
      manifest:
        'name: everything\nversion: 1.0.0\nkind: mcp\nmcp:\n  command: npx\n  args: ["@modelcontextprotocol/server-everything", "stdio"]\n',
      enabled: false,
    });
    expect(res.status).toBe(201);
  });

  it('refuses a python script path outside the file roots before reading it (no existence oracle)', async () => {
    const real = await tenant('POST', '/v1/projects/p1/connectors/install-from-manifest', {
      manifest: `name: py1\nversion: 1.0.0\nkind: python\npython:\n  script: ${join(outside, 'tool.py')}\n`,
    });
    const missing = await tenant('POST', '/v1/projects/p1/connectors/install-from-manifest', {
      manifest: `name: py2\nversion: 1.0.0\nkind: python\npython:\n  script: ${join(outside, 'nope.py')}\n`,
    });
    expect(real.status).toBe(403);
    expect(missing.status).toBe(403);
    expect(real.body.error.message).toBe(missing.body.error.message);
    expect(real.body.error.message).toContain('TOOLPORT_FILE_ROOTS');
  });

  it('refuses python network access for tenant code unless the operator allows it', async () => {
    const upload = await fetch(`${server.url}/api/v1/upload_script`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${(await admin('POST', '/v1/tenants/acme/api-keys', { name: 'k2', scopes: ['admin'] })).body.key}`,
      },
      body: (() => {
        const form = new FormData();
        form.append('file', new Blob(['def ping() -> str:\n    return "pong"\n']), 'ping.py');
        return form;
      })(),
    });
    expect(upload.status).toBeLessThan(300);
    const script = (await upload.json()) as { script_id?: string; id?: string };
    const id = script.script_id ?? script.id;
    const res = await tenant('POST', '/v1/projects/p1/connectors/install-from-manifest', {
      manifest: `name: pynet\nversion: 1.0.0\nkind: python\npython:\n  script_id: ${id}\n  allow_network: true\n`,
    });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('TOOLPORT_TENANT_NETWORK');
  });

  it('lets the operator install what a tenant may not (positive control)', async () => {
    const res = await admin(
      'POST',
      '/v1/projects/p1/connectors/install-from-manifest',
      { manifest: `name: py3\nversion: 1.0.0\nkind: python\npython:\n  script: ${join(outside, 'tool.py')}\n` },
      { 'x-tenant-id': 'acme' },
    );
    expect(res.status).toBe(201);
  });

  it('grants the operator scope only through the operator', async () => {
    const self = await tenant('POST', '/v1/api-keys', { name: 'escalate', scopes: ['admin', 'operator'] });
    expect(self.status).toBe(403);
    const granted = await admin('POST', '/v1/tenants/acme/api-keys', { name: 'ops', scopes: ['operator'] });
    expect(granted.status).toBe(201);
    const ops = createRestClient(server.url, granted.body.key);
    // An operator key manages tenants, like the admin token.
    expect((await ops('GET', '/v1/tenants')).status).toBe(200);
    expect((await tenant('GET', '/v1/tenants')).status).toBe(403);
  });
});
