/**
 * Crash safety of the SQLite driver: a child process commits with the driver's pragmas and prints
 * each acknowledged id; it is SIGKILLed mid-stream; reopening with the driver must show every
 * acknowledged id, no half-written transaction, and a database that passes integrity_check.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { createSecretBox, openStore, SQLITE_FILE_NAME } from '../../src/store/index.js';
import { sqlitePragmas } from '../../src/store/sqlite/index.js';
import { randomKey } from './drivers.js';

const WRITER = fileURLToPath(new URL('./crash-writer.mjs', import.meta.url));
const ACKS_BEFORE_KILL = 300;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Runs the writer until it acknowledged `count` ids, then SIGKILLs it; resolves to the acknowledged ids. */
function writeThenKill(dbPath: string, count: number): Promise<{ acked: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dbPath, JSON.stringify(sqlitePragmas())], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: string[] = [];
    let partial = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      // Only complete lines are acknowledgements; a cut-off tail is not.
      partial = lines.pop() ?? '';
      acked.push(...lines);
      if (acked.length >= count && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (code ${code}): ${stderr}`));
      else resolve({ acked, signal });
    });
  });
}

it('keeps every acknowledged transaction, whole, after the writer is SIGKILLed mid-stream', async () => {
  dir = mkdtempSync(join(tmpdir(), 'toolport-crash-'));
  const secretBox = createSecretBox({ key: randomKey() });
  const dbPath = join(dir, SQLITE_FILE_NAME);
  await (await openStore({ dataDir: dir, secretBox })).close();

  const { acked, signal } = await writeThenKill(dbPath, ACKS_BEFORE_KILL);
  expect(signal).toBe('SIGKILL');
  expect(acked.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
  // Killed without a clean close: the newest commits live in the WAL and must be recovered from it.
  expect(existsSync(`${dbPath}-wal`) && statSync(`${dbPath}-wal`).size > 0).toBe(true);

  const store = await openStore({ dataDir: dir, secretBox });
  const tenants = new Set((await store.listTenants()).map((t) => t.id));
  const missing = acked.filter((id) => !tenants.has(id));
  expect(missing).toEqual([]);
  // Atomicity: every tenant that made it has the project written in the same transaction.
  const withProject = new Set((await store.listProjects()).map((p) => p.tenant_id));
  expect([...tenants].filter((id) => !withProject.has(id))).toEqual([]);
  await store.close();

  const db = new Database(dbPath, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
  } finally {
    db.close();
  }
});
