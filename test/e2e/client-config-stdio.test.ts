import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/** The Claude Desktop stdio snippet that /client-config hands out must run as pasted, from any directory. */
describe('the stdio entry of client-config', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('starts from another working directory with the SDK stdio client and serves the project', async () => {
    const admin = createRestClient(server.url, server.adminToken);
    expect((await admin('POST', '/v1/projects', { id: 'desk' })).status).toBe(201);
    const key = await admin('POST', '/v1/api-keys', { name: 'desktop', scopes: ['invoke'] });
    const manifest = [
      'name: tools',
      'version: 1.0.0',
      'kind: http',
      'http: { base_url: "http://127.0.0.1:9" }',
      'tools:',
      '  - { name: ping, input_schema: { type: object }, http: { method: GET, path: /ping } }',
    ].join('\n');
    expect((await admin('POST', '/v1/projects/desk/connectors/install-from-manifest', { manifest })).status).toBe(201);

    const config = await admin('GET', '/v1/projects/desk/client-config');
    const entry = config.body.claude_desktop.stdio.mcpServers['toolport-desk'] as { command: string; args: string[] };
    // What a user does: paste the snippet and put their key where the placeholder is.
    const args = entry.args.map((a) => (a === '<YOUR_API_KEY>' ? (key.body.key as string) : a));
    expect(args).toContain(key.body.key);
    const elsewhere = mkdtempSync(join(tmpdir(), 'toolport-desktop-'));
    const client = new Client({ name: 'desktop-like', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: entry.command,
        args,
        cwd: elsewhere,
        stderr: 'pipe',
        env: { HOME: elsewhere },
      }),
    );
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toEqual(['tools__ping']);
    } finally {
      await client.close();
    }
  });
});
