import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoApi } from '../helpers/registry-harness.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Generous bound: a blocked event loop (V8 backtracking on `^(a+)+$`) holds every request for minutes.
const BOUND_MS = 20_000;

function manifest(name: string, baseUrl: string, schema: string): string {
  return `
name: ${name}
version: 1.0.0
kind: http
description: Regex test
http:
  base_url: ${baseUrl}
tools:
  - name: check
    description: Checks a word
    input_schema: ${schema}
    http: { method: POST, path: /check }
`;
}

async function call(
  server: ServerProcess,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(BOUND_MS),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('tenant regular expressions never run on the backtracking engine', () => {
  let server: ServerProcess;
  let echo: Awaited<ReturnType<typeof startEchoApi>>;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    echo = await startEchoApi();
    server = await startServerProcess();
    for (const id of ['alpha', 'beta']) {
      expect((await call(server, server.adminToken, 'POST', '/v1/tenants', { id })).status).toBe(201);
    }
    const a = await call(server, server.adminToken, 'POST', '/v1/tenants/alpha/api-keys', {
      name: 'a',
      scopes: ['admin', 'invoke'],
    });
    const b = await call(server, server.adminToken, 'POST', '/v1/tenants/beta/api-keys', {
      name: 'b',
      scopes: ['admin', 'invoke'],
    });
    keyA = a.body.key;
    keyB = b.body.key;
    const evil = manifest(
      'evil',
      echo.url,
      `{ type: object, properties: { word: { type: string, pattern: '^(a+)+$' } }, required: [word] }`,
    );
    const installedA = await call(server, keyA, 'POST', '/v1/projects/default/connectors/install-from-manifest', {
      manifest: evil,
    });
    expect(installedA.status, JSON.stringify(installedA.body)).toBe(201);
    const plain = manifest('plain', echo.url, `{ type: object, properties: { word: { type: string } } }`);
    const installedB = await call(server, keyB, 'POST', '/v1/projects/default/connectors/install-from-manifest', {
      manifest: plain,
    });
    expect(installedB.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    // A server stuck in a regex does not handle SIGTERM; kill it.
    await server?.kill();
    await echo?.close();
  });

  it('answers /health and another tenant while a pathological pattern is checked, then rejects the input', async () => {
    const word = `${'a'.repeat(34)}!`;
    const evilCall = call(server, keyA, 'POST', '/v1/projects/default/tools/evil__check/invoke', {
      arguments: { word },
    });
    const [health, other, evil] = await Promise.all([
      call(server, undefined, 'GET', '/health'),
      call(server, keyB, 'POST', '/v1/projects/default/tools/plain__check/invoke', { arguments: { word: 'hi' } }),
      evilCall,
    ]);
    expect(health.status).toBe(200);
    expect(other.status).toBe(200);
    expect(JSON.stringify(other.body)).toContain('hi');
    expect(evil.status).toBe(400);
    expect(evil.body.error.code).toBe('validation_failed');
    expect(JSON.stringify(evil.body.error)).toContain('/word');
    // The same pattern still accepts what it should.
    const good = await call(server, keyA, 'POST', '/v1/projects/default/tools/evil__check/invoke', {
      arguments: { word: 'aaaa' },
    });
    expect(good.status).toBe(200);
  }, 60_000);

  it('refuses at install, with the location, a pattern the linear-time engine cannot run', async () => {
    const backref = manifest(
      'backref',
      echo.url,
      `{ type: object, properties: { word: { type: string, pattern: '^(a)\\1$' } } }`,
    );
    const res = await call(server, keyA, 'POST', '/v1/projects/default/connectors/install-from-manifest', {
      manifest: backref,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const text = JSON.stringify(res.body.error);
    expect(text).toContain('/tools/0/input_schema/properties/word/pattern');
    expect(text).toMatch(/linear-time/);
    const listed = await call(server, keyA, 'GET', '/v1/projects/default/connectors');
    expect(JSON.stringify(listed.body)).not.toContain('backref');
  }, 30_000);
});
