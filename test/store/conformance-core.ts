/** Conformance: migrations, tenants, API keys, projects, settings, error translation. */
import { expect } from 'vitest';
import { ToolportError } from '../../src/core/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/index.js';
import type { StoreTest } from './drivers.js';
import { apiKey, at, project } from './records.js';

/** Asserts that `promise` rejects with a ToolportError of `code`; returns it for further checks. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<ToolportError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolportError);
  expect((err as ToolportError).code).toBe(code);
  return err as ToolportError;
}

export function defineCoreTests(it: StoreTest): void {
  it('records each migration once and is idempotent when run again', async ({ h }) => {
    const { store, raw } = h;
    await store.migrate();
    await store.migrate();
    const rows = await raw('SELECT version, name FROM schema_migrations ORDER BY version');
    const expected = store.driver === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS;
    expect(rows.map((r) => Number(r.version))).toEqual(expected.map((m) => m.version));
  });

  it('answers ping while open and fails it with store_failed once closed', async ({ h }) => {
    const { store } = h;
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expectCode(store.ping(), 'store_failed');
  });

  it('creates, reads, lists and deletes tenants; a duplicate id is a conflict', async ({ h }) => {
    const { store } = h;
    await store.createTenant({ id: 'b', name: 'Bee', created_at: at(1) });
    await store.createTenant({ id: 'a', name: 'Ay', created_at: at(2) });
    expect(await store.getTenant('a')).toEqual({ id: 'a', name: 'Ay', created_at: at(2) });
    expect(await store.getTenant('zzz')).toBeNull();
    expect((await store.listTenants()).map((t) => t.id)).toEqual(['a', 'b']);
    const err = await expectCode(store.createTenant({ id: 'a', name: 'again', created_at: at(3) }), 'conflict');
    expect(err.status).toBe(409);
    expect(await store.deleteTenant('a')).toBe(true);
    expect(await store.deleteTenant('a')).toBe(false);
    expect((await store.listTenants()).map((t) => t.id)).toEqual(['b']);
  });

  it('stores API keys by hash, lists per tenant, revokes once and touches forward only', async ({ h }) => {
    const { store } = h;
    await store.createTenant({ id: 't1', name: 'T1', created_at: at(0) });
    await store.createTenant({ id: 't2', name: 'T2', created_at: at(0) });
    const k1 = apiKey('t1', 'key_1', { scopes: ['invoke'] });
    await store.createApiKey(k1);
    await store.createApiKey(apiKey('t1', 'key_2', { created_at: at(2) }));
    await store.createApiKey(apiKey('t2', 'key_3'));

    expect(await store.getApiKeyByHash(k1.hash)).toEqual(k1);
    expect(await store.getApiKeyByHash('nope')).toBeNull();
    expect((await store.listApiKeys('t1')).map((k) => k.id)).toEqual(['key_1', 'key_2']);

    await expectCode(store.createApiKey(apiKey('t1', 'key_1', { hash: 'other' })), 'conflict');
    await expectCode(store.createApiKey(apiKey('t1', 'key_9', { hash: k1.hash })), 'conflict');
    await expectCode(store.createApiKey(apiKey('ghost', 'key_8')), 'not_found');

    expect(await store.revokeApiKey('t2', 'key_1', at(5))).toBe(false);
    expect(await store.revokeApiKey('t1', 'key_1', at(5))).toBe(true);
    expect(await store.revokeApiKey('t1', 'key_1', at(9))).toBe(true);
    expect((await store.getApiKeyByHash(k1.hash))?.revoked_at).toBe(at(5));

    await store.touchApiKey('key_1', at(20));
    await store.touchApiKey('key_1', at(15));
    await store.touchApiKey('missing', at(15));
    expect((await store.getApiKeyByHash(k1.hash))?.last_used_at).toBe(at(20));
  });

  it('creates, updates (partially) and deletes projects; duplicates conflict, unknown tenants are not found', async ({
    h,
  }) => {
    const { store } = h;
    await store.createTenant({ id: 't1', name: 'T1', created_at: at(0) });
    await store.createTenant({ id: 't2', name: 'T2', created_at: at(0) });
    const p = project('t1', 'default', { description: 'the default one' });
    await store.createProject(p);
    await store.createProject(project('t1', 'alpha'));
    await store.createProject(project('t2', 'default'));

    expect(await store.getProject('t1', 'default')).toEqual(p);
    expect(await store.getProject('t1', 'nope')).toBeNull();
    expect((await store.listProjects('t1')).map((x) => x.id)).toEqual(['alpha', 'default']);
    expect((await store.listProjects()).map((x) => `${x.tenant_id}/${x.id}`)).toEqual([
      't1/alpha',
      't1/default',
      't2/default',
    ]);

    await expectCode(store.createProject(project('t1', 'default')), 'conflict');
    await expectCode(store.createProject(project('ghost', 'x')), 'not_found');

    const updated = await store.updateProject('t1', 'default', { name: 'Renamed', updated_at: at(9) });
    expect(updated).toEqual({ ...p, name: 'Renamed', updated_at: at(9) });
    const described = await store.updateProject('t1', 'default', { description: '', updated_at: at(10) });
    expect(described).toEqual({ ...p, name: 'Renamed', description: '', updated_at: at(10) });
    expect(await store.updateProject('t1', 'nope', { name: 'x', updated_at: at(9) })).toBeNull();

    expect(await store.deleteProject('t1', 'alpha')).toBe(true);
    expect(await store.deleteProject('t1', 'alpha')).toBe(false);
    expect((await store.listProjects('t1')).map((x) => x.id)).toEqual(['default']);
  });

  it('keeps key/value settings and overwrites them', async ({ h }) => {
    const { store } = h;
    expect(await store.getSetting('admin_token_hash')).toBeNull();
    await store.setSetting('admin_token_hash', 'one');
    await store.setSetting('admin_token_hash', 'two');
    expect(await store.getSetting('admin_token_hash')).toBe('two');
  });

  it('reports driver failures as store_failed with the cause but without parameter values', async ({ h }) => {
    const { store } = h;
    const marker = 'PARAM-VALUE-MARKER-7731';
    const err = await expectCode(
      store.createTenant({ id: marker, name: null as never, created_at: at(0) }),
      'store_failed',
    );
    expect(err.message).toContain('createTenant');
    expect(err.message).not.toContain(marker);
    expect(JSON.stringify(err.toJSON())).not.toContain(marker);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('rejects invalid limits and keep counts with bad_request naming the field', async ({ h }) => {
    const { store } = h;
    const err = await expectCode(store.listHealthChecks('t', 'p', 'c', -1), 'bad_request');
    expect(err.message).toContain('limit');
    await expectCode(store.listWebhookDeliveries('t', 'w', 1.5), 'bad_request');
  });

  it('fails with store_failed once closed', async ({ h }) => {
    const { open } = h;
    const other = await open();
    await other.close();
    await expectCode(other.listTenants(), 'store_failed');
  });
}
