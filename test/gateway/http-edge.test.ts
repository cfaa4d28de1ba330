import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { type RunningGateway, TOKENS, type TestProvider, createFixtureProvider, startGateway } from './fixtures.js';

let provider: TestProvider;
let gw: RunningGateway;

beforeAll(async () => {
  provider = await createFixtureProvider();
  gw = await startGateway(provider, {
    maxBodyBytes: 64 * 1024,
    allowedOrigins: ['localhost', 'https://console.example.com'],
  });
});
afterAll(async () => {
  await gw.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP exchange with full control over headers (fetch would not let us forge Host). */
function raw(
  method: string,
  path: string,
  options: { token?: string; headers?: Record<string, string>; body?: unknown; base?: string } = {},
): Promise<RawResponse> {
  const url = new URL(path, options.base ?? gw.baseUrl);
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    Accept: 'application/json, text/event-stream',
    ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };

async function initialize(path = '/mcp/p1', token: string = TOKENS.tenantA, base?: string): Promise<string> {
  const res = await raw('POST', path, { token, body: INITIALIZE, ...(base ? { base } : {}) });
  expect(res.status).toBe(200);
  const id = res.headers['mcp-session-id'];
  expect(typeof id).toBe('string');
  return id as string;
}

describe('authentication and tenancy', () => {
  it('answers 401 with a WWW-Authenticate challenge without a token', async () => {
    const res = await raw('POST', '/mcp/p1', { body: INITIALIZE });
    expect(res.status).toBe(401);
    // The challenge tells a client (and its user) that an API key is expected and where one comes from.
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="toolport", error_description="[^"]*API key/);
    expect(res.headers['www-authenticate']).toContain('toolport keys create');
    expect(JSON.parse(res.body).error.message).toContain('bearer token');
  });

  it('answers 401 invalid_token for an unknown token', async () => {
    const res = await raw('POST', '/mcp/p1', { token: 'nope', body: INITIALIZE });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('answers 403 to a key without the invoke scope', async () => {
    const res = await raw('POST', '/mcp/p1', { token: TOKENS.adminOnly, body: INITIALIZE });
    expect(res.status).toBe(403);
  });

  it("answers 404 for another tenant's project or connector, same as for a missing one", async () => {
    const otherTenants = await raw('POST', '/mcp/p2', { token: TOKENS.tenantB, body: INITIALIZE });
    const missing = await raw('POST', '/mcp/nothing-here', { token: TOKENS.tenantB, body: INITIALIZE });
    expect(otherTenants.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(otherTenants.body).toBe(missing.body);
    // Tenant b has a connector `secret` in its own p1; tenant a's p1 has none.
    expect((await raw('POST', '/mcp/p1/secret', { token: TOKENS.tenantA, body: INITIALIZE })).status).toBe(404);
    expect((await raw('GET', '/sse/p2', { token: TOKENS.tenantB })).status).toBe(404);
  });

  it('lets the operator token act in tenant default, or in the tenant X-Tenant-Id names', async () => {
    await initialize('/mcp/demo', TOKENS.operator);
    expect((await raw('POST', '/mcp/p1', { token: TOKENS.operator, body: INITIALIZE })).status).toBe(404);
    const res = await raw('POST', '/mcp/p1', {
      token: TOKENS.operator,
      headers: { 'X-Tenant-Id': 'a' },
      body: INITIALIZE,
    });
    expect(res.status).toBe(200);
  });

  it('refuses a session id presented on another endpoint or by another tenant', async () => {
    const id = await initialize('/mcp/p1');
    const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
    expect((await raw('POST', '/mcp/p1', { token: TOKENS.tenantA, headers, body: LIST })).status).toBe(200);
    expect((await raw('POST', '/mcp/p2', { token: TOKENS.tenantA, headers, body: LIST })).status).toBe(404);
    expect((await raw('POST', '/mcp/p1', { token: TOKENS.tenantB, headers, body: LIST })).status).toBe(404);
  });
});

describe('DNS rebinding protection and limits', () => {
  it('answers 403 to a Host that is not allowed', async () => {
    const res = await raw('POST', '/mcp/p1', {
      token: TOKENS.tenantA,
      headers: { Host: 'evil.example.com' },
      body: INITIALIZE,
    });
    expect(res.status).toBe(403);
  });

  it('accepts the loopback names with any port', async () => {
    for (const host of ['localhost:1234', '127.0.0.1', '[::1]:8090']) {
      const res = await raw('POST', '/mcp/p1', { token: TOKENS.tenantA, headers: { Host: host }, body: INITIALIZE });
      expect(res.status).toBe(200);
    }
  });

  it('checks Origin when present: allowed hostnames and exact origins pass, others get 403', async () => {
    const post = (origin: string) =>
      raw('POST', '/mcp/p1', { token: TOKENS.tenantA, headers: { Origin: origin }, body: INITIALIZE });
    expect((await post('http://localhost:5173')).status).toBe(200);
    expect((await post('https://console.example.com')).status).toBe(200);
    expect((await post('http://console.example.com')).status).toBe(403);
    expect((await post('http://evil.example.com')).status).toBe(403);
    expect((await post('null')).status).toBe(403);
  });

  it('answers 413 to a body over the limit, before any MCP handling', async () => {
    const big = { ...LIST, params: { pad: 'x'.repeat(100 * 1024) } };
    const res = await raw('POST', '/mcp/p1', { token: TOKENS.tenantA, body: big });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.message).toContain('65536');
  });

  it('answers 400 parse error to invalid JSON', async () => {
    const res = await raw('POST', '/mcp/p1', { token: TOKENS.tenantA, body: '{"jsonrpc":' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe(-32700);
  });
});

describe('sessions', () => {
  it('answers 404 for an unknown session and 400 for a non-initialize request without one', async () => {
    const unknown = await raw('POST', '/mcp/p1', {
      token: TOKENS.tenantA,
      headers: { 'mcp-session-id': 'nope' },
      body: LIST,
    });
    expect(unknown.status).toBe(404);
    const without = await raw('POST', '/mcp/p1', { token: TOKENS.tenantA, body: LIST });
    expect(without.status).toBe(400);
  });

  it('ends a session on DELETE', async () => {
    const before = gw.gateway.stats().sessions;
    const id = await initialize();
    expect(gw.gateway.stats().sessions).toBe(before + 1);
    const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
    expect((await raw('DELETE', '/mcp/p1', { token: TOKENS.tenantA, headers })).status).toBe(200);
    expect(gw.gateway.stats().sessions).toBe(before);
    expect((await raw('POST', '/mcp/p1', { token: TOKENS.tenantA, headers, body: LIST })).status).toBe(404);
  });

  // The session table sweeps on an interval against Date.now(): a fake clock (those two only; sockets and the
  // helpers' own timers stay real) moves idle time without waiting for it.
  it('expires idle sessions and frees them', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const short = await startGateway(provider, { sessionIdleMs: 150 });
    try {
      const id = await initialize('/mcp/p1', TOKENS.tenantA, short.baseUrl);
      expect(short.gateway.stats().sessions).toBe(1);
      const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
      const list = () => raw('POST', '/mcp/p1', { base: short.baseUrl, token: TOKENS.tenantA, headers, body: LIST });
      // Not idle yet at 100 ms (positive control for the expiry below): the session still answers.
      vi.advanceTimersByTime(100);
      expect((await list()).status).toBe(200);
      vi.advanceTimersByTime(200);
      await waitFor(() => short.gateway.stats().sessions === 0, 'the idle session to be closed');
      expect((await list()).status).toBe(404);
    } finally {
      vi.useRealTimers();
      await short.close();
    }
  });

  it('keeps a session that is used alive past its idle time', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const short = await startGateway(provider, { sessionIdleMs: 300 });
    try {
      const id = await initialize('/mcp/p1', TOKENS.tenantA, short.baseUrl);
      const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
      for (let i = 0; i < 6; i++) {
        vi.advanceTimersByTime(200);
        const res = await raw('POST', '/mcp/p1', { base: short.baseUrl, token: TOKENS.tenantA, headers, body: LIST });
        expect(res.status).toBe(200);
      }
      expect(short.gateway.stats().sessions).toBe(1);
      // Positive control: left alone past its idle time, the same session goes.
      vi.advanceTimersByTime(400);
      await waitFor(() => short.gateway.stats().sessions === 0, 'the idle session to be closed');
    } finally {
      vi.useRealTimers();
      await short.close();
    }
  });

  it('stops listening to the provider when closed', async () => {
    const other = await startGateway(provider);
    const before = provider.listenerCount;
    await other.close();
    expect(provider.listenerCount).toBe(before - 1);
  });
});
