/**
 * Issue 15: three real `toolport serve` nodes on one fresh PostgreSQL database behind a round-robin balancer
 * without session affinity, with SDK clients of both protocol eras calling a tool continuously through it.
 * A change made on one node, a node SIGKILLed mid-traffic (the health-check leader), and every node's PostgreSQL
 * connections killed with pg_terminate_backend must not lose calls beyond the ones in flight on the dead node.
 */
import { type Server, createServer } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoundRobinBalancer } from '../helpers/balancer.js';
import { type TestCluster, startCluster } from '../helpers/cluster.js';
import { type ServerProcess, createRestClient } from '../helpers/server-process.js';
import { requirePostgres } from '../store/drivers.js';

const MODERN = '2026-07-28';
const HEALTH_INTERVAL_MS = 1_000;
/** A call that takes longer than this is counted as hung (the test fails on any). */
const HANG_MS = 20_000;

const hasPg = await requirePostgres('cluster test');

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The upstream HTTP API every node calls: `/items/{id}` echoes, `/ping` answers health checks. While `hold` is on,
 * `/items` requests are parked until `release()`: a call parked there is in flight on its node and cannot finish.
 */
async function startUpstream() {
  const parked: (() => void)[] = [];
  const seen = new Map<string, number>();
  const state = {
    url: '',
    server: undefined as unknown as Server,
    pings: 0,
    hold: false,
    parked: () => parked.length,
    release: () => parked.splice(0).forEach((answer) => answer()),
    /** Item ids the upstream was asked for more than once (a call that ran twice). */
    repeated: () => [...seen].filter(([, n]) => n > 1).map(([id]) => id),
  };
  state.server = createServer((req, res) => {
    if (req.url === '/ping') state.pings++;
    else seen.set(req.url!, (seen.get(req.url!) ?? 0) + 1);
    const answer = (): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
    };
    if (state.hold && req.url !== '/ping') parked.push(answer);
    else answer();
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(state.server.address() as { port: number }).port}`;
  return state;
}

function manifest(baseUrl: string, version: string, extraTool = false): object {
  const item = (name: string) => ({
    name,
    input_schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    http: { method: 'GET', path: '/items/{id}' },
  });
  return {
    name: 'echo',
    version,
    kind: 'http',
    http: { base_url: baseUrl, retries: 0 },
    tools: [
      item('get_item'),
      ...(extraTool ? [item('get_extra')] : []),
      { name: 'ping', input_schema: { type: 'object' }, http: { method: 'GET', path: '/ping' } },
    ],
  };
}

/** A client calling `echo__get_item` in a loop; it counts successes and records failures. */
class Caller {
  ok = 0;
  readonly failures: { at: number; error: string }[] = [];
  #running = true;
  #done: Promise<void>;

  constructor(
    readonly name: string,
    readonly client: Client,
  ) {
    this.#done = this.#loop();
  }

  get total(): number {
    return this.ok + this.failures.length;
  }

  async #loop(): Promise<void> {
    let n = 0;
    while (this.#running) {
      const id = `${this.name}-${n++}`;
      let timer: NodeJS.Timeout | undefined;
      try {
        const hang = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`HANG: no answer within ${HANG_MS} ms`)), HANG_MS);
        });
        const result = await Promise.race([this.client.callTool({ name: 'echo__get_item', arguments: { id } }), hang]);
        const structured = result.structuredContent as { path?: string } | undefined;
        if (result.isError || structured?.path !== `/items/${id}`) {
          throw new Error(`wrong result: ${JSON.stringify(result).slice(0, 200)}`);
        }
        this.ok++;
      } catch (err) {
        this.failures.push({ at: Date.now(), error: err instanceof Error ? err.message : String(err) });
      } finally {
        clearTimeout(timer);
      }
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }
}

function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  return sum;
}

describe.skipIf(!hasPg)('three nodes on one PostgreSQL behind a round-robin balancer', () => {
  let cluster: TestCluster;
  /** The nodes alive (a killed one is removed). */
  let nodes: ServerProcess[] = [];
  let adminToken = '';
  let dbName = '';
  let admin: pg.Client;
  const clients: Client[] = [];
  const callers: Caller[] = [];
  let balancer: RoundRobinBalancer;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let apiKey = '';
  let legacyChanged = 0;
  let legacyClient: Client;
  let legacyTransport: StreamableHTTPClientTransport;

  const connect = async (
    era: 'legacy' | 'modern',
  ): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> => {
    const client = new Client(
      { name: `cluster-${era}`, version: '1.0.0' },
      era === 'modern' ? { versionNegotiation: { mode: { pin: MODERN } } } : {},
    );
    const transport = new StreamableHTTPClientTransport(new URL(`${balancer.url}/mcp/default`), {
      requestInit: { headers: { Authorization: `Bearer ${apiKey}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  };

  const failures = (era?: string): { caller: string; at: number; error: string }[] =>
    callers
      .filter((c) => era === undefined || c.name.startsWith(era))
      .flatMap((c) => c.failures.map((f) => ({ caller: c.name, ...f })));

  /** Waits until every caller completed `n` more successful calls than now. */
  const moreCalls = async (n: number): Promise<void> => {
    const base = callers.map((c) => c.ok);
    await waitFor(`${n} more calls from every client`, () => callers.every((c, i) => c.ok >= base[i]! + n), 60_000);
  };

  const healthChecksOn = async (node: ServerProcess): Promise<number> => {
    const res = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    return metric(await res.text(), 'toolport_health_checks_total');
  };

  beforeAll(async () => {
    upstream = await startUpstream();
    cluster = await startCluster(3, {
      prefix: 'toolport_cluster',
      env: { TOOLPORT_HEALTH_INTERVAL_MS: String(HEALTH_INTERVAL_MS) },
    });
    ({ nodes, balancer, adminToken, dbName, admin } = cluster);

    const rest = createRestClient(nodes[0]!.url, adminToken);
    const key = await rest('POST', '/v1/tenants/default/api-keys', { name: 'cluster', scopes: ['invoke'] });
    expect(key.status).toBe(201);
    apiKey = key.body.key as string;
    const installed = await rest('POST', '/v1/projects/default/connectors/install-from-manifest', {
      manifest: manifest(upstream.url, '1.0.0'),
    });
    expect(installed.status).toBe(201);
    for (const node of nodes) {
      const api = createRestClient(node.url, adminToken);
      await waitFor('the connector on every node', async () => {
        const res = await api('GET', '/v1/projects/default/tools');
        return res.status === 200 && (res.body.tools as { name: string }[]).length === 2;
      });
    }
  }, 120_000);

  afterAll(async () => {
    // A node that died on its own (not the one the test killed) says why.
    for (const n of nodes)
      if (n.child.exitCode !== null) console.error(`[cluster] node exited:\n${n.output().slice(-3000)}`);
    await Promise.all(callers.map((c) => c.stop()));
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await cluster?.close();
    upstream?.server.close();
  }, 60_000);

  it('serves both eras through the balancer with calls spread over every node', async () => {
    for (let i = 0; i < 2; i++) callers.push(new Caller(`modern-${i}`, (await connect('modern')).client));
    const legacy = await connect('legacy');
    legacyClient = legacy.client;
    legacyTransport = legacy.transport;
    legacyClient.setNotificationHandler('notifications/tools/list_changed', () => void legacyChanged++);
    callers.push(new Caller('legacy-0', legacyClient));
    callers.push(new Caller('legacy-1', (await connect('legacy')).client));
    await moreCalls(20);
    expect(balancer.requestCounts().every((n) => n > 10)).toBe(true);
    expect(failures()).toEqual([]);
  }, 90_000);

  it('loses no call across a change made on another node, and list_changed reaches a 2025 client', async () => {
    const sessionId = legacyTransport.sessionId!;
    await waitFor('the 2025 GET stream open', () => balancer.streamHolders(sessionId).length > 0);
    const holder = balancer.streamHolders(sessionId)[0]!;
    const changer = nodes[(holder + 1) % nodes.length]!;
    const before = legacyChanged;
    const res = await createRestClient(changer.url, adminToken)(
      'POST',
      '/v1/projects/default/connectors/install-from-manifest',
      {
        manifest: manifest(upstream.url, '2.0.0', true),
      },
    );
    expect(res.status).toBe(200);
    await waitFor('list_changed at the 2025 client whose stream is on another node', () => legacyChanged > before);
    for (const node of nodes) {
      const api = createRestClient(node.url, adminToken);
      await waitFor('the new tool on every node', async () => {
        const tools = (await api('GET', '/v1/projects/default/tools')).body.tools as { name: string }[];
        return tools.some((t) => t.name === 'get_extra');
      });
    }
    const modern = callers.find((c) => c.name.startsWith('modern'))!.client;
    const listed = await modern.listTools({}, { cacheMode: 'refresh' } as never);
    expect(listed.tools.map((t) => t.name)).toContain('echo__get_extra');
    await moreCalls(10);
    expect(failures()).toEqual([]);
  }, 90_000);

  it('survives the health-check leader being SIGKILLed mid-traffic', async () => {
    // How often the one connector is checked across the cluster (reported, not asserted: wall-clock).
    const p0 = upstream.pings;
    const t0 = Date.now();
    await waitFor('6 health-check pings', () => upstream.pings >= p0 + 6);
    const perInterval = (6 * HEALTH_INTERVAL_MS) / (Date.now() - t0);
    console.log(`[cluster] health checks of one connector across 3 nodes: ${perInterval.toFixed(2)} per interval`);
    // The leader is the node whose health checks keep counting.
    const checks = await Promise.all(nodes.map(healthChecksOn));
    let leader = -1;
    await waitFor('a health check on some node', async () => {
      const now = await Promise.all(nodes.map(healthChecksOn));
      leader = now.findIndex((n, i) => n > checks[i]!);
      return leader >= 0;
    });
    const legacySession = legacyTransport.sessionId;
    const survivors = nodes.filter((_, i) => i !== leader);
    const survivorChecks = await Promise.all(survivors.map(healthChecksOn));
    // Kill the leader while it surely holds a 2026 client's call: every caller's call parked at the upstream,
    // one of the sessionless ones on the leader (released and parked again until the rotation puts one there).
    upstream.hold = true;
    await waitFor('a 2026 call parked on the leader', () => {
      if (upstream.parked() < callers.length) return false;
      if (balancer.inFlight(leader).sessionless > 0) return true;
      upstream.release();
      return false;
    });
    const before = balancer.counts();
    const killedAt = Date.now();
    await nodes[leader]!.kill();
    nodes.splice(leader, 1);
    upstream.hold = false;
    upstream.release();
    // Health checks move to a surviving node (watched from the kill on).
    const resumed = waitFor('health checks on a surviving node', async () => {
      const now = await Promise.all(survivors.map(healthChecksOn));
      return now.some((n, i) => n > survivorChecks[i]!);
    }).then(() => Date.now() - killedAt);
    // Every client keeps calling successfully after the kill.
    await moreCalls(20);
    const lost = failures().filter((f) => f.at >= killedAt);
    const counts = balancer.counts();
    const replayed = counts.replayed - before.replayed;
    console.log(
      `[cluster] after SIGKILL of node-${leader}: ${lost.length} failed calls, ${replayed} sessionless requests ` +
        `re-sent by the balancer, ${upstream.repeated().length} item calls that reached the upstream twice`,
      lost,
    );
    // 2026 clients lose nothing: the call cut on the dead node was re-sent to another node.
    expect(replayed).toBeGreaterThanOrEqual(1);
    expect(failures('modern').filter((f) => f.at >= killedAt)).toEqual([]);
    // 2025 clients: at most their calls in flight on the dead node fail, each with an error, never a hang.
    expect(lost.filter((f) => f.error.startsWith('HANG'))).toEqual([]);
    expect(lost.length).toBeLessThanOrEqual(callers.filter((c) => c.name.startsWith('legacy')).length);
    expect(legacyTransport.sessionId).toBe(legacySession);
    console.log(`[cluster] health checks resumed on a survivor ${await resumed} ms after the kill`);
  }, 120_000);

  it('heals by itself after every PostgreSQL connection of every node is terminated', async () => {
    const before = failures().length;
    const killed = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [dbName],
    );
    expect(killed.rowCount).toBeGreaterThan(0);
    await moreCalls(10);
    // Changes still propagate: an uninstall of the extra tool made on one node reaches the other.
    const res = await createRestClient(nodes[0]!.url, adminToken)(
      'POST',
      '/v1/projects/default/connectors/install-from-manifest',
      {
        manifest: manifest(upstream.url, '3.0.0'),
      },
    );
    expect(res.status).toBe(200);
    for (const node of nodes) {
      const api = createRestClient(node.url, adminToken);
      await waitFor('version 3 on every node', async () => {
        const tools = (await api('GET', '/v1/projects/default/tools')).body?.tools as { name: string }[] | undefined;
        return tools !== undefined && !tools.some((t) => t.name === 'get_extra');
      });
    }
    await moreCalls(10);
    const after = failures().slice(before);
    console.log(`[cluster] after pg_terminate_backend: ${after.length} failed calls`, after);
    expect(after).toEqual([]);
    console.log(
      `[cluster] calls: ${callers.map((c) => `${c.name}=${c.ok} ok/${c.failures.length} failed`).join(', ')}`,
    );
  }, 120_000);
});
