// Writes the server's OpenAPI document to web/openapi.json without listening: builds the REST app from dist/
// (run after tsc) on a throwaway SQLite store and asks it for /openapi.json in-process. The console's typed
// client is generated from this file at build time, so the console cannot drift from the API.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi } from '../dist/api/index.js';
import { createSecretBox, openStore } from '../dist/store/index.js';

const out = process.argv[2] ?? 'web/openapi.json';
const dir = mkdtempSync(join(tmpdir(), 'toolport-openapi-'));
const adminToken = 'openapi-dump';
const store = await openStore({ dataDir: dir, secretBox: createSecretBox({ keyFile: join(dir, 'secret.key') }) });
try {
  // Route registration reads none of these; they only need to exist so every optional route group is present.
  const { app } = await createApi({
    store,
    registry: /** @type {any} */ ({}),
    adminToken,
    version: JSON.parse((await import('node:fs')).readFileSync('package.json', 'utf8')).version,
    scripts: /** @type {any} */ ({}),
    webhooks: /** @type {any} */ ({}),
    clientConfig: () => ({}),
  });
  const res = await app.inject({
    method: 'GET',
    url: '/openapi.json',
    headers: { authorization: `Bearer ${adminToken}` },
  });
  if (res.statusCode !== 200) throw new Error(`/openapi.json answered ${res.statusCode}: ${res.body}`);
  writeFileSync(out, `${JSON.stringify(JSON.parse(res.body), null, 2)}\n`);
  await app.close();
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
