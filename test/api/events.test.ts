import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryEvent } from '../../src/registry/types.js';
import { ADMIN_TOKEN, createHarness, type Harness } from './harness.js';

let h: Harness;
let base: string;
beforeEach(async () => {
  h = await createHarness();
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterEach(async () => {
  await h.close();
});

const event = (id: number, tenant: string, project: string): RegistryEvent => ({
  id,
  type: 'connector.enabled',
  tenant_id: tenant,
  project_id: project,
  connector: 'echo',
  at: new Date().toISOString(),
  data: {},
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
    h.registry.emit(event(1, 'other', 'default'));
    h.registry.emit(event(2, 'acme', 'elsewhere'));
    h.registry.emit(event(3, 'acme', 'default'));
    const got = await readEvents(res, 1);
    expect(got).toEqual([
      {
        id: '3',
        event: 'connector.enabled',
        data: expect.objectContaining({ tenant_id: 'acme', project_id: 'default' }),
      },
    ]);
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
