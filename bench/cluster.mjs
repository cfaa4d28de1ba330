// tools/call throughput of 1 node vs 3 nodes on one PostgreSQL database, behind the same round-robin TCP balancer
// (per connection, no affinity), with a 2025-era session whose id any node can serve. The tool is a stdio echo MCP
// server (bench/echo-server.mjs), so every node runs its own copy. Never part of `npm test`.
// Usage: npm run build && node bench/cluster.mjs [--duration 10] [--connections 12] [--nodes 1,3] [--json]
//        (TOOLPORT_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test, names the server; a fresh
//        database is created per run and dropped after)
import { connect, createServer } from 'node:net';
import { startCluster } from './cluster-lib.mjs';
import {
  benchArgs,
  ECHO,
  fmt,
  freePort,
  loadTest,
  machineFacts,
  openSession,
  rpc,
  table,
  toolsCallBody,
} from './lib.mjs';

const opts = benchArgs({
  duration: 10,
  connections: 12,
  nodes: '1,3',
  // `balancer` (default), `node0` (load straight at the first node, the others idle) or `node1` (a session opened
  // on node 0 loaded at node 1): separates the balancer and the sharing of the machine from the cluster's cost.
  target: 'balancer',
  json: false,
});
const { duration, connections } = opts;
const CALL = toolsCallBody('echo', { text: 'hello' });
const ECHO_MANIFEST = { name: 'echo', version: '1.0.0', kind: 'mcp', mcp: { command: process.execPath, args: [ECHO] } };

/** A round-robin TCP balancer: each new client connection goes to the next backend. */
async function startBalancer(ports) {
  let next = 0;
  const sockets = new Set();
  const server = createServer((client) => {
    const port = ports[next++ % ports.length];
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => client.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

async function measure(count) {
  const cluster = await startCluster(count, { healthIntervalMs: 3_600_000 });
  await cluster.install('bench', ECHO_MANIFEST);
  const balancer = await startBalancer(cluster.nodes.map((n) => n.port));
  try {
    const base = opts.target === 'balancer' ? balancer.url : cluster.nodes[0].base;
    let session = await openSession(`${base}/mcp/bench/echo`, { authorization: `Bearer ${cluster.adminToken}` });
    // `node1`: a session opened on node 0, loaded at node 1 (which rebuilds it from the id).
    if (opts.target === 'node1') session = { ...session, url: `${cluster.nodes[1].base}/mcp/bench/echo` };
    const answer = await rpc(session, CALL);
    if (answer?.result?.content?.[0]?.text !== 'hello') throw new Error(`unexpected answer: ${JSON.stringify(answer)}`);
    // Warm every node (each rebuilds the session on its first request) before the measured run.
    await loadTest(session, CALL, { duration: 2, connections });
    const load = await loadTest(session, CALL, { duration, connections });
    return { nodes: count, ...load };
  } finally {
    await balancer.close();
    await cluster.close();
  }
}

const machine = await machineFacts();
const results = [];
for (const count of opts.nodes.split(',').map(Number)) {
  console.log(`measuring ${count} node(s): ${duration} s, ${connections} connections…`);
  results.push(await measure(count));
}
const after = await machineFacts();
if (opts.json) {
  console.log(`RESULT ${JSON.stringify({ machine, loadAfter: after.loadavg, results })}`);
} else {
  console.log(
    `node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, load before ${machine.loadavg}, after ${after.loadavg}`,
  );
  console.log(
    table(
      [
        { title: 'nodes', value: (r) => String(r.nodes) },
        { title: 'req/s', value: (r) => fmt(r.requestsPerSec, 0) },
        { title: 'p50 ms', value: (r) => fmt(r.p50, 1) },
        { title: 'p99 ms', value: (r) => fmt(r.p99, 1) },
        { title: 'errors', value: (r) => String(r.errors) },
        { title: 'non-2xx', value: (r) => String(r.non2xx) },
      ],
      results,
    ),
  );
}
