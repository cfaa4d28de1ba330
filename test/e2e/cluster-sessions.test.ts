/**
 * Issue 15, what a 2025-era session shares across nodes: three real `toolport serve` nodes on one fresh PostgreSQL
 * database behind a round-robin balancer without affinity, one SDK v2 client (2025 session) on the upstream MCP
 * connector of the federation fixture (each node runs its own copy of that stdio upstream). With round robin one
 * session has a copy on every node, its GET stream on one of them and its POSTs spread over all, so:
 * - the answer to an upstream's sampling/elicitation request (sent on one node) is POSTed to another node;
 * - `logging/setLevel` lands on one node and the calls that log run on the others;
 * - `resources/subscribe`, the `touch` that changes the resource and the GET stream land on different nodes.
 */
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestCluster, startCluster } from '../helpers/cluster.js';
import { openStream } from '../helpers/net.js';
import { rawHeaders } from '../helpers/raw-mcp.js';
import { createRestClient } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';
import { stdioManifestYaml } from '../mcp/helpers.js';
import { requirePostgres } from '../store/drivers.js';
import { type TestClient, connectClient, textOf } from './federation-clients.js';

const FEDERATION_UPSTREAM = fileURLToPath(new URL('../fixtures/mcp/federation-upstream.mjs', import.meta.url));
const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
/** A call not answered within this is counted as hung (a failure, not a wait). */
const HANG_MS = 10_000;

const hasPg = await requirePostgres('cluster sessions test');

const PROTOCOL = '2025-11-25';

/** One raw JSON-RPC POST of a 2025 session (or an initialize without one). */
async function rpc(url: string, apiKey: string, body: unknown, sessionId?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      ...rawHeaders(apiKey),
      'mcp-protocol-version': PROTOCOL,
      ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, sessionId: res.headers.get('mcp-session-id'), text: await res.text() };
}

/** A session's standalone GET stream: `ended` resolves when the server closes it. */
const openSessionStream = (url: string, apiKey: string, sessionId: string) =>
  openStream(url, apiKey, { 'mcp-protocol-version': PROTOCOL, 'mcp-session-id': sessionId });

