import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** Sends exactly `body` (possibly an incomplete multipart document) and reads the answer. */
function rawPost(
  url: string,
  token: string,
  contentType: string,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, 'Content-Length': body.length },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function upload(server: ServerProcess, token: string, filename: string, content: string) {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'text/x-python' }), filename);
  const res = await fetch(`${server.url}/api/v1/upload_script`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

describe('client mistakes are 4xx with the reason, never 500', () => {
  let server: ServerProcess;
  let admin: ReturnType<typeof createRestClient>;
  let tenantKey: string;

  beforeAll(async () => {
    server = await startServerProcess();
    admin = createRestClient(server.url, server.adminToken);
    expect((await admin('POST', '/v1/tenants', { id: 'errs' })).status).toBe(201);
    const key = await admin('POST', '/v1/tenants/errs/api-keys', { name: 'k', scopes: ['admin', 'invoke'] });
    tenantKey = key.body.key as string;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('MCP and SSE answer 404 when the operator token names a missing tenant in X-Tenant-Id', async () => {
    const headers = {
      Authorization: `Bearer ${server.adminToken}`,
      'X-Tenant-Id': 'no-such-tenant',
      Accept: 'application/json, text/event-stream',
    };
    const rest = await fetch(`${server.url}/v1/projects`, { headers });
    expect(rest.status).toBe(404);
    const mcp = await fetch(`${server.url}/mcp/default`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify(INITIALIZE),
    });
    expect(mcp.status).toBe(404);
    expect(((await mcp.json()) as { error: { message: string } }).error.message).toMatch(/tenant/i);
    const sse = await fetch(`${server.url}/sse/default`, { headers });
    expect(sse.status).toBe(404);
    await sse.body?.cancel();
  });

  it('upload_script answers 400 for a truncated multipart body', async () => {
    const boundary = 'xxBOUNDARYxx';
    const full = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.py"\r\n` +
        `Content-Type: text/x-python\r\n\r\ndef f(x: int) -> int:\n    return x\n\r\n--${boundary}--\r\n`,
    );
    for (const cut of [full.length - 20, 60, 10]) {
      const res = await rawPost(
        `${server.url}/api/v1/upload_script`,
        tenantKey,
        `multipart/form-data; boundary=${boundary}`,
        full.subarray(0, cut),
      );
      expect(res.status, `cut at ${cut}: ${res.text}`).toBe(400);
      expect(JSON.parse(res.text).error.message).toMatch(/multipart/i);
    }
  });

  it.each([
    ['os._exit at import', 'import os\nos._exit(3)\n', /exit 3/],
    ['a segfault through ctypes', 'import ctypes\nctypes.string_at(0)\n', /signal|exit 139|SIGSEGV/],
  ])('upload_script answers 422 with the reason for a script that dies in analysis (%s)', async (_n, code, why) => {
    const res = await upload(server, tenantKey, 'dies.py', `${code}\ndef f(x: int) -> int:\n    return x\n`);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.error?.code).toBe('unprocessable');
    expect(res.body.error?.message).toMatch(/analysis/);
    expect(res.body.error?.message).toMatch(why);
  });

  // A top-level sys.exit is normal for a script-mode (CLI) script: the runner catches it and the upload is kept,
  // with the exit reported as the analysis' import_error rather than failing the request.
  it.each([
    ['raise SystemExit', 'raise SystemExit(4)\n', 'SystemExit: 4'],
    ['sys.exit with a message', 'import sys\nsys.exit("bye")\n', 'SystemExit: bye'],
  ])('upload_script keeps a script that calls %s at import and reports it', async (_n, code, reported) => {
    const res = await upload(server, tenantKey, 'exits.py', code);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((res.body as { analysis?: { import_error?: string } }).analysis?.import_error).toBe(reported);
  });
});
