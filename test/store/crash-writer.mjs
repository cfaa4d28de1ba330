// Child process of sqlite-crash.test.ts: commits tenants (each with its project, one transaction)
// as fast as it can and prints each id only after its COMMIT returned — an acknowledged write.
// Runs with the driver's own pragmas, passed in as JSON so they are defined in one place only.
import process from 'node:process';
import Database from 'better-sqlite3';

const [dbPath, pragmasJson] = process.argv.slice(2);
const db = new Database(dbPath);
for (const pragma of JSON.parse(pragmasJson)) db.pragma(pragma);

const insertTenant = db.prepare('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)');
const insertProject = db.prepare(
  "INSERT INTO projects (tenant_id, id, name, description, created_at, updated_at) VALUES (?, 'default', 'Default', '', ?, ?)",
);
const commit = db.transaction((id, now) => {
  insertTenant.run(id, id, now);
  insertProject.run(id, now, now);
});

for (let i = 0; ; i++) {
  const id = `crash-${i}`;
  const now = new Date().toISOString();
  commit(id, now);
  // Pipes are synchronous on Linux: once this returns, the parent can read the line.
  process.stdout.write(`${id}\n`);
}
