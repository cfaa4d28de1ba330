import { afterEach, describe, expect, it } from 'vitest';
import type { HttpAuth } from '../../src/manifest/types.js';
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
  type TestServer,
} from './helpers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await closeSources();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** An API that echoes the headers and URL it saw, so tests can read what was sent. */
async function echoApi(): Promise<TestServer> {
  const server = await startServer((req, res) => sendJson(res, { url: req.url, headers: req.headers }));
  servers.push(server);
  return server;
}

const secretConfig = {
  key: { secret: true, required: true },
  user: { secret: false, required: true },
  pass: { secret: true, required: true },
};

async function callWith(auth: HttpAuth, config: Record<string, string>) {
  const api = await echoApi();
  const s = source({
    manifest: manifest({ base_url: api.url, auth }, [tool('get', { path: '/me' })], secretConfig),
    config,
  });
  const result = await s.invoke('get', {});
  expect(result.isError).toBeUndefined();
  return api.requests[0]!;
}

describe('HTTP source auth', () => {
  it('sends an api key in a header with a scheme prefix', async () => {
    const seen = await callWith(
      { type: 'api_key', in: 'header', name: 'Authorization', value: '${config.key}', scheme: 'Token' },
      { key: 'k-123456' },
    );
    expect(seen.headers.authorization).toBe('Token k-123456');
  });

  it('sends an api key in the query', async () => {
    const seen = await callWith(
      { type: 'api_key', in: 'query', name: 'api_key', value: '${config.key}' },
      { key: 'k 1&2' },
    );
    expect(seen.url).toBe('/me?api_key=k%201%262');
  });

  it('sends an api key as a cookie', async () => {
    const seen = await callWith(
      { type: 'api_key', in: 'cookie', name: 'auth', value: '${config.key}' },
      { key: 'k-cookie' },
    );
    expect(seen.headers.cookie).toBe('auth=k-cookie');
  });

  it('sends a bearer token', async () => {
    const seen = await callWith({ type: 'bearer', token: '${config.key}' }, { key: 'bearer-abc' });
    expect(seen.headers.authorization).toBe('Bearer bearer-abc');
  });

  it('sends basic credentials', async () => {
    const seen = await callWith(
      { type: 'basic', username: '${config.user}', password: '${config.pass}' },
      { user: 'ann', pass: 'p@ss:w' },
    );
    expect(seen.headers.authorization).toBe(`Basic ${Buffer.from('ann:p@ss:w').toString('base64')}`);
  });

  it('keeps credentials out of results and logs, even when the API echoes them', async () => {
    const secret = 'sk-live-SECRET-1234567';
    const server = await startServer((req, res) => {
      if (req.url?.startsWith('/fail')) {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end(`forbidden for ${req.url} with ${req.headers['x-api-key']}`);
      } else sendJson(res, { echoed: req.headers['x-api-key'], nested: [{ url: req.url }] });
    });
    servers.push(server);
    const lines: string[] = [];
    const auth: HttpAuth = { type: 'api_key', in: 'header', name: 'X-Api-Key', value: '${config.key}' };
    const s = source({
      manifest: manifest(
        { base_url: server.url, auth, headers: { 'X-Other': '${config.key}' } },
        [tool('ok', { path: '/ok' }), tool('fail', { path: '/fail' })],
        secretConfig,
      ),
      config: { key: secret },
      logger: captureLogger(lines),
    });
    const ok = await s.invoke('ok', {});
    const fail = await s.invoke('fail', {});
    expect(server.requests[0]!.headers['x-api-key']).toBe(secret);
    expect(fail.isError).toBe(true);
    expect(text(fail)).toContain('HTTP 403 Forbidden');
    for (const out of [JSON.stringify(ok), JSON.stringify(fail), JSON.stringify(s.info?.()), ...lines]) {
      expect(out).not.toContain(secret);
    }
    expect(ok.structuredContent).toEqual({ echoed: '[redacted]', nested: [{ url: '/ok' }] });
  });

  it('keeps a query api key out of an error result that quotes the URL', async () => {
    const secret = 'q/s+cr=t&9xyz';
    const server = await startServer((req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`bad request to ${req.url}`);
    });
    servers.push(server);
    const auth: HttpAuth = { type: 'api_key', in: 'query', name: 'key', value: '${config.key}' };
    const s = source({
      manifest: manifest({ base_url: server.url, auth }, [tool('get', { path: '/q' })], secretConfig),
      config: { key: secret },
    });
    const result = await s.invoke('get', {});
    expect(server.requests[0]!.url).toBe(`/q?key=${encodeURIComponent(secret)}`);
    expect(text(result)).toBe('HTTP 400 Bad Request: bad request to /q?key=[redacted]');
  });
});

