import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import {
  captureLogger,
  closeSources,
  manifest,
  sendJson,
  source,
  startServer,
  text,
  tool,
  type Handler,
  type TestServer,
} from './helpers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await closeSources();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler): Promise<TestServer> {
  const server = await startServer(handler);
  servers.push(server);
  return server;
}

/** Answers with `failures` in order, then 200 `{ok: true}`. */
function failThen(failures: ((res: Parameters<Handler>[1], raw: Parameters<Handler>[2]) => void)[]): Handler {
  let calls = 0;
  return (_req, res, raw) => {
    const failure = failures[calls++];
    if (failure) failure(res, raw);
    else sendJson(res, { ok: true });
  };
}

describe('HTTP source retries', () => {
  it('retries a 503 after the Retry-After the server asked for', async () => {
    const server = await serve(failThen([(res) => sendJson(res, { busy: true }, 503, { 'retry-after': '1' })]));
    const lines: string[] = [];
    const s = source({
      manifest: manifest({ base_url: server.url, retries: 2 }, [tool('get', {})]),
      logger: captureLogger(lines),
    });
    // The wait before the retry runs on a fake clock (setTimeout only; sockets stay real).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const pending = s.invoke('get', {});
      const retrying = await waitFor(
        () => lines.find((l) => l.includes('retrying after HTTP status')),
        'the retry to be scheduled',
      );
      // The test's backoff is 5–20 ms: a one-second wait can only come from Retry-After.
      expect(JSON.parse(retrying)).toMatchObject({ status: 503, delayMs: 1000 });
      await vi.advanceTimersByTimeAsync(999);
      expect(server.requests).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      const result = await pending;
      expect(result.structuredContent).toEqual({ ok: true });
      expect(server.requests).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries a POST on 429 and 503, but not on 500', async () => {
    const busy = await serve(
      failThen([(res) => sendJson(res, {}, 429, { 'retry-after': '0' }), (res) => sendJson(res, {}, 503)]),
    );
    const s1 = source({ manifest: manifest({ base_url: busy.url, retries: 3 }, [tool('post', { method: 'POST' })]) });
    expect((await s1.invoke('post', { a: 1 })).structuredContent).toEqual({ ok: true });
    expect(busy.requests).toHaveLength(3);

    const broken = await serve(failThen([(res) => sendJson(res, { error: 'boom' }, 500)]));
    const s2 = source({ manifest: manifest({ base_url: broken.url, retries: 3 }, [tool('post', { method: 'POST' })]) });
    const result = await s2.invoke('post', { a: 1 });
    expect(result.isError).toBe(true);
    expect(text(result)).toBe('HTTP 500 Internal Server Error: {"error":"boom"}');
    expect(broken.requests).toHaveLength(1);
  });

  it('retries a GET on 5xx up to the retry count, then reports the last status', async () => {
    const server = await serve((_req, res) => sendJson(res, {}, 502));
    const s = source({ manifest: manifest({ base_url: server.url, retries: 1 }, [tool('get', { retries: 2 })]) });
    const result = await s.invoke('get', {});
    expect(text(result)).toMatch(/^HTTP 502 Bad Gateway/);
    expect(server.requests).toHaveLength(3);
  });

  it('does not wait for a Retry-After beyond the cap', async () => {
    const server = await serve((_req, res) => sendJson(res, {}, 503, { 'retry-after': '3600' }));
    const s = source({ manifest: manifest({ base_url: server.url, retries: 3 }, [tool('get', {})]) });
    expect(text(await s.invoke('get', {}))).toMatch(/^HTTP 503/);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a GET after the connection is reset', async () => {
    const server = await serve(failThen([(_res, raw) => raw.socket.destroy()]));
    const s = source({ manifest: manifest({ base_url: server.url, retries: 1 }, [tool('get', {})]) });
    const result = await s.invoke('get', {});
    expect(result.structuredContent).toEqual({ ok: true });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a POST whose fresh connection was reset', async () => {
    const server = await serve(failThen([(_res, raw) => raw.socket.destroy()]));
    const s = source({ manifest: manifest({ base_url: server.url, retries: 3 }, [tool('post', { method: 'POST' })]) });
    const result = await s.invoke('post', { a: 1 });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^network error \(ECONNRESET\)/);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a connection refusal for any method', async () => {
    const server = await serve(() => undefined);
    const port = server.port;
    await server.close();
    servers.length = 0;
    const lines: string[] = [];
    const s = source({
      manifest: manifest({ base_url: `http://127.0.0.1:${port}`, retries: 2 }, [tool('post', { method: 'POST' })]),
      logger: captureLogger(lines),
    });
    const result = await s.invoke('post', {});
    expect(text(result)).toMatch(/^network error \(ECONNREFUSED\)/);
    expect(lines.filter((l) => l.includes('retrying after network error'))).toHaveLength(2);
  });
});

describe('HTTP source timeouts', () => {
  it('ends a call that exceeds the tool timeout with an error result', async () => {
    const server = await serve(() => undefined); // never answers
    const s = source({
      manifest: manifest({ base_url: server.url, timeout_ms: 10_000, retries: 3 }, [tool('slow', { timeout_ms: 150 })]),
    });
    const result = await s.invoke('slow', {});
    expect(result).toEqual({ content: [{ type: 'text', text: 'timed out after 150 ms' }], isError: true });
    expect(server.requests).toHaveLength(1);
  });

  it('stops when the caller cancels', async () => {
    const server = await serve(() => undefined);
    const s = source({ manifest: manifest({ base_url: server.url }, [tool('slow', {})]) });
    const controller = new AbortController();
    const pending = s.invoke('slow', {}, { signal: controller.signal });
    // Cancel while the request is at the server (it never answers).
    await waitFor(() => server.requests.length === 1, 'the request to reach the server');
    controller.abort();
    expect(text(await pending)).toBe('the call was cancelled');
  });

  it('stops a slow body at the timeout', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const s = source({ manifest: manifest({ base_url: server.url, timeout_ms: 150 }, [tool('slow', {})]) });
    expect(text(await s.invoke('slow', {}))).toBe('timed out after 150 ms');
  });
});
