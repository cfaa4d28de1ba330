/**
 * The drivers the store conformance suite runs against: SQLite on a temp dir per test, PostgreSQL on a
 * fresh random schema per test (dropped after). Each yields a `StoreHarness` with raw access to rows.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestAPI } from 'vitest';
import { createSecretBox, openStore, SQLITE_FILE_NAME, type SecretBox, type Store } from '../../src/store/index.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';

/** One fresh database for one test. */
export interface StoreHarness {
  /** A store on the fresh database (migrated unless asked otherwise). */
  store: Store;
  /** Opens another, migrated instance on the same database (another "node"). */
  open(secretBox?: SecretBox): Promise<Store>;
  /** Another instance on the same database, not migrated. */
  openUnmigrated(): Store;
  /** Reads raw rows, bypassing the store (to inspect what is really at rest). */
  raw(sql: string): Promise<Record<string, unknown>[]>;
  /** Closes every instance and removes the database. */
  cleanup(): Promise<void>;
}

/** A test function whose context carries `h`, a fresh database for that test. */
export type StoreTest = TestAPI<{ h: StoreHarness }>;

/** A driver under test. */
export interface StoreDriverFixture {
  name: 'sqlite' | 'postgres';
  /** A fresh database; `migrated: false` leaves the first store unmigrated (for migration tests). */
  setup(options?: { migrated?: boolean }): Promise<StoreHarness>;
}

/** A fresh random SecretBox key. */
export function randomKey(): string {
  return randomBytes(32).toString('base64');
}

/** SQLite: each test gets its own temp directory. */
export const sqliteFixture: StoreDriverFixture = {
  name: 'sqlite',
  async setup({ migrated = true } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'toolport-store-'));
    const box = createSecretBox({ key: randomKey() });
    const opened: Store[] = [];
    const open = async (secretBox = box) => {
      const s = await openStore({ dataDir: dir, secretBox });
      opened.push(s);
      return s;
    };
    const openUnmigrated = () => {
      const s = createSqliteStore({ path: join(dir, SQLITE_FILE_NAME), secretBox: box });
      opened.push(s);
      return s;
    };
    const store = migrated ? await open() : openUnmigrated();
    return {
      store,
      open,
      openUnmigrated,
      async raw(sql) {
        const db = new Database(join(dir, SQLITE_FILE_NAME), { readonly: true });
        try {
          return db.prepare(sql).all() as Record<string, unknown>[];
        } finally {
          db.close();
        }
      },
      async cleanup() {
        await Promise.all(opened.map((s) => s.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** The PostgreSQL URL tests use. */
export const PG_URL = process.env.TOOLPORT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** PG_URL without credentials, for messages. */
export const PG_URL_REDACTED = PG_URL.replace(/\/\/[^@/]*@/, '//');

/** True when PostgreSQL answers at PG_URL. */
export async function isPostgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether the PostgreSQL tests of a file can run: true when PostgreSQL answers; otherwise the file's tests skip with
 * a visible message naming `what` — except under CI=true, where a missing PostgreSQL fails the run.
 */
export async function requirePostgres(what: string): Promise<boolean> {
  if (await isPostgresReachable()) return true;
  if (process.env.CI === 'true') {
    throw new Error(`PostgreSQL is required under CI=true (${what}) but ${PG_URL_REDACTED} is unreachable`);
  }
  console.warn(`[skip] ${what}: no PostgreSQL at ${PG_URL_REDACTED}`);
  return false;
}

/** PostgreSQL: each test gets a fresh random schema, dropped after. */
export const postgresFixture: StoreDriverFixture = {
  name: 'postgres',
  async setup({ migrated = true } = {}) {
    const schema = `t_store_${randomBytes(6).toString('hex')}`;
    const box = createSecretBox({ key: randomKey() });
    const opened: Store[] = [];
    const open = async (secretBox = box) => {
      const s = await openStore({ url: PG_URL, schema, secretBox });
      opened.push(s);
      return s;
    };
    const openUnmigrated = () => {
      const s = createPostgresStore({ url: PG_URL, schema, secretBox: box });
      opened.push(s);
      return s;
    };
    const store = migrated ? await open() : openUnmigrated();
    const query = async (sql: string) => {
      const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        return (await client.query(sql)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    };
    return {
      store,
      open,
      openUnmigrated,
      raw: query,
      async cleanup() {
        await Promise.all(opened.map((s) => s.close()));
        await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      },
    };
  },
};
