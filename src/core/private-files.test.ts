import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger } from './logger.js';
import { ensurePrivateDir, ensurePrivateFile } from './private-files.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const noop = (): void => undefined;
  const logger: Logger = {
    debug: noop,
    info: noop,
    warn: (_obj, msg) => warnings.push(msg ?? ''),
    error: noop,
    child: () => logger,
  };
  return { logger, warnings };
}

describe('private data paths', () => {
  it('creates a directory 0700 and a file 0600, without a warning', () => {
    const { logger, warnings } = recordingLogger();
    const dir = join(mkdtempSync(join(tmpdir(), 'toolport-private-')), 'a', 'b');
    ensurePrivateDir(dir, logger);
    ensurePrivateFile(join(dir, 'f.db'), logger);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'f.db'))).toBe(0o600);
    expect(warnings).toEqual([]);
  });

  it('tightens an existing directory and file with wider modes and says so', () => {
    const { logger, warnings } = recordingLogger();
    const dir = mkdtempSync(join(tmpdir(), 'toolport-private-'));
    chmodSync(dir, 0o755);
    const file = join(dir, 'secret.key');
    writeFileSync(file, 'x', { mode: 0o644 });
    ensurePrivateDir(dir, logger);
    ensurePrivateFile(file, logger, { create: false });
    expect(mode(dir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/tightened/);
  });

  it('does not create a file when asked only to tighten', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolport-private-'));
    ensurePrivateFile(join(dir, 'absent-wal'), undefined, { create: false });
    expect(() => statSync(join(dir, 'absent-wal'))).toThrow();
  });
});
