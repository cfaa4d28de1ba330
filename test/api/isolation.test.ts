import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/index.js';
import type { RegistryApi } from '../../src/registry/registry-api.js';
import { ADMIN_TOKEN, createHarness, ECHO_MANIFEST, type Harness } from './harness.js';

/** Plausible valid bodies, so a 404 cannot be a validation error in disguise. */
const BODIES: Record<string, unknown> = {
  'install-from-file': { file_path: '/etc/hostname' },
  'install-from-manifest': { manifest: ECHO_MANIFEST },
  rollback: { version: 1 },
  config: { config: { api_key: 'x' } },
  invoke: { arguments: { text: 'hi' } },
  '{project_id}': { name: 'renamed' },
};

let h: Harness;
let keyA: string;
let routes: { method: string; path: string }[];

beforeAll(async () => {
  h = await createHarness();
  keyA = await h.tenantWithKey('tenant-a', ['admin', 'invoke']);
  const keyB = await h.tenantWithKey('tenant-b', ['admin', 'invoke']);
  expect((await h.call(keyB, { method: 'POST', url: '/v1/projects', payload: { id: 'b-proj' } })).statusCode).toBe(201);
  const install = await h.call(keyB, {
    method: 'POST',
    url: '/v1/projects/b-proj/connectors/install-from-manifest',
    payload: { manifest: ECHO_MANIFEST, config: { api_key: 'b-secret' } },
  });
  expect(install.statusCode).toBe(201);
  const doc = (await h.call(ADMIN_TOKEN, { method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, unknown>>;
  };
  routes = Object.entries(doc.paths)
    .filter(([path]) => path.includes('{project_id}'))
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
});
afterAll(async () => {
  await h.close();
});

function fill(path: string, projectId: string): string {
  return path.replace('{project_id}', projectId).replace('{name}', 'echo').replace('{tool_name}', 'echo__say');
}

describe('tenant isolation over the route table', () => {
  it('finds the project routes in the route table', () => {
    // Guards the loop below against an empty or truncated table.
    expect(routes.length).toBeGreaterThanOrEqual(20);
  });

  it("404s tenant A's key on every route of tenant B's project, and changes nothing of B", async () => {
    const outcomes: string[] = [];
    for (const { method, path } of routes) {
      const last = path.split('/').pop() ?? '';
      const payload = method === 'GET' || method === 'DELETE' ? undefined : (BODIES[last] ?? {});
      const res = await h.call(keyA, {
        method: method as 'GET',
        url: fill(path, 'b-proj'),
        payload: payload as object,
      });
      outcomes.push(
        `${method} ${path} → ${res.statusCode} ${res.statusCode === 404 ? res.json().error.code : res.body}`,
      );
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(res.json().error.code).toBe('not_found');
      expect(res.body).not.toContain('b-secret');
    }
    expect(outcomes).toHaveLength(routes.length);
    const connector = await h.store.getConnector('tenant-b', 'b-proj', 'echo');
    expect(connector).toMatchObject({ enabled: true, current_version: 1, config: { api_key: 'b-secret' } });
    expect(await h.store.getProject('tenant-b', 'b-proj')).toMatchObject({ name: 'b-proj' });
  });

  it('404s even behind a registry that ignores tenants: the api scopes project routes itself', async () => {
    // Every call lands in tenant B, whatever tenant the api asks for.
    const leaky = new Proxy(h.registry, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (typeof value !== 'function') return value;
        return (first: unknown, ...rest: unknown[]) => {
          const arg =
            typeof first === 'string'
              ? 'tenant-b'
              : first && typeof first === 'object'
                ? { ...first, tenantId: 'tenant-b' }
                : first;
          return (value as (...a: unknown[]) => unknown).call(target, arg, ...rest);
        };
      },
    }) as RegistryApi;
    const api = await createApi({ store: h.store, registry: leaky, adminToken: ADMIN_TOKEN, version: 't' });
    try {
      // The leak is real: a route without a project in its path shows B's projects.
      const listing = await api.app.inject({
        method: 'GET',
        url: '/v1/projects',
        headers: { authorization: `Bearer ${keyA}` },
      });
      expect(listing.json().projects.map((p: { id: string }) => p.id)).toContain('b-proj');
      for (const { method, path } of routes) {
        const last = path.split('/').pop() ?? '';
        const payload = method === 'GET' || method === 'DELETE' ? undefined : (BODIES[last] ?? {});
        const res = await api.app.inject({
          method: method as 'GET',
          url: fill(path, 'b-proj'),
          headers: { authorization: `Bearer ${keyA}` },
          payload: payload as object,
        });
        expect(res.statusCode, `${method} ${path}`).toBe(404);
      }
    } finally {
      await api.app.close();
    }
  });

  it("gives the same 404 for B's project as for a project that does not exist", async () => {
    const theirs = await h.call(keyA, { method: 'GET', url: '/v1/projects/b-proj/connectors' });
    const nobody = await h.call(keyA, { method: 'GET', url: '/v1/projects/no-such/connectors' });
    expect(theirs.statusCode).toBe(404);
    expect(nobody.statusCode).toBe(404);
    expect(theirs.json().error.message.replace('b-proj', 'X')).toBe(
      nobody.json().error.message.replace('no-such', 'X'),
    );
  });

  it("keeps the operator acting in tenant A out of B's project too", async () => {
    for (const { method, path } of routes.filter((r) => r.method === 'GET')) {
      const res = await h.call(ADMIN_TOKEN, {
        method: 'GET',
        url: fill(path, 'b-proj'),
        headers: { 'x-tenant-id': 'tenant-a' },
      });
      expect(res.statusCode, `${method} ${path}`).toBe(404);
    }
  });

  it("lists only the caller's own projects", async () => {
    const res = await h.call(keyA, { method: 'GET', url: '/v1/projects' });
    expect(res.json().projects.map((p: { id: string }) => p.id)).toEqual(['default']);
  });
});
