/**
 * A PostgreSQL connection killed while checked out (pg_terminate_backend, a PostgreSQL restart) must not end the
 * process: pg's pool only listens for errors of idle connections. Seen in the cluster test (issue 15) as a node
 * dying when its connections were terminated during a health-check batch, which holds the leader lock's
 * connection for the whole batch.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/index.js';
import { createSecretBox, type Store } from '../../src/store/index.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { PG_URL, requirePostgres } from './drivers.js';

const skip = !(await requirePostgres('connection loss tests'));

describe.skipIf(skip)('a PostgreSQL connection terminated while in use', () => {
  const schema = `t_loss_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  const seen: string[] = [];
  const waiters: (() => void)[] = [];
  const log = (_o: Record<string, unknown>, msg?: string): void => {
    if (msg === undefined) return;
    seen.push(msg);
    for (const w of waiters.splice(0)) w();
  };
  const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
  let store: Store;

  beforeAll(async () => {
    await admin.connect();
    store = createPostgresStore({
      url: PG_URL,
      schema,
      secretBox: createSecretBox({ key: randomBytes(32).toString('base64') }),
      logger,
    });
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
  });

  it('survives the leader lock connection being killed mid-batch, and the next lock works', async () => {
    const lost = 'a PostgreSQL connection in use failed';
    const ran = await store
      .withLeaderLock('loss-test', async () => {
        const { rows } = await admin.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_try_advisory_lock%' AND pid <> pg_backend_pid()",
        );
        expect(rows.length).toBeGreaterThan(0);
        for (const { pid } of rows) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        // The batch goes on until the connection's loss was noticed (without the guard: an uncaught 'error').
        while (!seen.includes(lost)) await new Promise<void>((r) => waiters.push(r));
      })
      .catch((err: Error) => err);
    expect(seen).toContain(lost);
    expect(ran === true || ran instanceof Error).toBe(true);
    // The pool replaced the dead connection: the lock can be taken again.
    expect(await store.withLeaderLock('loss-test', async () => undefined)).toBe(true);
  });
});
