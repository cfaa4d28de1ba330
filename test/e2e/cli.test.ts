import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoManifest, startEchoApi } from '../helpers/registry-harness.js';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the toolport command', () => {
  it('answers --help and --version on every command', async () => {
    const version = (
      JSON.parse((await import('node:fs')).readFileSync(resolve(CLI, '../../package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    for (const command of [[], ['serve'], ['validate'], ['stdio'], ['run-script']]) {
      const help = await cli([...command, '--help']);
      expect(help.code, command.join(' ')).toBe(0);
      expect(help.stdout).toMatch(/Usage: toolport/);
      const v = await cli([...command, '--version']);
      expect(v.stdout.trim(), command.join(' ')).toBe(version);
    }
  });

  it('stops with a message naming a bad setting', async () => {
    const res = await cli(['serve', '--port', '0', '--data', mkdtempSync(join(tmpdir(), 'tp-cli-'))], {
      TOOLPORT_HEALTH_INTERVAL_MS: 'often',
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/TOOLPORT_HEALTH_INTERVAL_MS/);
  });

  it('validates manifests with file:line:col messages and exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tp-cli-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nversion: one\nkind: http\nhttp: { base_url: "http://a" }\ntools: []\n');
    const res = await cli(['validate', bad]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:10: `));
  });
});

describe('toolport stdio', () => {
  let server: ServerProcess;
  let api: Awaited<ReturnType<typeof startEchoApi>>;
  let key: string;

  beforeAll(async () => {
    api = await startEchoApi();
    server = await startServerProcess();
    const admin = createRestClient(server.url, server.adminToken);
    await admin('POST', '/v1/projects', { id: 'tools' });
    const installed = await admin('POST', '/v1/projects/tools/connectors/install-from-manifest', {
      manifest: echoManifest(api.url),
    });
    expect(installed.status).toBe(201);
    key = (await admin('POST', '/v1/tenants/default/api-keys', { name: 'desktop', scopes: ['invoke'] })).body.key;
  });

  afterAll(async () => {
    await server?.stop();
    await api?.close();
  });

  it('relays a stdio client to a running server (--url --token)', async () => {
    const client = new Client({ name: 'desktop', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'stdio', '--project', 'tools', '--url', server.url, '--token', key],
        stderr: 'pipe',
      }),
    );
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toEqual(['echo__get_item']);
      const out = await client.callTool({ name: 'echo__get_item', arguments: { id: 'via-stdio' } });
      expect(out.structuredContent).toMatchObject({ path: '/items/via-stdio' });
    } finally {
      await client.close();
    }
  });

  it('serves a project straight from a data folder (--data)', async () => {
    const client = new Client({ name: 'desktop', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'stdio', '--project', 'tools', '--data', server.dataDir],
        env: { ...process.env, TOOLPORT_ALLOW_PRIVATE_NETWORKS: '1' } as Record<string, string>,
        stderr: 'pipe',
      }),
    );
    try {
      const out = await client.callTool({ name: 'echo__get_item', arguments: { id: 'local' } });
      expect(out.structuredContent).toMatchObject({ path: '/items/local' });
    } finally {
      await client.close();
    }
  });
});
