import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { parse, resolve } from 'node:path';
import type { Logger } from './logger.js';

/**
 * Toolport's data directory holds the store, the secret key and uploaded scripts: it is created 0700 and its
 * files 0600. One that already exists with a wider mode is tightened, and the change logged.
 */

/** Creates `dir` (and parents) 0700, or tightens an existing one that group or others may enter. */
export function ensurePrivateDir(dir: string, logger?: Logger): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700, logger);
}

/** Creates `file` empty with mode 0600 when missing, or tightens an existing one; `create: false` only tightens. */
export function ensurePrivateFile(file: string, logger?: Logger, options: { create?: boolean } = {}): void {
  if (options.create !== false) {
    try {
      closeSync(openSync(file, 'a', 0o600));
    } catch {
      return; // the caller's own open reports why it cannot be used
    }
  }
  tighten(file, 0o600, logger);
}

function tighten(path: string, wanted: number, logger?: Logger): void {
  let mode: number;
  let uid: number;
  try {
    ({ mode, uid } = statSync(path));
  } catch {
    return;
  }
  if ((mode & 0o077) === 0) return;
  const absolute = resolve(path);
  // Never chmod a filesystem root or something another user owns (e.g. --data /tmp): warn instead.
  const ours = typeof process.getuid !== 'function' || uid === process.getuid();
  if (absolute === parse(absolute).root || !ours) {
    logger?.warn({ path: absolute, mode: (mode & 0o777).toString(8) }, 'data path is readable by others; restrict it');
    return;
  }
  try {
    chmodSync(path, wanted);
    logger?.warn(
      { path: absolute, from: (mode & 0o777).toString(8), to: wanted.toString(8) },
      'tightened the mode of a data path so only the server user can read it',
    );
  } catch {
    logger?.warn({ path: absolute }, 'data path is readable by others and cannot be tightened; restrict it');
  }
}
