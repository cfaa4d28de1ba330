import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoManifest, startEchoApi } from '../helpers/registry-harness.js';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/** Resolves once `pred` holds, re-checking whenever `tick` is called (here: on every list_changed). */
function when(pred: () => boolean, what: string, ms = 10_000): { promise: Promise<void>; tick: () => void } {
  let tick = (): void => undefined;
  const promise = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    tick = () => {
      if (!pred()) return;
      clearTimeout(timer);
      resolve();
    };
  });
  return { promise, tick };
}

describe('hot reload through the real server: version labels and silent no-op edits', () => {
  let server: ServerProcess;
  let api: Awaited<ReturnType<typeof startEchoApi>>;
  let dir: string;

  beforeAll(async () => {
    api = await startEchoApi();
    dir = mkdtempSync(join(tmpdir(), 'toolport-reload-'));
    server = await startServerProcess({ env: { TOOLPORT_HOT_RELOAD: '1' } });
  });
  afterAll(async () => {
    await server?.stop();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a comment edit sends no list_changed and makes no version; a real edit under the same version is labelled', async () => {
    const rest = createRestClient(server.url, server.adminToken);
    const file = join(dir, 'echo.yaml');
    const original = echoManifest(api.url, '1.0.0', ['get_item']);
    writeFileSync(file, original);
    const installed = await rest('POST', '/v1/projects/default/connectors/install-from-file', { file_path: file });
    expect(installed.status).toBe(201);

    const client = new Client({ name: 'reload-test', version: '1.0.0' });
    await client.connect(
      new SSEClientTransport(new URL(`${server.url}/sse/default`), {
        requestInit: { headers: { authorization: `Bearer ${server.adminToken}` } },
      }),
    );
    try {
      let realEditWritten = false;
      const notified: boolean[] = [];
      let names: string[] = [];
      const served = when(() => names.includes('echo__get_more'), 'the real edit to be served');
      client.setNotificationHandler('notifications/tools/list_changed', () => {
        notified.push(realEditWritten);
        void client.listTools().then(({ tools }) => {
          names = tools.map((t) => t.name);
          served.tick();
        });
      });

      writeFileSync(file, `# only a comment and spacing\n${original.replace('kind: http', 'kind:    http')}\n`);
      const reload = await rest('POST', '/v1/projects/default/hot-reload');
      expect(reload.status).toBe(200);
      expect(reload.body.outcomes).toMatchObject([{ connector: 'echo', outcome: 'unchanged' }]);

      // Positive control: a real edit that keeps `version: 1.0.0` reaches the client.
      realEditWritten = true;
      writeFileSync(file, echoManifest(api.url, '1.0.0', ['get_item', 'get_more']));
      await served.promise;
      expect(notified.length).toBeGreaterThan(0);
      expect(notified.every((afterRealEdit) => afterRealEdit)).toBe(true);

      const versions = await rest('GET', '/v1/projects/default/connectors/echo/versions');
      expect(versions.status).toBe(200);
      const strings = (versions.body.versions as { version: string }[]).map((v) => v.version).sort();
      expect(strings).toEqual(['1.0.0', '1.0.0+reload.2']);
    } finally {
      await client.close();
    }
  });
});
