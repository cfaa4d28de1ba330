import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isToolportError } from '../core/index.js';
import { createSecretBox } from './secret-box.js';

const HEX_KEY = 'a'.repeat(64);
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The code of the ToolportError `fn` throws. */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isToolportError(err) ? err.code : 'not-a-toolport-error';
  }
  return undefined;
}

describe('createSecretBox', () => {
  it('round-trips text through the versioned sealed form with a fresh IV each time', () => {
    const box = createSecretBox({ key: HEX_KEY });
    const a = box.encrypt('p@ss wörd ✓');
    const b = box.encrypt('p@ss wörd ✓');
    expect(a).toMatch(/^v1:[\w-]{16}:[\w-]{22}:[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('p@ss');
    expect(box.decrypt(a)).toBe('p@ss wörd ✓');
    expect(box.decrypt(box.encrypt(''))).toBe('');
  });

  it('accepts the same key as hex, base64 and base64url', () => {
    const bytes = Buffer.alloc(32, 0xfb);
    const sealed = createSecretBox({ key: bytes.toString('hex') }).encrypt('x');
    expect(createSecretBox({ key: bytes.toString('base64') }).decrypt(sealed)).toBe('x');
    expect(createSecretBox({ key: bytes.toString('base64url') }).decrypt(sealed)).toBe('x');
  });

  it('refuses a wrong key, a tampered value and a foreign format with store_failed', () => {
    const sealed = createSecretBox({ key: HEX_KEY }).encrypt('secret');
    const other = createSecretBox({ key: 'b'.repeat(64) });
    expect(() => other.decrypt(sealed)).toThrow(/secret key differs/);
    const parts = sealed.split(':');
    const flipped = parts[3]!.startsWith('A') ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`;
    const box = createSecretBox({ key: HEX_KEY });
    expect(codeOf(() => box.decrypt([...parts.slice(0, 3), flipped].join(':')))).toBe('store_failed');
    expect(codeOf(() => box.decrypt('plaintext'))).toBe('store_failed');
    expect(codeOf(() => box.decrypt('v2:a:b:c'))).toBe('store_failed');
  });

  it('rejects keys that are not 32 bytes, and a missing key, with config_invalid', () => {
    expect(codeOf(() => createSecretBox({ key: 'short' }))).toBe('config_invalid');
    expect(codeOf(() => createSecretBox({ key: Buffer.alloc(16).toString('base64') }))).toBe('config_invalid');
    expect(codeOf(() => createSecretBox({}))).toBe('config_invalid');
  });

  it('creates a missing key file with mode 0600 and reuses it', () => {
    dir = mkdtempSync(join(tmpdir(), 'toolport-key-'));
    const keyFile = join(dir, 'nested', 'secret.key');
    const sealed = createSecretBox({ keyFile }).encrypt('kept');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(createSecretBox({ keyFile }).decrypt(sealed)).toBe('kept');
  });

  it('prefers an explicit key over the key file and rejects a key file with garbage', () => {
    dir = mkdtempSync(join(tmpdir(), 'toolport-key-'));
    const keyFile = join(dir, 'secret.key');
    writeFileSync(keyFile, 'not a key\n', { mode: 0o600 });
    expect(codeOf(() => createSecretBox({ keyFile }))).toBe('config_invalid');
    expect(createSecretBox({ key: HEX_KEY, keyFile }).decrypt(createSecretBox({ key: HEX_KEY }).encrypt('k'))).toBe(
      'k',
    );
  });
});
