import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AEAD_IV_BYTES,
  AEAD_TAG_BYTES,
  createError,
  ensurePrivateFile,
  seal,
  unseal,
  type Logger,
} from '../core/index.js';

/** Seals and opens secrets at rest (AES-256-GCM). */
export interface SecretBox {
  /** Encrypts `plain` into the versioned sealed form `v1:<iv>:<tag>:<ciphertext>` (base64url parts). */
  encrypt(plain: string): string;
  /** Opens a sealed value; throws `store_failed` when the key is wrong or the value was tampered with. */
  decrypt(sealed: string): string;
  /**
   * A 32-byte key for another purpose (HKDF-SHA256 of the secret key with `purpose` as info): every process with
   * the same secret key derives the same one, and it reveals nothing about the secret key or other purposes.
   */
  deriveKey(purpose: string): Buffer;
}

/** Where the SecretBox key comes from: an explicit key wins over a key file. */
export interface SecretBoxOptions {
  /** 32 bytes as 64 hex characters or base64/base64url. */
  key?: string;
  /** A file holding the key; created with mode 0600 when absent. */
  keyFile?: string;
  logger?: Logger;
}

const KEY_BYTES = 32;
const VERSION = 'v1';

/** Parses a key string (hex or base64); null when it does not encode exactly 32 bytes. */
function parseKey(text: string): Buffer | null {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return null;
  const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === KEY_BYTES ? bytes : null;
}

/** Reads the key file, or creates it (0600, exclusive so two starting processes agree on one key). */
function loadKeyFile(path: string, logger?: Logger): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw createError('config_invalid', 'Cannot read the secret key file (keyFile)', { field: 'keyFile' }, err);
    }
    const fresh = randomBytes(KEY_BYTES).toString('base64');
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
      text = fresh;
    } catch (writeErr) {
      // Another process created it between our read and write: use theirs.
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw createError(
          'config_invalid',
          'Cannot create the secret key file (keyFile)',
          { field: 'keyFile' },
          writeErr,
        );
      }
      text = readFileSync(path, 'utf8');
    }
  }
  ensurePrivateFile(path, logger, { create: false });
  const key = parseKey(text);
  if (!key)
    throw createError('config_invalid', 'The secret key file (keyFile) does not hold a 32-byte key in hex or base64', {
      field: 'keyFile',
    });
  return key;
}

const wrongKey = (): Error =>
  createError(
    'store_failed',
    'Cannot decrypt a stored secret: the secret key differs from the one it was sealed with, or the value is corrupted',
  );

/**
 * Creates a SecretBox from a key or a key file.
 * @example createSecretBox({ key: process.env.TOOLPORT_SECRET_KEY, keyFile: 'data/secret.key' })
 */
export function createSecretBox(options: SecretBoxOptions): SecretBox {
  let key: Buffer;
  if (options.key !== undefined && options.key !== '') {
    const parsed = parseKey(options.key);
    if (!parsed)
      throw createError('config_invalid', 'The secret key (key) must be 32 bytes as 64 hex characters or base64', {
        field: 'key',
      });
    key = parsed;
  } else if (options.keyFile) {
    key = loadKeyFile(options.keyFile, options.logger);
  } else {
    throw createError('config_invalid', 'A secret key (key) or a key file path (keyFile) is required', {
      field: 'key',
    });
  }

  return {
    deriveKey(purpose: string): Buffer {
      return Buffer.from(hkdfSync('sha256', key, 'toolport', purpose, KEY_BYTES));
    },
    encrypt(plain: string): string {
      const { iv, tag, ct } = seal(key, plain);
      return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join(':');
    },
    decrypt(sealed: string): string {
      const parts = typeof sealed === 'string' ? sealed.split(':') : [];
      if (parts.length !== 4 || parts[0] !== VERSION) {
        throw createError(
          'store_failed',
          'Cannot decrypt a stored secret: it is not a sealed value of a known version',
        );
      }
      const iv = Buffer.from(parts[1]!, 'base64url');
      const tag = Buffer.from(parts[2]!, 'base64url');
      const ct = Buffer.from(parts[3]!, 'base64url');
      if (iv.length !== AEAD_IV_BYTES || tag.length !== AEAD_TAG_BYTES) throw wrongKey();
      try {
        return unseal(key, { iv, tag, ct });
      } catch {
        throw wrongKey();
      }
    },
  };
}
