import { afterEach, describe, expect, it } from 'vitest';
import { closeSources, manifest, sendJson, source, startServer, tool, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await closeSources();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('HTTP source connection pooling', () => {
  it('reuses one keep-alive connection across 20 sequential calls', async () => {
    const server = await startServer((_req, res) => sendJson(res, { ok: true }));
    servers.push(server);
    const s = source({
      manifest: manifest({ base_url: server.url }, [tool('get', {}), tool('post', { method: 'POST' })]),
    });
    for (let i = 0; i < 20; i++) {
      const result = await s.invoke(i % 2 === 0 ? 'get' : 'post', { i });
      expect(result.isError).toBeUndefined();
    }
    expect(server.requests).toHaveLength(20);
    expect(server.connections()).toBe(1);
    expect(s.info?.()).toMatchObject({ pooledSockets: 1, idleSockets: 1, activeSockets: 0 });
  });

  it('bounds concurrent sockets by maxSockets', async () => {
    let inFlight = 0;
    let peak = 0;
    // The server holds its answers until three requests are in flight, then answers those three: the calls come
    // in waves of three over the same sockets. A wider pool shows as more connections; a narrower one stalls.
    const held: (() => void)[] = [];
    const server = await startServer((_req, res) => {
      peak = Math.max(peak, ++inFlight);
      held.push(() => {
        inFlight--;
        sendJson(res, { ok: true });
      });
      if (held.length === 3) for (const answer of held.splice(0)) answer();
    });
    servers.push(server);
    const s = source({ manifest: manifest({ base_url: server.url }, [tool('get', {})]), maxSockets: 3 });
    await Promise.all(Array.from({ length: 12 }, () => s.invoke('get', {})));
    expect(peak).toBe(3);
    expect(server.connections()).toBeLessThanOrEqual(3);
  });

  it('closes its sockets on close() and refuses calls afterwards', async () => {
    const server = await startServer((_req, res) => sendJson(res, { ok: true }));
    servers.push(server);
    const s = source({ manifest: manifest({ base_url: server.url }, [tool('get', {})]) });
    await s.invoke('get', {});
    await s.close();
    await s.close();
    expect(s.info?.()).toMatchObject({ pooledSockets: 0 });
    await expect(s.invoke('get', {})).rejects.toMatchObject({ code: 'upstream_unavailable' });
  });
});

describe('HTTP source load, check and info', () => {
  it('lists the manifest tools as definitions', async () => {
    const s = source({
      manifest: manifest({}, [
        tool(
          'get',
          {},
          {
            title: 'Get',
            description: 'Gets.',
            annotations: { readOnlyHint: true },
            input_schema: { type: 'object', properties: { id: { type: 'string' } } },
          },
        ),
      ]),
    });
    expect(await s.load()).toEqual([
      {
        name: 'get',
        title: 'Get',
        description: 'Gets.',
        annotations: { readOnlyHint: true },
        inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
      },
    ]);
  });

  it('reports reachable for any HTTP answer, with status and latency', async () => {
    const server = await startServer((_req, res) => sendJson(res, {}, 404));
    servers.push(server);
    const result = await source({ manifest: manifest({ base_url: `${server.url}/v1` }, []) }).check();
    expect(result).toMatchObject({ ok: true, details: { status: 404 } });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(server.requests[0]).toMatchObject({ method: 'HEAD', url: '/v1' });
  });

  it('reports unreachable when nothing listens', async () => {
    const server = await startServer(() => undefined);
    await server.close();
    const result = await source({ manifest: manifest({ base_url: server.url }, []) }).check();
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^unreachable \(ECONNREFUSED\)/);
  });

  it('shows the base URL without credentials', () => {
    const s = source({ manifest: manifest({ base_url: 'https://user:pw-secret@api.example.com/v1' }, []) });
    expect(s.info?.()).toMatchObject({ baseUrl: 'https://api.example.com/v1', pooledSockets: 0 });
  });

  it('rejects a manifest tool without an HTTP mapping or with an invalid output schema', () => {
    const bad = manifest({}, [{ name: 'x', input_schema: {} }, tool('y', {}, { output_schema: { type: 'nope' } })]);
    expect(() => source({ manifest: bad })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    try {
      source({ manifest: bad });
    } catch (err) {
      expect((err as { details: { issues: { pointer: string }[] } }).details.issues.map((i) => i.pointer)).toEqual([
        '/tools/0/http',
        '/tools/1/output_schema',
      ]);
    }
  });

  it('throws tool_not_found for an unknown tool', async () => {
    await expect(source({ manifest: manifest({}, []) }).invoke('nope', {})).rejects.toMatchObject({
      code: 'tool_not_found',
    });
  });
});
