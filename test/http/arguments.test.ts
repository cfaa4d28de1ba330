import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { closeSources, manifest, sendJson, source, startServer, text, tool, type TestServer } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => sendJson(res, { ok: true }));
});
afterAll(() => server.close());
afterEach(async () => {
  server.requests.length = 0;
  await closeSources();
});

function last() {
  return server.requests.at(-1)!;
}

describe('HTTP source argument mapping', () => {
  it('puts arguments into path, query, header and cookie as the manifest says', async () => {
    const s = source({
      manifest: manifest({ base_url: `${server.url}/api/` }, [
        tool('get', {
          path: '/users/{id}',
          args: { trace: 'header', session: 'cookie', lang: 'cookie', page: 'query' },
          rename: { trace: 'X-Trace-Id', session: 'sid' },
        }),
      ]),
    });
    const result = await s.invoke('get', {
      id: 'a b/c',
      trace: 't-1',
      session: 'x;y',
      lang: 'en',
      page: 2,
      tags: ['p', 'q'],
      f: { a: 1 },
    });
    expect(result.isError).toBeUndefined();
    expect(last().method).toBe('GET');
    expect(last().url).toBe('/api/users/a%20b%2Fc?page=2&tags=p&tags=q&f=%7B%22a%22%3A1%7D');
    expect(last().headers['x-trace-id']).toBe('t-1');
    expect(last().headers.cookie).toBe('sid=x%3By; lang=en');
  });

  it('sends a nested JSON body built from the arguments, not from a string template', async () => {
    const s = source({
      manifest: manifest({ base_url: server.url }, [tool('create', { method: 'POST', path: '/orders/{id}' })]),
    });
    const order = {
      customer: { name: 'Ann "the" Admin', tags: ['a', 'b'] },
      lines: [{ sku: 'x', qty: 2 }],
      note: null,
    };
    await s.invoke('create', { id: 5, ...order });
    expect(last().url).toBe('/orders/5');
    expect(last().headers['content-type']).toBe('application/json');
    expect(JSON.parse(last().body)).toEqual(order);
  });

  it('sends a form-encoded body when body_format is form', async () => {
    const s = source({
      manifest: manifest({ base_url: server.url }, [tool('form', { method: 'POST', path: '/f', body_format: 'form' })]),
    });
    await s.invoke('form', { name: 'a b', ids: [1, 2] });
    expect(last().headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(last().body))).toEqual({ name: 'a b', ids: '2' });
    expect(new URLSearchParams(last().body).getAll('ids')).toEqual(['1', '2']);
  });

  it('sends one argument as the whole body with body_arg, and explicit query args of a PUT', async () => {
    const s = source({
      manifest: manifest({ base_url: server.url }, [
        tool('put', { method: 'PUT', path: '/docs', body_arg: 'doc', args: { dry: 'query' } }),
      ]),
    });
    await s.invoke('put', { doc: [{ a: [1, 2] }, 'x'], dry: true });
    expect(last().method).toBe('PUT');
    expect(last().url).toBe('/docs?dry=true');
    expect(JSON.parse(last().body)).toEqual([{ a: [1, 2] }, 'x']);
  });

  it('defaults unlisted arguments of DELETE to the query', async () => {
    const s = source({
      manifest: manifest({ base_url: server.url }, [tool('del', { method: 'DELETE', path: '/items/{id}' })]),
    });
    await s.invoke('del', { id: 3, force: true });
    expect(last().method).toBe('DELETE');
    expect(last().url).toBe('/items/3?force=true');
    expect(last().body).toBe('');
  });

  it('resolves ${config.KEY} in base_url and headers at call time', async () => {
    const port = String(server.port);
    const s = source({
      manifest: manifest(
        { base_url: 'http://127.0.0.1:${config.port}/v${config.version}', headers: { 'X-Tenant': '${config.tenant}' } },
        [tool('get', { path: '/ping', headers: { 'X-Tool': 'tool-${config.version}' } })],
        {
          port: { secret: false, required: true },
          version: { secret: false, required: false, default: '2' },
          tenant: { secret: false, required: true },
        },
      ),
      config: { port, tenant: 'acme' },
    });
    await s.invoke('get', {});
    expect(last().url).toBe('/v2/ping');
    expect(last().headers['x-tenant']).toBe('acme');
    expect(last().headers['x-tool']).toBe('tool-2');
  });

  it('returns an error result naming a missing config key and sends nothing', async () => {
    const s = source({
      manifest: manifest({ base_url: server.url, headers: { 'X-Key': '${config.api_key}' } }, [tool('get', {})], {
        api_key: { secret: true, required: true },
      }),
    });
    const result = await s.invoke('get', {});
    expect(result.isError).toBe(true);
    expect(text(result)).toBe("missing config value 'api_key'");
    expect(server.requests).toHaveLength(0);
  });

  it('returns an error result for a missing path argument and a header injection attempt', async () => {
    const s = source({
      manifest: manifest({ base_url: server.url }, [tool('get', { path: '/u/{id}', args: { h: 'header' } })]),
    });
    expect(text(await s.invoke('get', {}))).toBe("missing path argument 'id'");
    const injected = await s.invoke('get', { id: 1, h: 'x\r\nX-Admin: 1' });
    expect(injected.isError).toBe(true);
    expect(text(injected)).not.toContain('X-Admin');
    expect(server.requests).toHaveLength(0);
  });
});
