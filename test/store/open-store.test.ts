/** openStore: driver selection, data directory handling, configuration errors. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { isToolportError } from '../../src/core/index.js';
import { createSecretBox, openStore, SQLITE_FILE_NAME } from '../../src/store/index.js';
import { randomKey } from './drivers.js';

const secretBox = createSecretBox({ key: randomKey() });
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The ToolportError code `promise` rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => (isToolportError(err) ? err.code : 'not-a-toolport-error'),
  );
}

it('opens SQLite at <dataDir>/toolport.db, creating the directory, migrated and usable', async () => {
  dir = mkdtempSync(join(tmpdir(), 'toolport-open-'));
  const dataDir = join(dir, 'a', 'b');
  const store = await openStore({ dataDir, secretBox });
  try {
    expect(store.driver).toBe('sqlite');
    expect(existsSync(join(dataDir, SQLITE_FILE_NAME))).toBe(true);
    await store.createTenant({ id: 'default', name: 'Default', created_at: new Date(0).toISOString() });
    expect(await store.getTenant('default')).not.toBeNull();
  } finally {
    await store.close();
  }
});

it('refuses options that select no driver, a non-postgres URL and a bad schema name', async () => {
  expect(await codeOf(openStore({ secretBox }))).toBe('config_invalid');
  expect(await codeOf(openStore({ url: 'mysql://x', secretBox }))).toBe('config_invalid');
  expect(await codeOf(openStore({ url: 'postgres://127.0.0.1/test', schema: 'Bad; DROP', secretBox }))).toBe(
    'config_invalid',
  );
});

it('reports an unreachable PostgreSQL as store_failed', async () => {
  // Port 1 on loopback refuses connections at once.
  expect(await codeOf(openStore({ url: 'postgres://postgres@127.0.0.1:1/test', secretBox }))).toBe('store_failed');
});

it('reports a data directory that cannot be created as config_invalid', async () => {
  dir = mkdtempSync(join(tmpdir(), 'toolport-open-'));
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  expect(await codeOf(openStore({ dataDir: join(file, 'data'), secretBox }))).toBe('config_invalid');
});