describe.skipIf(!hasPg)('a 2025 session served by three nodes through a round-robin balancer', () => {
  let cluster: TestCluster;
  let client: TestClient;
  let apiKey = '';
  const sampled: string[] = [];

  /** The backends that served requests with this JSON-RPC method since history index `from`. */
  const servedBy = (method: string | undefined, from = 0): number[] =>
    cluster.balancer
      .history()
      .slice(from)
      .filter((h) => h.method === method && h.httpMethod === 'POST')
      .map((h) => h.backend);

  /** Calls a tool through the balancer; a call not answered within HANG_MS rejects. */
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<string> =>
    textOf(await client.callTool(name, args, { timeout: HANG_MS }));

  beforeAll(async () => {
    cluster = await startCluster(3, { prefix: 'toolport_xsessions' });
    const rest = createRestClient(cluster.nodes[0]!.url, cluster.adminToken);
    const key = await rest('POST', '/v1/tenants/default/api-keys', { name: 'xsessions', scopes: ['invoke'] });
    expect(key.status).toBe(201);
    apiKey = key.body.key as string;
    const installed = await rest('POST', '/v1/projects/default/connectors/install-from-manifest', {
      manifest: stdioManifestYaml('up', FEDERATION_UPSTREAM),
    });
    expect(installed.status, installed.text).toBe(201);
    for (const node of cluster.nodes) {
      const api = createRestClient(node.url, cluster.adminToken);
      await waitFor(async () => {
        const res = await api('GET', '/v1/projects/default/tools');
        return res.status === 200 && (res.body.tools as { name: string }[]).some((t) => t.name === 'ask');
      }, 'the upstream connector on every node');
    }
    client = await connectClient('v2-2025', `${cluster.balancer.url}/mcp/default/up`, apiKey, {
      sampling: (params: { messages: { content: { text: string } }[] }) => {
        const question = params.messages[0]!.content.text;
        sampled.push(question);
        return { role: 'assistant', content: { type: 'text', text: `answer to ${question}` }, model: 'test-model' };
      },
      elicitation: () => ({ action: 'accept', content: { ok: true } }),
      roots: () => ({ roots: [{ uri: 'file:///cluster', name: 'cluster' }] }),
    });
  }, 120_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    for (const n of cluster?.nodes ?? [])
      if (n.child.exitCode !== null) console.error(`[xsessions] node exited:\n${n.output().slice(-3000)}`);
    await cluster?.close();
  }, 60_000);

  it('answers every sampling and elicitation whatever node the client POSTs its answer to', async () => {
    const from = cluster.balancer.history().length;
    const asks = Array.from({ length: 20 }, (_, i) => call('ask', { question: `q${i}` }));
    const confirms = Array.from({ length: 3 }, () => call('confirm'));
    // Answers larger than a NOTIFY payload (8000 bytes) travel through the store's table.
    const big = Array.from({ length: 3 }, (_, i) => `big${i}-${'x'.repeat(12_000)}`);
    const bigAsks = big.map((question) => call('ask', { question }));
    const settled = await Promise.allSettled([...asks, ...confirms, ...bigAsks]);
    const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [`call ${i}: ${String(s.reason)}`] : []));
    expect(failed).toEqual([]);
    const texts = settled.map((s) => (s as PromiseFulfilledResult<string>).value);
    // Each call got the answer to its own question (no answer went to another call).
    for (let i = 0; i < 20; i++) expect(texts[i]).toBe(`sampled: answer to q${i} (test-model)`);
    for (let i = 20; i < 23; i++) expect(texts[i]).toBe('elicited: accept {"ok":true}');
    for (let i = 0; i < 3; i++) expect(texts[23 + i]).toBe(`sampled: answer to ${big[i]} (test-model)`);
    // The calls and the client's answers (POSTs without a method) were spread over every node.
    expect(new Set(servedBy('tools/call', from)).size).toBe(3);
    expect(new Set(servedBy(undefined, from)).size).toBe(3);
    // And roots, asked by the upstream during a call.
    expect(await call('roots')).toBe('roots: file:///cluster');
  }, 60_000);

  it('applies one logging/setLevel to the calls every node serves', async () => {
    const logged = async (): Promise<string[]> => {
      const before = client.received.length;
      expect(await call('log')).toBe('logged');
      return client.received
        .slice(before)
        .filter((r) => r.method === 'notifications/message')
        .map((r) => r.params.level as string);
    };
    // Before: every level, on every node.
    for (let i = 0; i < 3; i++) expect(await logged()).toEqual(LEVELS);
    const from = cluster.balancer.history().length;
    await client.setLoggingLevel('error');
    const setOn = servedBy('logging/setLevel', from);
    expect(setOn).toHaveLength(1);
    const callsFrom = cluster.balancer.history().length;
    for (let i = 0; i < 6; i++) expect(await logged()).toEqual(['error', 'critical', 'alert', 'emergency']);
    // The calls ran on every node, so on the two that did not get the setLevel too.
    expect(new Set(servedBy('tools/call', callsFrom)).size).toBe(3);
  }, 60_000);

  it('delivers resources/updated on the GET stream whatever nodes the subscribe and the change land on', async () => {
    const updates = (uri: string): number =>
      client.received.filter((r) => r.method === 'notifications/resources/updated' && r.params.uri === uri).length;
    /** The node that got the latest GET (the session's stream). */
    const stream = (): number | undefined =>
      cluster.balancer.history().findLast((h) => h.httpMethod === 'GET')?.backend;
    const rounds: { subscribe: number; touch: number; stream: number | undefined }[] = [];
    for (let round = 0; round < 6; round++) {
      const uri = `memo://item/r${round}`;
      let from = cluster.balancer.history().length;
      await client.subscribe(uri);
      const subscribe = servedBy('resources/subscribe', from)[0]!;
      from = cluster.balancer.history().length;
      expect(await call('touch', { uri })).toBe(`touched ${uri}`);
      const touch = servedBy('tools/call', from)[0]!;
      await waitFor(() => updates(uri) > 0, `resources/updated of ${uri} at the client (round ${round})`);
      rounds.push({ subscribe, touch, stream: stream() });
    }
    console.log('[xsessions] subscribe/touch/GET stream nodes per round', JSON.stringify(rounds));
    // The rounds covered a change made on another node than the one that took the subscribe.
    expect(rounds.some((r) => r.subscribe !== r.touch && r.touch !== r.stream)).toBe(true);
    expect(new Set(rounds.map((r) => r.touch)).size).toBeGreaterThan(1);
  }, 90_000);

  it('never lets another session (or made-up ids) answer a request of this one', async () => {
    const url = new URL(`${cluster.balancer.url}/mcp/default/up`);
    const headers = { Authorization: `Bearer ${apiKey}` };
    const asked: (string | number)[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = new Client({ name: 'held', version: '1.0.0' }, { capabilities: { sampling: {} } });
    a.setRequestHandler('sampling/createMessage', async (_request, ctx) => {
      asked.push(ctx.mcpReq.id);
      await gate;
      return { role: 'assistant', content: { type: 'text', text: 'real' }, model: 'a' };
    });
    await a.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
    const other = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
    const b = new Client({ name: 'forger', version: '1.0.0' });
    await b.connect(other);
    try {
      const pending = a.callTool({ name: 'ask', arguments: { question: 'hold' } }, { timeout: HANG_MS } as never);
      await waitFor(() => asked.length > 0, 'the sampling request at client a');
      const id = asked[0]!;
      expect(String(id)).toMatch(/^tp\.[0-9a-f]{12}\.\d+$/);
      const forged = (answerId: unknown, text = 'forged') =>
        JSON.stringify({
          jsonrpc: '2.0',
          id: answerId,
          result: { role: 'assistant', content: { type: 'text', text }, model: 'b' },
        });
      // Session b answers a's request, on every node (the one that asked among them); then made-up routed ids.
      for (const node of cluster.nodes) {
        for (const body of [
          forged(id),
          forged('tp.000000000000.1'),
          forged('tp.zz.1'),
          forged(`tp.${String(id).slice(3, 15)}.99999`, 'y'.repeat(20_000)),
          `[${forged(id)},${forged('tp.1')}]`,
        ]) {
          const res = await fetch(`${node.url}/mcp/default/up`, {
            method: 'POST',
            headers: {
              ...headers,
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              'mcp-session-id': other.sessionId!,
            },
            body,
          });
          await res.arrayBuffer();
          expect(res.status, body.slice(0, 80)).toBe(202);
        }
      }
      release();
      expect(textOf((await pending) as never)).toBe('sampled: real (a)');
      // Every node still serves.
      for (let i = 0; i < 3; i++) expect(await call('echo', { text: `after ${i}` })).toBe(`after ${i}`);
    } finally {
      release();
      await Promise.all([a.close(), b.close()]).catch(() => undefined);
    }
  }, 60_000);

  it('ends a DELETEd session on every node, including one that starts later', async () => {
    const path = '/mcp/default/up';
    const open = async (): Promise<string> => {
      const init = await rpc(`${cluster.balancer.url}${path}`, apiKey, {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      });
      expect(init.status, init.text).toBe(200);
      const id = init.sessionId!;
      const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
      expect((await rpc(`${cluster.balancer.url}${path}`, apiKey, initialized, id)).status).toBe(202);
      return id;
    };
    const echo = (base: string, id: string, text: string) =>
      rpc(
        `${base}${path}`,
        apiKey,
        { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text } } },
        id,
      );
    const doomed = await open();
    const kept = await open();
    // Both sessions used through the balancer on all three nodes.
    const from = cluster.balancer.history().length;
    for (let i = 0; i < 6; i++) {
      for (const id of [doomed, kept]) {
        const res = await echo(cluster.balancer.url, id, `via balancer ${i}`);
        expect(res.status, res.text).toBe(200);
        expect(res.text).toContain(`via balancer ${i}`);
      }
    }
    expect(new Set(servedBy('tools/call', from)).size).toBe(3);
    // A GET stream of the doomed session on every node.
    const streams = await Promise.all(cluster.nodes.map((n) => openSessionStream(`${n.url}${path}`, apiKey, doomed)));
    try {
      expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
      const deleteFrom = cluster.balancer.history().length;
      const deleted = await fetch(`${cluster.balancer.url}${path}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${apiKey}`, 'mcp-protocol-version': PROTOCOL, 'mcp-session-id': doomed },
      });
      await deleted.arrayBuffer();
      expect(deleted.status).toBe(200);
      const deletedOn = cluster.balancer
        .history()
        .slice(deleteFrom)
        .find((h) => h.httpMethod === 'DELETE')!.backend;
      console.log(`[xsessions] DELETE served by node ${deletedOn}`);
      // Every node refuses the id as soon as the DELETE is answered, and still serves the other session.
      for (const node of cluster.nodes) {
        const res = await echo(node.url, doomed, 'after delete');
        expect(res.status, `${node.url}: ${res.text}`).toBe(404);
        expect(res.text).toContain('Session not found');
        expect((await echo(node.url, kept, 'still here')).status).toBe(200);
      }
      // The streams held on the other nodes ended too (a hang here is a failure, not a wait).
      const others = streams.filter((_, i) => i !== deletedOn);
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), HANG_MS)));
      expect(await Promise.race([Promise.all(others.map((s) => s.ended)).then(() => 'ended'), hung])).toBe('ended');
      clearTimeout(timer);
      // A node started after the DELETE never heard of it: it would rebuild the id, and refuses it (the store's
      // tombstone), while it rebuilds the live session.
      const late = await cluster.startNode('node-late');
      const lateKept = await echo(late.url, kept, 'late');
      expect(lateKept.status, lateKept.text).toBe(200);
      expect(lateKept.text).toContain('late');
      const lateDoomed = await echo(late.url, doomed, 'late');
      expect(lateDoomed.status, lateDoomed.text).toBe(404);
      expect(lateDoomed.text).toContain('Session not found');
    } finally {
      for (const s of streams) s.close();
    }
  }, 90_000);

  it('brings a node that missed messages (its LISTEN connection was down) back in step: a session ended meanwhile closes there', async () => {
    // Node "cut" connects as a role of its own, so its connections can be refused and ended while the others go on.
    const role = `xs_cut_${Math.random().toString(36).slice(2, 8)}`;
    await cluster.admin.query(`CREATE ROLE ${role} LOGIN SUPERUSER`);
    try {
      const cut = await cluster.startNode('node-cut', { TOOLPORT_DATABASE_URL: cluster.databaseUrl(role) });
      const other = cluster.nodes[0]!;
      const path = '/mcp/default/up';
      const init = await rpc(`${other.url}${path}`, apiKey, {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      });
      const id = init.sessionId!;
      const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
      expect((await rpc(`${other.url}${path}`, apiKey, initialized, id)).status).toBe(202);
      const list = (node: { url: string }) =>
        rpc(`${node.url}${path}`, apiKey, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, id);
      // The cut node holds a copy (rebuilt from the id).
      expect((await list(cut)).status).toBe(200);
      // Cut it off: no new connection, and its open ones (the LISTEN one among them) ended.
      await cluster.admin.query(`ALTER ROLE ${role} NOLOGIN`);
      await cluster.admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      // The client ends the session through another node while the cut one cannot hear it.
      const deleted = await fetch(`${other.url}${path}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${apiKey}`, 'mcp-protocol-version': PROTOCOL, 'mcp-session-id': id },
      });
      await deleted.arrayBuffer();
      expect(deleted.status).toBe(200);
      expect((await list(other)).status).toBe(404);
      // Precondition: the cut node missed the message and still serves its copy from memory.
      expect((await list(cut)).status).toBe(200);
      // Let it back in: once its LISTEN connection is back it re-reads the shared state and closes the copy.
      await cluster.admin.query(`ALTER ROLE ${role} LOGIN`);
      // (its reconnect backs off up to 5 s while it is refused, hence the longer wait)
      await waitFor(
        async () => (await list(cut)).status === 404,
        'the reconnected node to refuse the ended session',
        30_000,
      );
      await cut.kill();
    } finally {
      await cluster.admin.query(`ALTER ROLE ${role} LOGIN`).catch(() => undefined);
      await cluster.admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    }
  }, 90_000);
});
