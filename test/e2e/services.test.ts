import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const SCRIPT = `
import asyncio
from typing import Literal


def add(a: int, b: int = 2) -> int:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    print("adding", a, b)
    return a + b


async def greet(name: str, tone: Literal["warm", "cold"] = "warm") -> dict:
    """Greet someone."""
    await asyncio.sleep(0)
    return {"greeting": ("Hello, " if tone == "warm" else "Hi, ") + name}


def explode(message: str) -> str:
    """Always fails."""
    raise ValueError(message)


def _private():
    return 1
`;

const CLI_SCRIPT = `
import argparse

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Repeat a word")
    parser.add_argument("--word", required=True, help="word to repeat")
    parser.add_argument("--times", type=int, default=2, help="how often")
    args = parser.parse_args()
    if not args.word.strip():
        parser.error("word must not be blank")
    print(" ".join([args.word] * args.times))
`;

async function upload(server: ServerProcess, token: string, filename: string, content: string): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'text/x-python' }), filename);
  return fetch(`${server.url}/api/v1/upload_script`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
}

describe('Python scripts become services (end to end)', () => {
  let server: ServerProcess;
  let api: ReturnType<typeof createRestClient>;
  let scriptId: string;

  beforeAll(async () => {
    server = await startServerProcess();
    api = createRestClient(server.url, server.adminToken);
    const res = await upload(server, server.adminToken, 'calc.py', SCRIPT);
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      script_id: string;
      analysis: { functions: { name: string }[]; skipped: { name: string }[] };
    };
    scriptId = body.script_id;
    expect(body.analysis.functions.map((f) => f.name).sort()).toEqual(['add', 'explode', 'greet']);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a script with a syntax error, naming the line', async () => {
    const res = await upload(server, server.adminToken, 'broken.py', 'def f(:\n  pass\n');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toMatch(/line 1/);
  });

  it('lists, searches and discovers scripts', async () => {
    const listed = await api('GET', '/api/v1/scripts?search=calc');
    expect(listed.status).toBe(200);
    expect(listed.body.scripts.map((s: { filename: string }) => s.filename)).toEqual(['calc.py']);
    const discovered = await api('POST', `/api/v1/scripts/${scriptId}/discover`);
    expect(discovered.status).toBe(200);
    const add = discovered.body.analysis.functions.find((f: { name: string }) => f.name === 'add');
    expect(add.inputSchema).toMatchObject({
      type: 'object',
      properties: { a: { type: 'integer', description: 'The first number.' }, b: { type: 'integer', default: 2 } },
      required: ['a'],
    });
    const content = await fetch(`${server.url}/api/v1/scripts/${scriptId}/content`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(await content.text()).toContain('def add(');
  });

  it('generates a service, activates it and serves it to an MCP client', async () => {
    const generated = await api('POST', `/api/v1/scripts/${scriptId}/generate_mcp_wrapper`, {
      service_name: 'calc',
      functions: ['add', 'greet', 'explode'],
      auto_activate: true,
    });
    expect(generated.status).toBe(201);
    expect(generated.body.service).toMatchObject({
      service_id: 'calc',
      type: 'function',
      hosting_mode: 'sse',
      script_id: scriptId,
      status: 'active',
    });

    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp/default/calc`), {
        requestInit: { headers: { authorization: `Bearer ${server.adminToken}` } },
      }),
    );
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name).sort()).toEqual(['add', 'explode', 'greet']);
      const sum = await client.callTool({ name: 'add', arguments: { a: 40 } });
      expect(sum.isError).toBeFalsy();
      expect(sum.structuredContent).toEqual({ result: 42 });
      expect(JSON.stringify(sum.content)).toContain('adding 40 2');
      const hello = await client.callTool({ name: 'greet', arguments: { name: 'Ada', tone: 'cold' } });
      expect(hello.structuredContent).toEqual({ greeting: 'Hi, Ada' });
      const boom = await client.callTool({ name: 'explode', arguments: { message: 'kaput' } });
      expect(boom.isError).toBe(true);
      expect(JSON.stringify(boom.content)).toContain('ValueError: kaput');
    } finally {
      await client.close();
    }
  });

  it('serves the /api/v1/services routes with their documented shapes', async () => {
    const list = await api('GET', '/api/v1/services/?status=active');
    expect(list.status).toBe(200);
    const calc = list.body.services.find((s: { service_id: string }) => s.service_id === 'calc');
    for (const field of [
      'service_id',
      'name',
      'description',
      'type',
      'hosting_mode',
      'script_id',
      'tools',
      'routes',
      'status',
      'created_at',
      'updated_at',
      'config',
      'metadata',
    ]) {
      expect(calc, field).toHaveProperty(field);
    }
    expect((await api('GET', '/api/v1/services/calc/tools')).body.tools).toHaveLength(3);
    const deactivated = await api('POST', '/api/v1/services/calc/deactivate');
    expect(deactivated.body.status).toBe('inactive');
    expect(
      (await api('GET', '/api/v1/services/?status=active')).body.services.map(
        (s: { service_id: string }) => s.service_id,
      ),
    ).not.toContain('calc');
    const activated = await api('POST', '/api/v1/services/calc/activate');
    expect(activated.body.status).toBe('active');
    const checked = await api('POST', '/api/v1/services/calc/health');
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ service_id: 'calc', healthy: true });
    const overview = await api('GET', '/api/v1/services/stats/overview');
    expect(overview.body.registry).toMatchObject({
      total_services: 1,
      by_type: { function: 1 },
      by_hosting_mode: { sse: 1 },
    });
    expect(overview.body.health).toMatchObject({ healthy: 1, unhealthy: 0 });
    expect(typeof overview.body.health.average_response_time_ms).toBe('number');
    expect((await api('DELETE', `/api/v1/scripts/${scriptId}`)).status).toBe(409);
  });

  it('offers the generated wrapper, runnable with nothing but Python', async () => {
    const res = await fetch(`${server.url}/api/v1/services/calc/wrapper`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(res.status).toBe(200);
    const file = join(server.dataDir, 'calc_wrapper.py');
    writeFileSync(file, await res.text());
    const client = new Client({ name: 'wrapper', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: 'python3', args: [file], env: { PATH: process.env.PATH ?? '' } }),
    );
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['add', 'explode', 'greet']);
      expect((await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } })).structuredContent).toEqual({
        result: 2,
      });
    } finally {
      await client.close();
    }
  });

  it('runs a script-mode service with its argparse parameters', async () => {
    const res = await upload(server, server.adminToken, 'repeat.py', CLI_SCRIPT);
    const id = ((await res.json()) as { script_id: string }).script_id;
    const generated = await api('POST', `/api/v1/scripts/${id}/generate_mcp_wrapper`, {
      service_name: 'repeat',
      type: 'executable',
      auto_activate: true,
    });
    expect(generated.status).toBe(201);
    expect(generated.body.service.type).toBe('executable');
    const out = await api('POST', '/v1/projects/default/tools/repeat__repeat/invoke', {
      arguments: { word: 'hey', times: 3 },
    });
    expect(out.status).toBe(200);
    expect(out.body.structuredContent).toMatchObject({ exit_code: 0 });
    expect(out.body.structuredContent.stdout).toContain('hey hey hey');
    // The parser's description is the service's; its errors name the uploaded file, not the content hash.
    expect(generated.body.service.description).toBe('Repeat a word');
    const bad = await api('POST', '/v1/projects/default/tools/repeat__repeat/invoke', { arguments: { word: ' ' } });
    expect(bad.body.structuredContent).toMatchObject({ exit_code: 2 });
    expect(bad.body.structuredContent.stderr).toContain('repeat.py: error: word must not be blank');
    expect(bad.body.structuredContent.stderr).not.toContain(id);
  });

  it('registers a service from a manifest through /api/v1/services/register', async () => {
    const manifest = {
      name: 'remote',
      version: '1.0.0',
      kind: 'http',
      http: { base_url: 'http://127.0.0.1:9' },
      tools: [{ name: 'ping', input_schema: { type: 'object' }, http: { method: 'GET', path: '/ping' } }],
    };
    const res = await api('POST', '/api/v1/services/register', { name: 'remote', manifest, hosting_mode: 'stdio' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ service_id: 'remote', type: 'http', hosting_mode: 'stdio', status: 'inactive' });
    expect((await api('DELETE', '/api/v1/services/remote')).status).toBe(204);
    expect((await api('GET', '/api/v1/services/remote')).status).toBe(404);
  });
});
