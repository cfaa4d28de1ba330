import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { detectBwrap, limitMode } from '../../src/sources/python/index.js';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const TOOLS = `
import os, time

from helpers import greeting


def hello(name: str) -> str:
    return greeting(name)


def fork_many(count: int) -> int:
    children = []
    try:
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            children.append(pid)
    finally:
        for pid in children:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    return len(children)
`;

const manifest = (script: string): string =>
  `name: tools\nversion: 1.0.0\nkind: python\npython:\n  script: ${script}\n  max_workers: 1\n`;

/** A server, a tenant `acme` with an admin+invoke key, and its project `p1`. */
async function startWithTenant(env: Record<string, string>): Promise<{
  server: ServerProcess;
  tenant: ReturnType<typeof createRestClient>;
  key: string;
}> {
  const server = await startServerProcess({ env: { TOOLPORT_LOG_LEVEL: 'warn', ...env } });
  const admin = createRestClient(server.url, server.adminToken);
  expect((await admin('POST', '/v1/tenants', { id: 'acme' })).status).toBe(201);
  const created = await admin('POST', '/v1/tenants/acme/api-keys', { name: 'acme', scopes: ['admin', 'invoke'] });
  const key = created.body.key as string;
  const tenant = createRestClient(server.url, key);
  expect((await tenant('POST', '/v1/projects', { id: 'p1' })).status).toBe(201);
  return { server, tenant, key };
}

async function upload(server: ServerProcess, token: string, content: string): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'text/x-python' }), 'up.py');
  return fetch(`${server.url}/api/v1/upload_script`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
}

describe('tenant python code on a started server', async () => {
  const roots = mkdtempSync(join(tmpdir(), 'toolport-roots-'));
  const script = join(roots, 'tools.py');
  writeFileSync(script, TOOLS);
  writeFileSync(join(roots, 'helpers.py'), 'def greeting(name):\n    return "hello " + name\n');
  const missingBwrap = join(roots, 'no-such-bwrap');
  const servers: ServerProcess[] = [];
  const bwrap = await detectBwrap();
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(roots, { recursive: true, force: true });
  });

  describe('without bubblewrap', () => {
    let refused: Awaited<ReturnType<typeof startWithTenant>>;
    let allowed: Awaited<ReturnType<typeof startWithTenant>>;

    beforeAll(async () => {
      refused = await startWithTenant({ TOOLPORT_BWRAP_PATH: missingBwrap, TOOLPORT_FILE_ROOTS: roots });
      allowed = await startWithTenant({
        TOOLPORT_BWRAP_PATH: missingBwrap,
        TOOLPORT_FILE_ROOTS: roots,
        TOOLPORT_ALLOW_UNSANDBOXED: '1',
      });
      servers.push(refused.server, allowed.server);
    });

    it('warns at start, puts a tenant connector in status error naming TOOLPORT_ALLOW_UNSANDBOXED', async () => {
      const res = await refused.tenant('POST', '/v1/projects/p1/connectors/install-from-manifest', {
        manifest: manifest(script),
      });
      expect(res.status).toBeLessThan(300);
      const connector = await refused.tenant('GET', '/v1/projects/p1/connectors/tools');
      expect(connector.body).toMatchObject({ status: 'error' });
      expect(connector.body.status_reason).toMatch(/runs only sandboxed.*TOOLPORT_ALLOW_UNSANDBOXED=1/);
      expect(refused.server.output()).toMatch(/bubblewrap is unavailable: tenant python connectors .* refused/);
    });

    it('refuses to analyse a tenant upload, naming TOOLPORT_ALLOW_UNSANDBOXED', async () => {
      const res = await upload(refused.server, refused.key, 'def f() -> int:\n    return 1\n');
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
        'TOOLPORT_ALLOW_UNSANDBOXED',
      );
    });

    it('runs tenant code unsandboxed when the operator allows it, and says so in the runtime info', async () => {
      await allowed.tenant('POST', '/v1/projects/p1/connectors/install-from-manifest', { manifest: manifest(script) });
      const connector = await allowed.tenant('GET', '/v1/projects/p1/connectors/tools');
      expect(connector.body).toMatchObject({ status: 'active', runtime: { sandboxed: false, trust: 'tenant' } });
      expect((await upload(allowed.server, allowed.key, 'def f() -> int:\n    return 1\n')).status).toBe(201);
    });
  });

  describe.skipIf(!bwrap.available)('sandboxed, over MCP', () => {
    let started: Awaited<ReturnType<typeof startWithTenant>>;
    let client: Client;

    beforeAll(async () => {
      started = await startWithTenant({ TOOLPORT_FILE_ROOTS: roots, TOOLPORT_PYTHON_MAX_PROCESSES: '16' });
      servers.push(started.server);
      const res = await started.tenant('POST', '/v1/projects/p1/connectors/install-from-manifest', {
        manifest: manifest(script),
      });
      expect(res.status).toBeLessThan(300);
      client = new Client({ name: 'e2e', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${started.server.url}/mcp/p1/tools`), {
          requestInit: { headers: { authorization: `Bearer ${started.key}` } },
        }),
      );
    });
    afterAll(async () => {
      await client?.close();
    });

    it('imports a sibling module of a file-root script (its folder is bound read-only)', async () => {
      const result = await client.callTool({ name: 'hello', arguments: { name: 'Ada' } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ result: 'hello Ada' });
    });

    it.skipIf(limitMode() === 'rlimit')(
      'bounds 500 forks with an error naming TOOLPORT_PYTHON_MAX_PROCESSES; the server stays fine',
      async () => {
        const result = await client.callTool({ name: 'fork_many', arguments: { count: 500 } });
        expect(result.isError).toBe(true);
        expect(JSON.stringify(result.content)).toMatch(/process limit \(16 processes; TOOLPORT_PYTHON_MAX_PROCESSES/);
        expect((await fetch(`${started.server.url}/health`)).status).toBe(200);
        const again = await client.callTool({ name: 'hello', arguments: { name: 'Bo' } });
        expect(again.structuredContent).toEqual({ result: 'hello Bo' });
        const connector = await started.tenant('GET', '/v1/projects/p1/connectors/tools');
        expect(connector.body.runtime).toMatchObject({
          sandboxed: true,
          trust: 'tenant',
          limits: { maxProcesses: 16 },
        });
      },
    );
  });
});
