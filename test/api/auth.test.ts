import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { ADMIN_TOKEN, createHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

describe('authentication', () => {
  it('answers /health and /openapi.json without a token and everything else with 401 and the error shape', async () => {
    expect((await h.call(null, { method: 'GET', url: '/health' })).statusCode).toBe(200);
    const openapi = await h.call(null, { method: 'GET', url: '/openapi.json' });
    expect([openapi.statusCode, openapi.json().openapi]).toEqual([200, '3.1.0']);
    for (const url of ['/v1/projects', '/metrics', '/v1/tenants', '/v1/projects/default/tools']) {
      const res = await h.call(null, { method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String), details: {} } });
    }
  });

  it('rejects unknown tokens, malformed headers and near-miss admin tokens with 401', async () => {
    for (const authorization of [
      `Bearer ${ADMIN_TOKEN}x`,
      `Basic ${ADMIN_TOKEN}`,
      'Bearer',
      `Bearer tp_${'a'.repeat(43)}`,
      ADMIN_TOKEN,
    ]) {
      const res = await h.app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
    }
  });

  it('lets the admin token act in another tenant through X-Tenant-Id, and 404s an unknown tenant', async () => {
    await h.tenantWithKey('acme', ['admin']);
    const own = await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/projects',
      headers: { 'x-tenant-id': 'acme' },
      payload: { id: 'p1' },
    });
    expect(own.statusCode).toBe(201);
    expect(own.json()).toMatchObject({ tenant_id: 'acme', id: 'p1' });
    expect(await h.store.getProject('default', 'p1')).toBeNull();
    const missing = await h.call(ADMIN_TOKEN, {
      method: 'GET',
      url: '/v1/projects',
      headers: { 'x-tenant-id': 'nope' },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it('ignores X-Tenant-Id on tenant keys: a key acts in its own tenant only', async () => {
    const key = await h.tenantWithKey('acme', ['admin', 'invoke']);
    const res = await h.call(key, { method: 'GET', url: '/v1/projects', headers: { 'x-tenant-id': 'default' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().projects.map((p: { tenant_id: string }) => p.tenant_id)).toEqual(['acme']);
  });

  it('401s a revoked key right away (operator route and tenant self-service route)', async () => {
    const key = await h.tenantWithKey('acme', ['admin']);
    expect((await h.call(key, { method: 'GET', url: '/v1/projects' })).statusCode).toBe(200);
    const keys = (await h.call(ADMIN_TOKEN, { method: 'GET', url: '/v1/tenants/acme/api-keys' })).json().api_keys;
    const del = await h.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/tenants/acme/api-keys/${keys[0].id}` });
    expect(del.statusCode).toBe(204);
    expect((await h.call(key, { method: 'GET', url: '/v1/projects' })).statusCode).toBe(401);

    const second = await h.tenantWithKey('acme', ['admin']);
    const created = await h.call(second, {
      method: 'POST',
      url: '/v1/api-keys',
      payload: { name: 'ci', scopes: ['invoke'] },
    });
    expect(created.statusCode).toBe(201);
    const third = created.json();
    expect((await h.call(third.key, { method: 'GET', url: '/v1/projects' })).statusCode).toBe(200);
    expect((await h.call(second, { method: 'DELETE', url: `/v1/api-keys/${third.id}` })).statusCode).toBe(204);
    expect((await h.call(third.key, { method: 'GET', url: '/v1/projects' })).statusCode).toBe(401);
  });

  it('403s a key without the admin scope on writes but lets it read and invoke', async () => {
    const key = await h.tenantWithKey('acme', ['invoke']);
    const res = await h.call(key, { method: 'POST', url: '/v1/projects', payload: { id: 'p2' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'forbidden', details: { required: 'admin' } });
    expect(await h.store.getProject('acme', 'p2')).toBeNull();
    expect((await h.call(key, { method: 'GET', url: '/v1/projects' })).statusCode).toBe(200);
  });

  it('403s an admin-only key on invoke', async () => {
    const key = await h.tenantWithKey('acme', ['admin']);
    const res = await h.call(key, { method: 'POST', url: '/v1/projects/default/tools/x/invoke', payload: {} });
    expect(res.statusCode).toBe(403);
  });

  it('keeps tenant management to the operator token', async () => {
    const key = await h.tenantWithKey('acme', ['admin', 'invoke']);
    for (const [method, url] of [
      ['GET', '/v1/tenants'],
      ['POST', '/v1/tenants'],
      ['GET', '/v1/tenants/acme'],
      ['DELETE', '/v1/tenants/acme'],
      ['GET', '/v1/tenants/acme/api-keys'],
      ['POST', '/v1/tenants/acme/api-keys'],
    ] as const) {
      const res = await h.call(key, {
        method,
        url,
        payload: method === 'POST' ? { id: 'x', name: 'x', scopes: ['admin'] } : undefined,
      });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
  });

  it('never returns a key or its hash in listings; shows the key once at creation', async () => {
    const created = await h.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/tenants', payload: { id: 'acme' } });
    expect(created.statusCode).toBe(201);
    const res = await h.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/tenants/acme/api-keys',
      payload: { name: 'ci', scopes: ['admin', 'invoke'] },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.any(String),
      key: expect.stringMatching(/^tp_[A-Za-z0-9_-]{40,}$/),
      prefix: body.key.slice(0, 10),
      scopes: ['admin', 'invoke'],
      name: 'ci',
      created_at: expect.any(String),
    });
    const stored = (await h.store.listApiKeys('acme'))[0]!;
    const listing = await h.call(ADMIN_TOKEN, { method: 'GET', url: '/v1/tenants/acme/api-keys' });
    expect(listing.body).not.toContain(body.key);
    expect(listing.body).not.toContain(stored.hash);
    expect(listing.json().api_keys[0]).toEqual({
      id: body.id,
      name: 'ci',
      prefix: body.prefix,
      scopes: ['admin', 'invoke'],
      created_at: expect.any(String),
      last_used_at: null,
      revoked_at: null,
    });
  });

  it('records last_used_at on first use and writes it at most once a minute per key', async () => {
    const key = await h.tenantWithKey('acme', ['admin']);
    let touches = 0;
    const store = h.store as Store;
    const original = store.touchApiKey.bind(store);
    const written: Promise<void>[] = [];
    store.touchApiKey = (id, at) => {
      touches += 1;
      const write = original(id, at);
      written.push(write);
      return write;
    };
    for (let i = 0; i < 5; i++)
      expect((await h.call(key, { method: 'GET', url: '/v1/projects' })).statusCode).toBe(200);
    await Promise.all(written);
    expect(touches).toBe(1);
    const [record] = await h.store.listApiKeys('acme');
    expect(record!.last_used_at).not.toBeNull();
  });
});
