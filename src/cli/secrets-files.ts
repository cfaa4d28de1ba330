import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, ensurePrivateFile } from '../core/index.js';

/**
 * The admin token: `TOOLPORT_ADMIN_TOKEN` when set, otherwise generated once and kept in `<data>/admin-token`
 * with mode 0600 so restarts keep the same token.
 */
export function resolveAdminToken(
  dataDir: string,
  fromConfig: string | undefined,
): { token: string; generated: boolean; file?: string } {
  if (fromConfig) return { token: fromConfig, generated: false };
  ensurePrivateDir(dataDir);
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) {
    ensurePrivateFile(file, undefined, { create: false });
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, generated: false, file };
  }
  const token = `tpa_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, generated: true, file };
}
