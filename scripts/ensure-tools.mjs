// Installs an outside tool folder (test/tools, bench/peers) with `npm ci` when its node_modules is missing or older
// than its lockfile, so `npm test` and `npm run bench` work from a fresh clone. These folders hold tools that need a
// newer Node than the project's own floor (the Inspector declares >= 22.19, mcp-proxy's pipenet >= 22): kept apart,
// the project's `npm ci` installs on Node 20 without engine warnings, and their warnings show here instead.
// Usage: node scripts/ensure-tools.mjs <folder>…
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
for (const folder of process.argv.slice(2)) {
  const dir = join(root, folder);
  const lock = join(dir, 'package-lock.json');
  const installed = join(dir, 'node_modules', '.package-lock.json');
  // npm writes node_modules/.package-lock.json on every install: one at least as new as the lockfile is current.
  const current = existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
  if (current) continue;
  console.log(`ensure-tools: npm ci in ${folder}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(
      `ensure-tools: npm ci failed in ${folder} (exit ${result.status}); tests or benches that need it will say so`,
    );
  }
}
