import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ConfigKeySpec, ConnectorManifest, PythonConnectorSpec } from '../../src/manifest/types.js';
import { detectBwrap, limitMode } from '../../src/sources/python/index.js';

/** A temp directory for one test file, removed by `cleanup`. */
export function createWorkdir(prefix: string): {
  dir: string;
  write: (name: string, content: string) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), `toolport-${prefix}-`));
  return {
    dir,
    write(name, content) {
      const path = join(dir, name);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A normalised python manifest with test-friendly defaults. */
export function pythonManifest(
  script: string,
  python: Partial<PythonConnectorSpec> = {},
  config: Record<string, ConfigKeySpec> = {},
): ConnectorManifest {
  return {
    name: 'pytest',
    version: '1.0.0',
    kind: 'python',
    config,
    python: {
      script,
      mode: 'functions',
      functions: [],
      parameters: [],
      allow_network: false,
      timeout_ms: 10_000,
      memory_mb: 512,
      max_workers: 1,
      ...python,
    },
    tools: [],
  };
}

/** Whether sandbox tests can run; under CI they must (the CI image installs bubblewrap). */
export async function sandboxAvailable(): Promise<boolean> {
  const status = await detectBwrap();
  if (!status.available) {
    if (process.env.CI === 'true') throw new Error(`bubblewrap is required under CI: ${status.reason ?? ''}`);
    console.warn(`[test/python] bubblewrap unavailable (${status.reason ?? 'unknown'}): sandbox tests skipped`);
  }
  return status.available;
}

/** The text of the first content block of a result. */
export function firstText(result: { content: { type: string; text?: string }[] }): string {
  const block = result.content[0];
  return block && block.type === 'text' ? (block.text ?? '') : '';
}

/** Whether per-worker cgroups enforce process and memory limits here; says so when they do not. */
export function cgroupsWritable(): boolean {
  const mode = limitMode();
  if (mode === 'rlimit') {
    console.warn('[test/python] no writable pids+memory cgroups here: tree process/memory limit tests skipped');
  }
  return mode !== 'rlimit';
}
