import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** AES-256-GCM nonce and tag sizes: every sealed value of Toolport uses these. */
export const AEAD_IV_BYTES = 12;
export const AEAD_TAG_BYTES = 16;

/** The parts of an AES-256-GCM sealed value; each caller frames them in its own format. */
export interface SealedParts {
  iv: Buffer;
  tag: Buffer;
  ct: Buffer;
}

/** Seals `plain` with a 32-byte key under a fresh random nonce; `aad` is authenticated but not encrypted. */
export function seal(key: Buffer, plain: string, aad?: Buffer): SealedParts {
  const iv = randomBytes(AEAD_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ct };
}

/** Opens sealed parts; throws when the key differs or anything (parts or `aad`) was altered. */
export function unseal(key: Buffer, { iv, tag, ct }: SealedParts, aad?: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
}
