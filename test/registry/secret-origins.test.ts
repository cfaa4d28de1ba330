import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistryHarness, type RegistryHarness } from '../helpers/registry-harness.js';

const SECRET = 'sk-hot-reload-secret-93d1';

async function startRecorder(): Promise<{ url: string; keys: unknown[]; close(): Promise<void> }> {
  const keys: unknown[] = [];
  const server: Server = createServer((req, res) => {
    keys.push(req.headers['x-api-key']);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, keys, close: () => new Promise((r) => server.close(() => r())) };
}

const manifest = (baseUrl: string, version: string): string => `
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
    input_schema: { type: object }
    http: { method: GET, path: /ping }
`;

describe('hot reload never carries a stored secret to a new origin', () => {
  let h: RegistryHarness;
  let first: Awaited<ReturnType<typeof startRecorder>>;
  let second: Awaited<ReturnType<typeof startRecorder>>;

  beforeEach(async () => {
    [first, second] = await Promise.all([startRecorder(), startRecorder()]);
    h = await createRegistryHarness();
  });
  afterEach(async () => {
    await h.close();
    await Promise.all([first.close(), second.close()]);
  });

  it('keeps serving the last good version with status error when the edited file points elsewhere', async () => {
    const file = join(h.dir, 'notes.yaml');
    writeFileSync(file, manifest(first.url, '1.0.0'));
    await h.registry.install({
      tenantId: 'default',
      projectId: 'default',
      filePath: file,
      config: { api_key: SECRET },
    });
    writeFileSync(file, manifest(second.url, '1.1.0'));
    const [result] = await h.registry.hotReload('default', 'default');
    expect(result?.outcome).toBe('error');
    expect(result?.message).toContain('api_key');
    expect(result?.message).not.toContain(SECRET);
    const summary = await h.registry.getConnector('default', 'default', 'notes');
    expect(summary.status).toBe('error');
    expect(summary.current_version).toBe(1);
    const versions = await h.store.listConnectorVersions('default', 'default', 'notes');
    expect(versions).toHaveLength(1);
    await h.registry.invokeTool('default', 'default', 'notes__ping', {});
    expect(first.keys).toEqual([SECRET]);
    expect(second.keys).toEqual([]);
  });

  it('refuses a config change that moves a templated base_url away from the stored secret', async () => {
    const templated = manifest('http://${config.host}', '1.0.0').replace(
      'config:\n',
      'config:\n  host: { secret: false, required: true }\n',
    );
    const host = new URL(first.url).host;
    await h.registry.install({
      tenantId: 'default',
      projectId: 'default',
      manifest: templated,
      config: { api_key: SECRET, host },
    });
    await expect(
      h.registry.updateConfig('default', 'default', 'notes', { host: new URL(second.url).host }),
    ).rejects.toMatchObject({ code: 'secrets_required', details: { keys: ['api_key'] } });
    await h.registry.invokeTool('default', 'default', 'notes__ping', {});
    expect(first.keys).toEqual([SECRET]);
    expect(second.keys).toEqual([]);
  });
});
