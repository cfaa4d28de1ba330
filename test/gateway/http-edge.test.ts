import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { type RunningGateway, TOKENS, type TestProvider, createFixtureProvider, startGateway } from './fixtures.js';
import { EchoSource } from './fixtures.js';

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

describe('JSON nesting', () => {
  /** `"leaf"` inside `depth` arrays, as text (JSON.stringify itself overflows on the deepest). */
  const nested = (depth: number): string => `${'['.repeat(depth)}"leaf"${']'.repeat(depth)}`;
  const ENVELOPE = JSON.stringify({
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  });
  /** A tools/call of deep/echo whose arguments hold `depth` arrays: in a 2025 session, or a 2026 request. */
  const callWith = (session: string | undefined, depth: number, id: number) => {
    const args = `{"text":"x","deep":${nested(depth)}}`;
    const meta = session === undefined ? `,"_meta":${ENVELOPE}` : '';
    const era: Record<string, string> =
      session === undefined ? { 'mcp-method': 'tools/call', 'mcp-name': 'echo__echo' } : {};
    return raw('POST', '/mcp/deep', {
      token: TOKENS.tenantA,
      headers: {
        ...(session === undefined ? {} : { 'mcp-session-id': session }),
        'mcp-protocol-version': session === undefined ? '2026-07-28' : '2025-11-25',
        ...era,
      },
      body: `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo__echo","arguments":${args}${meta}}}`,
    });
  };
  const echo = new EchoSource();
  beforeAll(async () => {
    provider.createProject('a', 'deep');
    await provider.install('a', 'deep', 'echo', echo);
  });

  it.each(['2025-11-25', '2026-07-28'])(
    'answers 400 to a body nesting deeper than 128 levels, and serves one under it (%s)',
    async (era) => {
      const session = era === '2025-11-25' ? await initialize('/mcp/deep') : undefined;
      const refused = await callWith(session, 20_000, 3);
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.body).error).toEqual({
        code: -32600,
        message: 'The request body nests arrays and objects more than 128 levels deep.',
      });
      // Body, params, arguments and 120 arrays: 123 levels, under the limit, reach the tool.
      const before = echo.calls.length;
      const served = await callWith(session, 120, 4);
      expect(served.status).toBe(200);
      expect(served.body).toContain('"id":4');
      expect(echo.calls.length).toBe(before + 1);
      expect(JSON.stringify(echo.calls.at(-1)!.args.deep)).toBe(nested(120));
    },
  );

  it('answers 400 to a deep batch-shaped body, which overflowed the SDK and answered 500 before the limit', async () => {
    const res = await raw('POST', '/mcp/deep', { token: TOKENS.tenantA, body: nested(20_000) });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.message).toContain('128 levels');
  });

  it('answers 400 to a deep body on the legacy SSE message endpoint too', async () => {
    const res = await raw('POST', '/sse/p1/messages?sessionId=none', { token: TOKENS.tenantA, body: nested(200) });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.message).toContain('128 levels');
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
