import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { ADMIN_TOKEN, createHarness, ECHO_MANIFEST, OFF_MANIFEST, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const admin = (opts: Parameters<Harness['call']>[1]) => h.call(ADMIN_TOKEN, opts);
const install = (manifest: unknown, extra: Record<string, unknown> = {}) =>
  admin({
    method: 'POST',
    url: '/v1/projects/default/connectors/install-from-manifest',
    payload: { manifest, ...extra },
  });

describe('tenants', () => {
  it('creates a tenant with its default project, 409s a duplicate, lists, gets and deletes it', async () => {
    const res = await admin({ method: 'POST', url: '/v1/tenants', payload: { id: 'acme', name: 'Acme Inc' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id: 'acme', name: 'Acme Inc', created_at: expect.any(String) });
    expect(await h.store.getProject('acme', 'default')).not.toBeNull();
    expect((await admin({ method: 'POST', url: '/v1/tenants', payload: { id: 'acme' } })).statusCode).toBe(409);
    expect(
      (await admin({ method: 'GET', url: '/v1/tenants' }))
        .json()
        .tenants.map((t: { id: string }) => t.id)
        .sort(),
    ).toEqual(['acme', 'default']);
    expect((await admin({ method: 'GET', url: '/v1/tenants/acme' })).json().name).toBe('Acme Inc');

    const key = await h.tenantWithKey('acme', ['admin']);
    expect((await admin({ method: 'DELETE', url: '/v1/tenants/acme' })).statusCode).toBe(204);
    expect((await admin({ method: 'GET', url: '/v1/tenants/acme' })).statusCode).toBe(404);
    expect((await h.call(key, { method: 'GET', url: '/v1/projects' })).statusCode).toBe(401);
    expect((await admin({ method: 'DELETE', url: '/v1/tenants/default' })).statusCode).toBe(409);
  });

  it('400s tenant ids that are not slugs and API keys with unknown scopes, naming the field', async () => {
    const res = await admin({ method: 'POST', url: '/v1/tenants', payload: { id: '../etc' } });
    expect(res.json().error.details.issues[0].pointer).toBe('/id');
    await admin({ method: 'POST', url: '/v1/tenants', payload: { id: 'acme' } });
    const key = await admin({
      method: 'POST',
      url: '/v1/tenants/acme/api-keys',
      payload: { name: 'k', scopes: ['admin', 'root'] },
    });
    expect(key.statusCode).toBe(400);
    expect(key.json().error.details.issues).toContainEqual({
      pointer: '/scopes/1',
      message: "field 'scopes[1]' must be 'admin', 'invoke' or 'operator'",
    });
    expect(
      (await admin({ method: 'POST', url: '/v1/tenants/ghost/api-keys', payload: { name: 'k', scopes: ['admin'] } }))
        .statusCode,
    ).toBe(404);
    expect((await admin({ method: 'DELETE', url: '/v1/tenants/acme/api-keys/key_nope' })).statusCode).toBe(404);
  });
});

describe('projects', () => {
  it('creates, gets, patches and deletes a project', async () => {
    const created = await admin({
      method: 'POST',
      url: '/v1/projects',
      payload: { id: 'demo', name: 'Demo', description: 'd' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ tenant_id: 'default', id: 'demo', name: 'Demo', description: 'd' });
    const patched = await admin({ method: 'PATCH', url: '/v1/projects/demo', payload: { description: 'new' } });
    expect(patched.json()).toMatchObject({ name: 'Demo', description: 'new' });
    const empty = await admin({ method: 'PATCH', url: '/v1/projects/demo', payload: {} });
    expect(empty.statusCode).toBe(400);
    expect((await admin({ method: 'DELETE', url: '/v1/projects/demo' })).statusCode).toBe(204);
    expect((await admin({ method: 'GET', url: '/v1/projects/demo' })).statusCode).toBe(404);
  });
});

describe('connectors', () => {
  it('201s a new connector, 200s an identical reinstall (changed false) and a new version', async () => {
    const first = await install(ECHO_MANIFEST, { config: { api_key: 'k1' } });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      created: true,
      changed: true,
      connector: { name: 'echo', config_keys: ['api_key'] },
      version: { seq: 1, current: true },
    });
    expect(first.json().version.manifest).toBeUndefined();
    const same = await install(ECHO_MANIFEST);
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({ created: false, changed: false, version: { seq: 1 } });
    const yaml = toYaml({ ...ECHO_MANIFEST, version: '1.1.0' });
    const next = await install(yaml);
    expect(next.statusCode).toBe(200);
    expect(next.json()).toMatchObject({ created: false, changed: true, version: { seq: 2, version: '1.1.0' } });

    const versions = await admin({ method: 'GET', url: '/v1/projects/default/connectors/echo/versions' });
    // Newest first.
    expect(versions.json().versions.map((v: { seq: number; current: boolean }) => [v.seq, v.current])).toEqual([
      [2, true],
      [1, false],
    ]);
    const rolled = await admin({
      method: 'POST',
      url: '/v1/projects/default/connectors/echo/rollback',
      payload: { version: 1 },
    });
    expect(rolled.json()).toMatchObject({ current_version: 1, version: '1.0.0' });
    expect(
      (await admin({ method: 'POST', url: '/v1/projects/default/connectors/echo/rollback', payload: { version: 0 } }))
        .statusCode,
    ).toBe(400);
  });

  it('installs from a file that exists and names file_path when it does not', async () => {
    const file = join(h.dir, 'manifests', 'echo.yaml');
    await mkdir(join(h.dir, 'manifests'));
    await writeFile(file, toYaml(ECHO_MANIFEST));
    const ok = await admin({
      method: 'POST',
      url: '/v1/projects/default/connectors/install-from-file',
      payload: { file_path: file, enabled: false },
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().connector).toMatchObject({ name: 'echo', enabled: false, source_path: file });
    for (const path of [join(h.dir, 'missing.yaml'), join(h.dir, 'manifests')]) {
      const res = await admin({
        method: 'POST',
        url: '/v1/projects/default/connectors/install-from-file',
        payload: { file_path: path },
      });
      expect(res.statusCode, path).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'validation_failed',
        details: { issues: [{ pointer: '/file_path', message: expect.stringMatching(/^field 'file_path' /) }] },
      });
    }
    const manifestIssue = await install({ name: 'Bad Name', version: '1' });
    expect(manifestIssue.statusCode).toBe(400);
    const pointers = manifestIssue.json().error.details.issues.map((i: { pointer: string }) => i.pointer);
    expect(pointers).toContain('/name');
  });

  it('lets tenant keys install only files under the configured roots, without revealing what exists elsewhere', async () => {
    await mkdir(join(h.dir, 'manifests'));
    const file = join(h.dir, 'manifests', 'echo.yaml');
    await writeFile(file, toYaml(ECHO_MANIFEST));
    const key = await h.tenantWithKey('acme', ['admin']);
    const url = '/v1/projects/default/connectors/install-from-file';
    const denied = await h.call(key, { method: 'POST', url, payload: { file_path: file } });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.details).toEqual({ pointer: '/file_path' });

    const rooted = await createHarness({ fileRoots: [join(h.dir, 'manifests')] });
    try {
      const rootedKey = await rooted.tenantWithKey('acme', ['admin']);
      expect((await rooted.call(rootedKey, { method: 'POST', url, payload: { file_path: file } })).statusCode).toBe(
        201,
      );
      for (const outside of [
        join(h.dir, 'other.yaml'),
        '/etc/hostname',
        `${join(h.dir, 'manifests')}/../../x.yaml`,
        join(h.dir, 'manifests-evil', 'x.yaml'),
      ]) {
        const res = await rooted.call(rootedKey, { method: 'POST', url, payload: { file_path: outside } });
        expect(res.statusCode, outside).toBe(403);
      }
      const missingInside = await rooted.call(rootedKey, {
        method: 'POST',
        url,
        payload: { file_path: join(h.dir, 'manifests', 'nope.yaml') },
      });
      expect(missingInside.statusCode).toBe(400);
    } finally {
      await rooted.close();
    }
  });

  it('enables, disables, uninstalls and reports health', async () => {
    await install(ECHO_MANIFEST);
    expect((await admin({ method: 'POST', url: '/v1/projects/default/connectors/echo/disable' })).json()).toMatchObject(
      { enabled: false, status: 'inactive' },
    );
    expect((await admin({ method: 'POST', url: '/v1/projects/default/connectors/echo/enable' })).json()).toMatchObject({
      enabled: true,
    });
    const check = await admin({ method: 'POST', url: '/v1/projects/default/connectors/echo/health' });
    // No probe declared: the check really runs the one safe tool (GET, no required arguments), which answers 500.
    expect(check.json()).toMatchObject({ ok: false, connector_name: 'echo', details: { tool: 'boom', status: 500 } });
    const history = await admin({ method: 'GET', url: '/v1/projects/default/connectors/echo/health?limit=5' });
    expect(history.json().checks).toHaveLength(1);
    expect(
      (await admin({ method: 'GET', url: '/v1/projects/default/connectors/echo/health?limit=0' })).statusCode,
    ).toBe(400);
    const probe = await admin({
      method: 'PUT',
      url: '/v1/projects/default/connectors/echo/probe',
      payload: { probe: { tool: 'say', arguments: { text: 'ping' } } },
    });
    expect(probe.statusCode).toBe(200);
    expect(probe.json().metadata.probe).toMatchObject({ tool: 'say', arguments: { text: 'ping' } });
    expect(
      (
        await admin({
          method: 'PUT',
          url: '/v1/projects/default/connectors/echo/probe',
          payload: { probe: { arguments: {} } },
        })
      ).json().error.details.issues[0].pointer,
    ).toBe('/probe/tool');
    expect(
      (await admin({ method: 'PUT', url: '/v1/projects/default/connectors/echo/probe', payload: {} })).statusCode,
    ).toBe(400);
    expect((await admin({ method: 'DELETE', url: '/v1/projects/default/connectors/echo' })).statusCode).toBe(204);
    expect((await admin({ method: 'GET', url: '/v1/projects/default/connectors/echo' })).statusCode).toBe(404);
  });

  it('never returns config values, on any route, after install and config changes', async () => {
    const SECRET = 'sk-live-SECRET-0123456789';
    const bodies: string[] = [];
    bodies.push((await install(ECHO_MANIFEST, { config: { api_key: SECRET } })).body);
    const patched = await admin({
      method: 'PATCH',
      url: '/v1/projects/default/connectors/echo/config',
      payload: { config: { other: `${SECRET}-2`, api_key: SECRET } },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().config_keys.sort()).toEqual(['api_key', 'other']);
    bodies.push(patched.body);
    expect((await h.store.getConnector('default', 'default', 'echo'))!.config.api_key).toBe(SECRET);
    const doc = (await admin({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    // The OpenAPI document and the manifest JSON Schema describe a `config` field; they are the GETs that may name it.
    // /v1/events is a never-ending stream (its events carry no config: see events.test.ts).
    const gets = Object.entries(doc.paths)
      .filter(([p, ops]) => 'get' in ops && !['/openapi.json', '/v1/events', '/v1/schemas/manifest.json'].includes(p))
      .map(([p]) => p);
    for (const path of gets) {
      const url = path
        .replace('{project_id}', 'default')
        .replace('{name}', 'echo')
        .replace('{tool_name}', 'echo__say')
        .replace('{id}', 'default');
      bodies.push((await admin({ method: 'GET', url })).body);
    }
    for (const action of ['enable', 'disable'])
      bodies.push((await admin({ method: 'POST', url: `/v1/projects/default/connectors/echo/${action}` })).body);
    expect(bodies.length).toBeGreaterThan(15);
    for (const body of bodies) {
      expect(body).not.toContain(SECRET);
      // The services surface shows which keys are set, masked; any other config object is a leak.
      for (const m of body.matchAll(/"config":\{([^}]*)\}/g)) {
        expect(m[1]).toMatch(/^("[^"]+":"\*{8}",?)*$/);
      }
    }
    const removed = await admin({
      method: 'PATCH',
      url: '/v1/projects/default/connectors/echo/config',
      payload: { config: { other: null } },
    });
    expect(removed.json().config_keys).toEqual(['api_key']);
  });
});

describe('tools', () => {
  it('lists with filters, gets by qualified or bare name, and invokes with either body form', async () => {
    await install(ECHO_MANIFEST);
    await install(OFF_MANIFEST, { enabled: false });
    const all = (await admin({ method: 'GET', url: '/v1/projects/default/tools' })).json().tools;
    expect(all.map((t: { qualified_name: string }) => t.qualified_name).sort()).toEqual([
      'echo__boom',
      'echo__say',
      'off__nap',
    ]);
    const enabled = (await admin({ method: 'GET', url: '/v1/projects/default/tools?enabled=true' })).json().tools;
    expect(enabled.map((t: { connector: string }) => t.connector)).not.toContain('off');
    const one = (await admin({ method: 'GET', url: '/v1/projects/default/tools?connector=off' })).json().tools;
    expect(one).toHaveLength(1);
    expect((await admin({ method: 'GET', url: '/v1/projects/default/tools/say' })).json().qualified_name).toBe(
      'echo__say',
    );
    expect((await admin({ method: 'GET', url: '/v1/projects/default/tools/echo__say' })).json().name).toBe('say');
    const none = await admin({ method: 'GET', url: '/v1/projects/default/tools/ghost' });
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('tool_not_found');

    const bare = await admin({
      method: 'POST',
      url: '/v1/projects/default/tools/echo__say/invoke',
      payload: { text: 'hi' },
    });
    // The echo API answers with what it received.
    expect(bare.json()).toMatchObject({
      content: [{ type: 'text', text: expect.stringContaining('"body":{"text":"hi"}') }],
      structuredContent: { method: 'POST', path: '/say', body: { text: 'hi' } },
    });
    const wrapped = await admin({
      method: 'POST',
      url: '/v1/projects/default/tools/echo__say/invoke',
      payload: { arguments: { text: 'yo' } },
    });
    expect(wrapped.json().structuredContent).toMatchObject({ body: { text: 'yo' } });
    const invalid = await admin({
      method: 'POST',
      url: '/v1/projects/default/tools/echo__say/invoke',
      payload: { arguments: {} },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.details.issues).toEqual([
      { pointer: '/arguments/text', message: "must have required property 'text'" },
    ]);
    const notObject = await admin({
      method: 'POST',
      url: '/v1/projects/default/tools/echo__say/invoke',
      payload: '"hi"',
      headers: { 'content-type': 'application/json' },
    });
    expect(notObject.statusCode).toBe(400);
  });

  it('serves project stats, hot reload, samples and global stats scoped to the caller', async () => {
    await install(ECHO_MANIFEST);
    expect((await admin({ method: 'GET', url: '/v1/projects/default/stats' })).json()).toMatchObject({
      project_id: 'default',
      connector_count: 1,
      tool_count: 2,
    });
    expect((await admin({ method: 'POST', url: '/v1/projects/default/hot-reload' })).json()).toEqual({ outcomes: [] });
    const samples = await admin({ method: 'POST', url: '/v1/projects/default/install-samples' });
    expect(samples.json()).toEqual({ installed: [{ connector: 'sample', version: 1, changed: true, created: true }] });
    const key = await h.tenantWithKey('acme', ['invoke']);
    // The operator sees every tenant; a tenant key only its own (acme has an empty default project).
    expect((await admin({ method: 'GET', url: '/v1/stats' })).json()).toMatchObject({
      total_projects: 2,
      total_connectors: 2,
    });
    expect(
      (await admin({ method: 'GET', url: '/v1/stats', headers: { 'x-tenant-id': 'default' } })).json(),
    ).toMatchObject({ total_projects: 1, total_connectors: 2 });
    expect((await h.call(key, { method: 'GET', url: '/v1/stats' })).json()).toMatchObject({
      total_projects: 1,
      total_connectors: 0,
    });
  });
});
