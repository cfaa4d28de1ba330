import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { PG_URL, requirePostgres } from '../store/drivers.js';

const hasPg = await requirePostgres('readiness against PostgreSQL');

/** A TCP relay in front of PostgreSQL that the test can cut (kill every connection, stop listening) and restore. */
class CuttableRelay {
  #server?: Server;
  #sockets = new Set<Socket>();
  port = 0;

  async open(): Promise<void> {
    const target = new URL(PG_URL);
    this.#server = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server?.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}

async function health(server: ServerProcess, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('/health reports the store (SQLite)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is ready with a reachable store, without a token and without details', async () => {
    const live = await health(server, '/health');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'ok', ready: true, store: 'ok' });
    expect(Object.keys(live.body).sort()).toEqual(['ready', 'status', 'store', 'uptime_s', 'version']);
    const ready = await health(server, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ready: true, store: 'ok' });
  });
});

describe.skipIf(!hasPg)('/health reports a PostgreSQL outage', () => {
  let server: ServerProcess;
  const relay = new CuttableRelay();
  const schema = `ready_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    const setup = new pg.Client({ connectionString: PG_URL });
    await setup.connect();
    await setup.query(`CREATE SCHEMA ${schema}`);
    await setup.end();
    await relay.open();
    const url = new URL(PG_URL);
    url.port = String(relay.port);
    url.searchParams.set('options', `-c search_path=${schema}`);
    server = await startServerProcess({ env: { TOOLPORT_DATABASE_URL: url.toString() } });
  });
  afterAll(async () => {
    await server?.kill();
    await relay.cut();
    const cleanup = new pg.Client({ connectionString: PG_URL });
    await cleanup.connect();
    await cleanup.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await cleanup.end();
  });

  it('answers 503 on /health/ready and store: unreachable on /health while PostgreSQL is cut off, then recovers', async () => {
    expect((await health(server, '/health/ready')).status).toBe(200);
    await relay.cut();

    // Results are reused for a second, so the outage shows on the next probe.
    await expect.poll(async () => (await health(server, '/health/ready')).status, { timeout: 15_000 }).toBe(503);
    const ready = await health(server, '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ ready: false, store: 'unreachable' });
    const live = await health(server, '/health');
    // Liveness stays 200 (the process is up), readiness is false and nothing about the failure leaks.
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'degraded', ready: false, store: 'unreachable' });
    expect(JSON.stringify(live.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);

    // The relay comes back on the same port: readiness follows without a restart.
    await relay.open();
    await expect.poll(async () => (await health(server, '/health/ready')).status, { timeout: 15_000 }).toBe(200);
  });
});