/** A token endpoint issuing numbered tokens, and an API rejecting revoked ones. */
async function oauthPair(options: { expiresIn?: number; holdTokens?: boolean } = {}) {
  let issued = 0;
  let revoked = new Set<string>();
  // With `holdTokens` the token endpoint answers only once `releaseTokens` is called.
  let releaseTokens!: () => void;
  const tokensReleased = options.holdTokens
    ? new Promise<void>((resolve) => (releaseTokens = resolve))
    : Promise.resolve();
  const tokens = await startServer((req, res) => {
    const n = ++issued;
    void tokensReleased.then(() =>
      sendJson(res, {
        access_token: `tok-${n}-xxxxxxxx`,
        token_type: 'bearer',
        expires_in: options.expiresIn ?? 3600,
      }),
    );
  });
  const api = await startServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer tok-') || revoked.has(auth.slice(7))) sendJson(res, { error: 'invalid_token' }, 401);
    // Echo only the token's serial: the token itself is a secret the source redacts.
    else sendJson(res, { serial: Number(auth.split('-')[1]) });
  });
  servers.push(tokens, api);
  const auth: HttpAuth = {
    type: 'oauth2_client_credentials',
    token_url: `${tokens.url}/oauth/token`,
    client_id: '${config.client_id}',
    client_secret: '${config.client_secret}',
    scopes: ['read', 'write'],
  };
  const now = { value: Date.parse('2025-01-01T00:00:00Z') };
  const s = source({
    manifest: manifest({ base_url: api.url, auth }, [tool('get', { path: '/data' })], {
      client_id: { secret: false, required: true },
      client_secret: { secret: true, required: true },
    }),
    config: { client_id: 'my client', client_secret: 'shh-secret-value' },
    clock: { now: () => now.value },
  });
  return { tokens, api, s, now, releaseTokens, revoke: (t: string) => (revoked = new Set([...revoked, t])) };
}

describe('HTTP source oauth2 client credentials', () => {
  it('fetches a token with the client credentials grant and caches it', async () => {
    const { tokens, api, s } = await oauthPair();
    const first = await s.invoke('get', {});
    const second = await s.invoke('get', {});
    expect(first.structuredContent).toEqual({ serial: 1 });
    expect(second.structuredContent).toEqual({ serial: 1 });
    expect(tokens.requests).toHaveLength(1);
    expect(api.requests).toHaveLength(2);
    const tokenRequest = tokens.requests[0]!;
    expect(tokenRequest.method).toBe('POST');
    expect(tokenRequest.url).toBe('/oauth/token');
    expect(tokenRequest.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(tokenRequest.headers.authorization).toBe(
      `Basic ${Buffer.from('my%20client:shh-secret-value').toString('base64')}`,
    );
    expect(Object.fromEntries(new URLSearchParams(tokenRequest.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'read write',
    });
  });

  it('shares one token request among 10 concurrent calls', async () => {
    const { tokens, api, s, releaseTokens } = await oauthPair({ holdTokens: true });
    const calls = Array.from({ length: 10 }, () => s.invoke('get', {}));
    // The ten calls ask for the token in this tick, before any network event: by the time the first token request
    // is at the server, each has started a fetch of its own or joined the one in flight. The held answer keeps
    // that fetch in flight until then.
    await waitFor(() => tokens.requests.length > 0, 'a token request');
    releaseTokens();
    const results = await Promise.all(calls);
    expect(tokens.requests).toHaveLength(1);
    expect(api.requests).toHaveLength(10);
    for (const r of results) expect(r.structuredContent).toEqual({ serial: 1 });
  });

  it('refreshes the token once it is about to expire', async () => {
    const { tokens, s, now } = await oauthPair({ expiresIn: 120 });
    expect((await s.invoke('get', {})).structuredContent).toEqual({ serial: 1 });
    now.value += 60_000;
    expect((await s.invoke('get', {})).structuredContent).toEqual({ serial: 1 });
    now.value += 50_000; // 110 s of 120: inside the renewal margin
    expect((await s.invoke('get', {})).structuredContent).toEqual({ serial: 2 });
    expect(tokens.requests).toHaveLength(2);
  });

  it('invalidates the token on a 401 and retries once with a fresh one', async () => {
    const { tokens, api, s, revoke } = await oauthPair();
    await s.invoke('get', {});
    revoke('tok-1-xxxxxxxx');
    const result = await s.invoke('get', {});
    expect(result.structuredContent).toEqual({ serial: 2 });
    expect(tokens.requests).toHaveLength(2);
    expect(api.requests).toHaveLength(3);
  });

  it('gives up after one refresh when the API keeps answering 401', async () => {
    const { tokens, api, s, revoke } = await oauthPair();
    for (let i = 1; i <= 3; i++) revoke(`tok-${i}-xxxxxxxx`);
    const result = await s.invoke('get', {});
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('HTTP 401');
    expect(tokens.requests).toHaveLength(2);
    expect(api.requests).toHaveLength(2);
  });

  it('reports a failing token endpoint without leaking the client secret', async () => {
    const tokens = await startServer((req, res) =>
      sendJson(res, { error: 'invalid_client', error_description: `bad ${req.headers.authorization}` }, 401),
    );
    servers.push(tokens);
    const s = source({
      manifest: manifest(
        {
          base_url: 'http://127.0.0.1:9',
          auth: {
            type: 'oauth2_client_credentials',
            token_url: tokens.url,
            client_id: 'id',
            client_secret: '${config.secret}',
            scopes: [],
          },
        },
        [tool('get', {})],
        { secret: { secret: true, required: true } },
      ),
      config: { secret: 'client-secret-xyz' },
    });
    const result = await s.invoke('get', {});
    expect(result.isError).toBe(true);
    expect(text(result)).toBe('oauth2 token request failed: HTTP 401 Unauthorized (invalid_client)');
    expect(new URLSearchParams(tokens.requests[0]!.body).has('scope')).toBe(false);
  });
});
