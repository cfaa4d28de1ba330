import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryEvent } from '../../src/registry/index.js';
import { waitFor } from '../helpers/wait.js';
import { ADMIN, FAST_HEARTBEAT, openSse, startLiveServer, type LiveServer, type SseClient } from './live-server.js';
import { startUpstream, statusManifest, type Upstream } from './upstream.js';

describe('GET /v1/events over real HTTP', () => {
  let s: LiveServer;
  let upstream: Upstream;
  let active = 0;
  const clients: SseClient[] = [];

  beforeEach(async () => {
    upstream = await startUpstream();
    s = await startLiveServer({ registry: { health: { failures: 1, successes: 1 } }, heartbeatMs: 100 });
    // Count live subscriptions so the test can see the stream's cleanup on disconnect.
    const subscribe = s.registry.subscribe.bind(s.registry);
    s.registry.subscribe = (listener) => {
      active += 1;
      const off = subscribe(listener);
      return () => {
        active -= 1;
        off();
      };
    };
    active = 0;
    await s.registry.createProject('default', { id: 'p1' });
    await s.registry.createProject('default', { id: 'p2' });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await s.close();
    await upstream.close();
  });

  const sse = async (query = '', headers: Record<string, string> = {}, token = ADMIN, prefix = '') => {
    const client = await openSse(`${s.url}${prefix}/v1/events${query}`, {
      authorization: `Bearer ${token}`,
      ...headers,
    });
    clients.push(client);
    return client;
  };
  const parse = (data: string) => JSON.parse(data) as RegistryEvent;
  const install = async (project: string, manifest: string) => {
    const res = await s.request('POST', `/v1/projects/${project}/connectors/install-from-manifest`, { manifest });
    expect(res.status).toBe(201);
  };

  it('streams connector changes and health flips of the project, with heartbeats', async () => {
    const stream = await sse('?project=p1');
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    await install('p1', statusManifest(upstream.url));
    await install('p2', statusManifest(upstream.url, 'other'));

    const installed = await stream.next((e) => e.event === 'connector.installed');
    expect(parse(installed.data)).toMatchObject({
      type: 'connector.installed',
      tenant_id: 'default',
      project_id: 'p1',
      connector: 'svc',
    });
    expect(installed.id).toBe(String(parse(installed.data).id));

    upstream.mode = 'wrong';
    expect((await s.request('POST', '/v1/projects/p1/connectors/svc/health')).status).toBe(200);
    const checked = parse((await stream.next((e) => e.event === 'health.checked')).data);
    expect(checked.data).toMatchObject({ ok: false, message: 'probe /status is "red", expected "green"' });
    const down = parse((await stream.next((e) => e.event === 'connector.status_changed')).data);
    expect(down.data).toMatchObject({ from: 'active', to: 'error' });

    upstream.mode = 'ok';
    await s.request('POST', '/v1/projects/p1/connectors/svc/health');
    await stream.next((e) => e.event === 'connector.status_changed' && parse(e.data).data.to === 'active');

    // The same stream with a test-sized heartbeat interval (the api's own sends one every 15 s).
    const beating = await sse('?project=p1', {}, ADMIN, FAST_HEARTBEAT);
    await waitFor(() => beating.comments.includes('heartbeat'), 'a heartbeat comment');
    // Nothing of project p2 leaked into the p1 stream.
    expect(stream.events.every((e) => parse(e.data).project_id === 'p1')).toBe(true);
  });

  it('shows a tenant only its own events; the operator token sees tenant default unless X-Tenant-Id', async () => {
    expect((await s.request('POST', '/v1/tenants', { id: 'acme' })).status).toBe(201);
    const keyRes = await s.request('POST', '/v1/tenants/acme/api-keys', { name: 'k', scopes: ['admin'] });
    const key = ((await keyRes.json()) as { key: string }).key;
    const acme = await sse('', {}, key);
    const operator = await sse();
    const operatorAsAcme = await sse('', { 'x-tenant-id': 'acme' });

    await install('p1', statusManifest(upstream.url));
    await operator.next((e) => e.event === 'connector.installed');
    const acmeProject = await s.request('POST', '/v1/projects', { id: 'mine' }, key);
    expect(acmeProject.status).toBe(201);
    await acme.next((e) => e.event === 'project.created');
    await operatorAsAcme.next((e) => e.event === 'project.created');
    // Positive control for the operator's stream: a change of tenant default made after acme's project reaches
    // it; events arrive in order, so acme's would have come first.
    expect((await s.request('POST', '/v1/projects', { id: 'after-acme' })).status).toBe(201);
    await operator.next((e) => e.event === 'project.created' && parse(e.data).project_id === 'after-acme');

    // The tenant streams each saw the other tenant's change before their own (install, then acme's project).
    expect(acme.events.every((e) => parse(e.data).tenant_id === 'acme')).toBe(true);
    expect(operator.events.every((e) => parse(e.data).tenant_id === 'default')).toBe(true);
    expect(operatorAsAcme.events.every((e) => parse(e.data).tenant_id === 'acme')).toBe(true);
    // Another tenant's project does not exist for this caller.
    expect((await s.request('GET', `/v1/events?project=mine`)).status).toBe(404);
  });

  it('resumes after Last-Event-ID without repeating or losing events', async () => {
    const first = await sse('?project=p1');
    await install('p1', statusManifest(upstream.url));
    await s.request('POST', '/v1/projects/p1/connectors/svc/disable');
    await s.request('POST', '/v1/projects/p1/connectors/svc/enable');
    const installed = await first.next((e) => e.event === 'connector.installed');
    await first.next((e) => e.event === 'connector.enabled');
    first.close();

    const resumed = await sse('?project=p1', { 'last-event-id': installed.id! });
    await resumed.next((e) => e.event === 'connector.enabled');
    expect(resumed.events.map((e) => e.event)).toEqual(['connector.disabled', 'connector.enabled']);
    const ids = resumed.events.map((e) => Number(e.id));
    expect(ids.every((id) => id > Number(installed.id))).toBe(true);
  });

  it('refuses callers without a token and releases the subscription when the client goes away', async () => {
    expect((await fetch(`${s.url}/v1/events`)).status).toBe(401);
    const client = await sse();
    await waitFor(() => active === 1, 'one subscription');
    client.close();
    await waitFor(() => active === 0, 'subscription released');
  });
});
