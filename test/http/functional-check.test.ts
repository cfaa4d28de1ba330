import { afterEach, describe, expect, it } from 'vitest';
import { closeSources, manifest, sendJson, source, startServer, tool, type TestServer } from './helpers.js';

/** Health by real execution: without a declared probe, an HTTP connector's check runs a tool that is safe to run. */
describe('HTTP health check without a probe', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await closeSources();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  const tools = [
    tool('create', { method: 'POST', path: '/items' }),
    tool(
      'get_one',
      { method: 'GET', path: '/items/{id}' },
      { input_schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } },
    ),
    tool('list', { method: 'GET', path: '/items' }),
  ];

  it('runs the read-only tool without required arguments and names it', async () => {
    const server = await startServer((_req, res) => sendJson(res, []));
    servers.push(server);
    const result = await source({ manifest: manifest({ base_url: server.url }, tools) }).check();
    expect(result).toMatchObject({ ok: true, details: { tool: 'list', status: 200 } });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /items']);
  });

  it('fails on a 5xx answer of the tool, and recovers when the service does', async () => {
    let status = 503;
    const server = await startServer((_req, res) => sendJson(res, { down: status >= 500 }, status));
    servers.push(server);
    const http = source({ manifest: manifest({ base_url: server.url, retries: 0 }, tools) });
    const down = await http.check();
    expect(down).toMatchObject({ ok: false, message: 'tool list: HTTP 503', details: { tool: 'list', status: 503 } });
    status = 200;
    expect(await http.check()).toMatchObject({ ok: true, details: { status: 200 } });
  });

  it('says why it fell back to the base URL when no tool is safe to run', async () => {
    const server = await startServer((_req, res) => sendJson(res, {}, 502));
    servers.push(server);
    const result = await source({ manifest: manifest({ base_url: server.url }, tools.slice(0, 2)) }).check();
    expect(result.ok).toBe(false);
    expect(result.details).toMatchObject({ tool: null, status: 502 });
    expect(String(result.details?.reason)).toContain('no tool is safe');
    expect(server.requests[0]?.method).toBe('HEAD');
  });
});
