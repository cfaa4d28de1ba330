import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PG_URL } from '../store/drivers.js';
import { RoundRobinBalancer } from './balancer.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

/**
 * Several real `toolport serve` nodes on one fresh PostgreSQL database (created here, dropped by `close`) with the
 * same cluster key and admin token, behind a round-robin balancer without session affinity (test/helpers/balancer.ts).
 */
export interface TestCluster {
  readonly dbName: string;
  readonly adminToken: string;
  /** A superuser connection to the test server (not the cluster's database). */
  readonly admin: pg.Client;
  /** The nodes started so far, in order (a test that kills one removes it itself). */
  readonly nodes: ServerProcess[];
  readonly balancer: RoundRobinBalancer;
  /** Starts one more node of this cluster (not added to `nodes` nor to the balancer); `env` adds to or overrides its settings. */
  startNode(name: string, env?: Record<string, string>): Promise<ServerProcess>;
  /** The cluster database's URL, as another role if `user` is given. */
  databaseUrl(user?: string): string;
  /** Stops the balancer and every node ever started, and drops the database. */
  close(): Promise<void>;
}

/** Starts `count` nodes (the first alone, so it migrates; then the others together) and the balancer. */
export async function startCluster(
  count: number,
  options: { prefix: string; env?: Record<string, string> },
): Promise<TestCluster> {
  const dbName = `${options.prefix}_${randomBytes(5).toString('hex')}`;
  const url = new URL(PG_URL);
  url.pathname = `/${dbName}`;
  const secretKey = randomBytes(32).toString('base64');
  const adminToken = `cluster-admin-${randomBytes(12).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const started: ServerProcess[] = [];
  const databaseUrl = (user?: string): string => {
    const at = new URL(url);
    if (user !== undefined) at.username = user;
    return at.toString();
  };
  const startNode = async (name: string, env: Record<string, string> = {}): Promise<ServerProcess> => {
    const node = await startServerProcess({
      adminToken,
      env: {
        TOOLPORT_DATABASE_URL: url.toString(),
        TOOLPORT_SECRET_KEY: secretKey,
        TOOLPORT_HOT_RELOAD: '0',
        TOOLPORT_NODE_ID: name,
        ...options.env,
        ...env,
      },
    });
    started.push(node);
    return node;
  };
  const nodes: ServerProcess[] = [await startNode('node-0')];
  nodes.push(...(await Promise.all(Array.from({ length: count - 1 }, (_, i) => startNode(`node-${i + 1}`)))));
  const balancer = new RoundRobinBalancer(nodes.map((n) => n.url));
  await balancer.listen();
  return {
    dbName,
    adminToken,
    admin,
    nodes,
    balancer,
    startNode,
    databaseUrl,
    close: async () => {
      await balancer.close();
      await Promise.all(started.map((n) => n.kill()));
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}
