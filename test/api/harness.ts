/** Builds the api over the real registry and a real SQLite store in a temp dir, for inject() tests. */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { stringify as toYaml } from 'yaml';
import { createApi, type Api, type ApiOptions } from '../../src/api/index.js';
import type { Logger } from '../../src/core/index.js';
import { Registry } from '../../src/registry/index.js';
import { createHttpSource } from '../../src/sources/http/index.js';
import { createSecretBox, openStore, type Store } from '../../src/store/index.js';
import { startEchoApi } from '../helpers/registry-harness.js';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

/** One loopback echo API for every harness of a test file (it never keeps the process alive). */
const upstream = await startEchoApi();
upstream.server.unref();

/** The URL of the echo API the test manifests call. */
export const ECHO_URL = upstream.url;

export interface Harness extends Api {
  store: Store;
  registry: Registry;
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

/** An `echo` HTTP connector against the echo API: `say` (POST /say, requires `text`) and `boom` (HTTP 500). */
export const ECHO_MANIFEST = {
  name: 'echo',
  version: '1.0.0',
  kind: 'http',
  config: { api_key: { secret: true } },
  http: { base_url: ECHO_URL, retries: 0 },
  tools: [
    {
      name: 'say',
      input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      http: { method: 'POST', path: '/say' },
    },
    { name: 'boom', input_schema: { type: 'object' }, http: { method: 'GET', path: '/fail' } },
  ],
};

/** Another small connector (one tool, `nap`). */
export const OFF_MANIFEST = {
  ...ECHO_MANIFEST,
  name: 'off',
  config: {},
  tools: [{ name: 'nap', input_schema: { type: 'object' }, http: { method: 'GET', path: '/nap' } }],
};

/** The api over the real registry (real SQLite, the real HTTP runtime, a samples folder with `sample`). */
export async function createHarness(overrides: Partial<ApiOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'toolport-api-'));
  const samplesDir = join(dir, 'samples');
  await mkdir(samplesDir);
  await writeFile(join(samplesDir, 'sample.yaml'), toYaml({ ...OFF_MANIFEST, name: 'sample' }));
  const store = await openStore({ dataDir: dir, secretBox: createSecretBox({ key: randomBytes(32).toString('hex') }) });
  await store.createTenant({ id: 'default', name: 'Default', created_at: new Date().toISOString() });
  const registry = new Registry({
    store,
    sources: { http: ({ manifest, config }) => createHttpSource({ manifest, config, allowPrivateNetworks: true }) },
    nodeId: 'api-test',
    samplesDir,
    ...(overrides.logger ? { logger: overrides.logger } : {}),
  });
  await registry.start();
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
      await registry.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
