/** Builds the api over a real SQLite store in a temp dir, with the fake registry, for inject() tests. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createApi, type Api, type ApiOptions } from '../../src/api/index.js';
import type { Logger } from '../../src/core/index.js';
import { Registry } from '../../src/registry/index.js';
import { createHttpSource } from '../../src/sources/http/index.js';
import { createSecretBox, openStore, type Store } from '../../src/store/index.js';
import { createFakeRegistry } from './fake-registry.js';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

export interface Harness extends Api {
  store: Store;
  registry: ReturnType<typeof createFakeRegistry>;
  dir: string;
  /** inject() with a bearer token (null = none). */
  call(token: string | null, opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Creates a tenant (operator) and a key with the scopes; returns the key. */
  tenantWithKey(tenantId: string, scopes: ('admin' | 'invoke')[]): Promise<string>;
  close(): Promise<void>;
}

/** A logger that records entries, so tests can check what is (not) logged. */
export function createRecordingLogger(): Logger & {
  lines: { level: string; obj: Record<string, unknown>; msg?: string }[];
} {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const logger = {
    lines,
    debug: (obj: Record<string, unknown>, msg?: string) => void lines.push({ level: 'debug', obj, msg }),
    info: (obj: Record<string, unknown>, msg?: string) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj: Record<string, unknown>, msg?: string) => void lines.push({ level: 'warn', obj, msg }),
    error: (obj: Record<string, unknown>, msg?: string) => void lines.push({ level: 'error', obj, msg }),
    child: () => logger,
  };
  return logger;
}

/** The api over the real registry (real SQLite, the real HTTP runtime) instead of the fake. */
export async function createRealHarness(overrides: Partial<ApiOptions> = {}): Promise<Harness & { real: Registry }> {
  const dir = await mkdtemp(join(tmpdir(), 'toolport-api-'));
  const store = await openStore({ dataDir: dir, secretBox: createSecretBox({ key: randomBytes(32).toString('hex') }) });
  await store.createTenant({ id: 'default', name: 'Default', created_at: new Date().toISOString() });
  const real = new Registry({
    store,
    sources: { http: ({ manifest, config }) => createHttpSource({ manifest, config, allowPrivateNetworks: true }) },
    nodeId: 'api-test',
  });
  await real.start();
  await real.ensureTenantDefaults('default');
  const api = await createApi({ store, registry: real, adminToken: ADMIN_TOKEN, version: '9.9.9-test', ...overrides });
  await api.app.ready();
  const call: Harness['call'] = (token, opts) => {
    const headers = { ...(opts.headers ?? {}) } as Record<string, string>;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    return api.app.inject({ ...opts, headers });
  };
  return {
    ...api,
    store,
    registry: createFakeRegistry(store),
    real,
    dir,
    call,
    tenantWithKey: () => Promise.reject(new Error('not used')),
    async close() {
      await api.app.close();
      await real.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function createHarness(overrides: Partial<ApiOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'toolport-api-'));
  const store = await openStore({ dataDir: dir, secretBox: createSecretBox({ key: randomBytes(32).toString('hex') }) });
  await store.createTenant({ id: 'default', name: 'Default', created_at: new Date().toISOString() });
  const registry = createFakeRegistry(store);
  await registry.ensureTenantDefaults('default');
  const api = await createApi({ store, registry, adminToken: ADMIN_TOKEN, version: '9.9.9-test', ...overrides });
  await api.app.ready();

  const call: Harness['call'] = (token, opts) => {
    const headers = { ...(opts.headers ?? {}) } as Record<string, string>;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    return api.app.inject({ ...opts, headers });
  };
  const tenantWithKey: Harness['tenantWithKey'] = async (tenantId, scopes) => {
    if (!(await store.getTenant(tenantId))) {
      const res = await call(ADMIN_TOKEN, { method: 'POST', url: '/v1/tenants', payload: { id: tenantId } });
      if (res.statusCode !== 201) throw new Error(`tenant create failed: ${res.body}`);
    }
    const res = await call(ADMIN_TOKEN, {
      method: 'POST',
      url: `/v1/tenants/${tenantId}/api-keys`,
      payload: { name: `k-${scopes.join('-')}`, scopes },
    });
    if (res.statusCode !== 201) throw new Error(`key create failed: ${res.body}`);
    return (res.json() as { key: string }).key;
  };
  return {
    ...api,
    store,
    registry,
    dir,
    call,
    tenantWithKey,
    async close() {
      await api.app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A manifest the fake registry accepts: an `echo` tool requiring `text`, and a `boom` tool. */
export const ECHO_MANIFEST = {
  name: 'echo',
  version: '1.0.0',
  kind: 'http',
  config: { api_key: { secret: true, required: true } },
  tools: [
    { name: 'say', input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
    { name: 'boom', input_schema: { type: 'object' } },
  ],
};
