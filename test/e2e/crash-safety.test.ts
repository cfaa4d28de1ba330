import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess } from '../helpers/server-process.js';

describe('crash safety of the SQLite store', () => {
  it('keeps every acknowledged write after SIGKILL while writing, and the database stays intact', async () => {
    const first = await startServerProcess();
    const api = createRestClient(first.url, first.adminToken);
    const acknowledged: string[] = [];
    let stop = false;
    let enough!: () => void;
    const sixtyAcknowledged = new Promise<void>((resolve) => (enough = resolve));
    // Four writers hammer the server; each 201 is an acknowledged write.
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const id = `p-${w}-${i}`;
        try {
          const res = await api('POST', '/v1/projects', { id, description: 'x'.repeat(200) });
          if (res.status === 201 && acknowledged.push(id) === 60) enough();
        } catch {
          return; // the connection died with the process
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    // Killed while the writers are still going, as soon as 60 writes were acknowledged.
    await Promise.race([
      sixtyAcknowledged,
      Promise.all(writers).then(() => Promise.reject(new Error(`writers stopped at ${acknowledged.length} writes`))),
    ]);
    await first.kill();
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);

    const second = await startServerProcess({ dataDir: first.dataDir });
    try {
      const list = await createRestClient(second.url, second.adminToken)('GET', '/v1/projects');
      expect(list.status).toBe(200);
      const rows: { id: string }[] = Array.isArray(list.body) ? list.body : list.body.projects;
      const present = new Set(rows.map((p) => p.id));
      const missing = acknowledged.filter((id) => !present.has(id));
      expect(missing).toEqual([]);
    } finally {
      await second.stop();
    }
    const db = new Database(join(first.dataDir, 'toolport.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});
