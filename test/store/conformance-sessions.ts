/** Conformance: shared 2025 session state (log level, subscriptions, holders) and node messages. */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { NodeMessage, Store } from '../../src/store/index.js';
import type { StoreDriverFixture, StoreTest } from './drivers.js';

const LATER = '2999-01-01T00:00:00.000Z';
const PAST = '2000-01-01T00:00:00.000Z';

/** Resolves with the next message `store` delivers to `node` (subscribed now, so call it before sending). */
function next(store: Store, node: string, timeoutMs = 10_000): Promise<NodeMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no node message for ${node} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = store.onNodeMessage(node, (message) => {
      clearTimeout(timer);
      off();
      resolve(message);
    });
  });
}

export function defineSessionShareTests(it: StoreTest, fixture: StoreDriverFixture): void {
  it('keeps a session’s level, subscriptions and holders, and forgets them when ended or expired', async ({ h }) => {
    const { store } = h;
    const empty = { log_level: null, subscriptions: [], nodes: [], ended: false };
    expect(await store.getSessionShare('s1')).toEqual(empty);
    await store.setSessionLogLevel('s1', 'info', LATER);
    await store.setSessionLogLevel('s1', 'error', LATER);
    await store.setSessionSubscription('s1', 'memo://b', true, LATER);
    await store.setSessionSubscription('s1', 'memo://a', true, LATER);
    await store.setSessionSubscription('s1', 'memo://a', true, LATER);
    await store.setSessionSubscription('s1', 'memo://c', true, LATER);
    await store.setSessionSubscription('s1', 'memo://c', false, LATER);
    await store.addSessionNode('s1', 'n2', LATER);
    await store.addSessionNode('s1', 'n1', LATER);
    await store.addSessionNode('s1', 'n1', LATER);
    await store.addSessionNode('s1', 'n3', LATER);
    await store.removeSessionNode('s1', 'n3');
    await store.setSessionLogLevel('s2', 'debug', PAST);
    await store.addSessionNode('s2', 'n1', PAST);
    expect(await store.getSessionShare('s1')).toEqual({
      log_level: 'error',
      subscriptions: ['memo://a', 'memo://b'],
      nodes: ['n1', 'n2'],
      ended: false,
    });
    expect(await store.getSessionNodes('s1')).toEqual(['n1', 'n2']);
    expect(await store.getSessionNodes('s4')).toEqual([]);
    expect(await store.purgeSessionShares(new Date().toISOString())).toBe(2);
    expect(await store.getSessionShare('s2')).toEqual(empty);
    expect((await store.getSessionShare('s1')).log_level).toBe('error');
    // Ended by the client: the state goes, the holders are returned, and the end is kept until the id expires.
    expect(await store.endSessionShare('s1', LATER)).toEqual(['n1', 'n2']);
    expect(await store.getSessionShare('s1')).toEqual({ ...empty, ended: true });
    expect(await store.getSessionNodes('s1')).toEqual([]);
    expect(await store.endSessionShare('s1', LATER)).toEqual([]);
    await store.addSessionNode('s3', 'n1', PAST);
    expect(await store.endSessionShare('s3', PAST)).toEqual(['n1']);
    expect((await store.getSessionShare('s3')).ended).toBe(true);
    expect(await store.purgeSessionShares(new Date().toISOString())).toBe(1);
    expect(await store.getSessionShare('s3')).toEqual(empty);
    expect((await store.getSessionShare('s1')).ended).toBe(true);
  });

  it('delivers a node message to the node it names, or to every other node', async ({ h }) => {
    const { store: a } = h;
    const b = fixture.name === 'postgres' ? await h.open() : a;
    await Promise.all([a.listening(), b.listening()]);
    const tag = randomBytes(4).toString('hex');
    const [n1, n2, n3] = [`n1-${tag}`, `n2-${tag}`, `n3-${tag}`];
    const heard: string[] = [];
    const offs = [n1, n2, n3].map((n) => b.onNodeMessage(n, (m) => heard.push(`${n}:${String(m.body.x)}`)));
    const atN2 = next(b, n2);
    await a.sendNodeMessage({ from: n1, to: n2, body: { x: 'direct' } });
    expect(await atN2).toEqual({ from: n1, to: n2, body: { x: 'direct' } });
    // A broadcast reaches every node but its sender; a body beyond a NOTIFY's 8000 bytes arrives whole.
    const big = 'y'.repeat(20_000);
    const atN3 = next(b, n3);
    await a.sendNodeMessage({ from: n1, body: { x: 'all', big } });
    expect((await atN3).body).toEqual({ x: 'all', big });
    const bigDirect = next(b, n3);
    await a.sendNodeMessage({ from: n2, to: n3, body: { x: 'big', big } });
    expect((await bigDirect).body).toEqual({ x: 'big', big });
    expect(heard.filter((e) => e.startsWith(n1))).toEqual([]);
    expect(heard).toContain(`${n2}:direct`);
    expect(heard).toContain(`${n2}:all`);
    expect(heard).toContain(`${n3}:all`);
    expect(heard.filter((e) => e === `${n2}:big`)).toEqual([]);
    if (fixture.name === 'postgres') {
      // Parked bodies: the one for a single node was consumed as it was read; the broadcast one waits for its expiry.
      expect(await h.raw('SELECT id FROM node_messages')).toHaveLength(1);
    }
    for (const off of offs) off();
  });
}
