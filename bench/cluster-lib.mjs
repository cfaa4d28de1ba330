// Shared by the cluster benchmarks: N `toolport serve` nodes on a fresh PostgreSQL database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DIST, freePort, startProcess, waitForHttp } from './lib.mjs';

/** The server the fresh database is made on (`TOOLPORT_BENCH_DATABASE_URL`). */
export const PG_URL = process.env.TOOLPORT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Starts `count` nodes on a fresh database (dropped by `close`); resolves with their processes, URLs, the admin
 * token and `install(project, manifest)`, which installs through the first node and waits until every node serves it.
 */
export async function startCluster(count, { healthIntervalMs = 3_600_000 } = {}) {
  const db = `toolport_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const url = new URL(PG_URL);
  url.pathname = `/${db}`;
  const secretKey = randomBytes(32).toString('base64');
  const adminToken = `bench-admin-${randomBytes(8).toString('hex')}`;
  const nodes = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const data = mkdtempSync(join(tmpdir(), 'toolport-cluster-bench-'));
    const proc = startProcess(
      `node-${i}`,
      process.execPath,
      [join(DIST, 'cli.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data', data],
      {
        env: {
          ...process.env,
          TOOLPORT_ADMIN_TOKEN: adminToken,
          TOOLPORT_DATABASE_URL: url.toString(),
          TOOLPORT_SECRET_KEY: secretKey,
          TOOLPORT_HOT_RELOAD: '0',
          // The benchmarks' upstreams listen on loopback.
          TOOLPORT_ALLOW_PRIVATE_NETWORKS: '1',
          TOOLPORT_HEALTH_INTERVAL_MS: String(healthIntervalMs),
          TOOLPORT_LOG_LEVEL: process.env.TOOLPORT_LOG_LEVEL ?? 'warn',
        },
      },
    );
    nodes.push({ proc, port, data, base: `http://127.0.0.1:${port}` });
    // One at a time: the first migrates the schema.
    await waitForHttp(`${nodes[i].base}/health`, proc);
  }
  const auth = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const post = async (path, body) => {
    const res = await fetch(`${nodes[0].base}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    nodes,
    adminToken,
    post,
    async install(project, manifest) {
      if (project !== 'default') await post('/v1/projects', { id: project }).catch(() => undefined);
      await post(`/v1/projects/${project}/connectors/install-from-manifest`, { manifest });
      for (const node of nodes) {
        for (let tries = 0; ; tries++) {
          const res = await fetch(`${node.base}/v1/projects/${project}/tools`, { headers: auth });
          const tools = res.ok ? (await res.json()).tools : [];
          if (tools.length > 0) break;
          if (tries > 200) throw new Error(`node ${node.base} never served the connector`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    close: async () => {
      await Promise.all(nodes.map((n) => n.proc.stop()));
      for (const n of nodes) rmSync(n.data, { recursive: true, force: true });
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.end();
    },
  };
}
