import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryEvent } from '../../src/registry/types.js';
import { ADMIN_TOKEN, createHarness, ECHO_MANIFEST, type Harness } from './harness.js';

let h: Harness;
let base: string;
beforeEach(async () => {
  h = await createHarness();
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterEach(async () => {
  await h.close();
});

/** Reads SSE frames from a live response until `count` events arrived. */
async function readEvents(res: Response, count: number): Promise<{ id: string; event: string; data: RegistryEvent }[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const out: { id: string; event: string; data: RegistryEvent }[] = [];
  while (out.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((l) => !l.startsWith(':') && l.includes(': '))
          .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
      );
      if (fields.data) out.push({ id: fields.id!, event: fields.event!, data: JSON.parse(fields.data) });
    }
  }
  await reader.cancel();
  return out;
}

describe('GET /v1/events', () => {
  it("streams only the caller's tenant's events, filtered by project when asked", async () => {
    const key = await h.tenantWithKey('acme', ['invoke']);
    const res = await fetch(`${base}/v1/events?project_id=default`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    // Real changes: one in another tenant, one in another project of acme, then the one the stream wants.
    await h.tenantWithKey('other', ['admin']);
    await h.registry.install({ tenantId: 'other', projectId: 'default', manifest: ECHO_MANIFEST });
    await h.registry.createProject('acme', { id: 'elsewhere' });
    await h.registry.install({ tenantId: 'acme', projectId: 'elsewhere', manifest: ECHO_MANIFEST });
    const wanted = await h.registry.install({ tenantId: 'acme', projectId: 'default', manifest: ECHO_MANIFEST });
    const got = await readEvents(res, 1);
    // Positive control: the acme/default event does arrive, so the filtering above is what kept the others out.
    expect(got).toEqual([
      {
        id: expect.any(String),
        event: 'connector.installed',
        data: expect.objectContaining({ tenant_id: 'acme', project_id: 'default', connector: 'echo' }),
      },
    ]);
    expect(wanted.created).toBe(true);
    const last = h.registry.eventsSince(0).at(-1)!;
    expect(got[0]!.id).toBe(String(last.id));
  });

  it('needs a token, and closing the app ends open streams', async () => {
    expect((await fetch(`${base}/v1/events`)).status).toBe(401);
    const res = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const reading = res.text();
    await h.app.close();
    await expect(reading).resolves.toContain(': connected');
  });
});
