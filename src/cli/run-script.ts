import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createError } from '../core/index.js';

/** Options of {@link runScript}. */
export interface RunScriptOptions {
  /** Only these functions become tools (default: every public function). */
  functions?: string[];
  /**
   * `functions` (default): the script's public functions become tools. `script`: the whole script is one
   * tool run with command-line arguments read from its argparse calls (choices, nargs, append, flags).
   */
  mode?: 'functions' | 'script';
  /** Interpreter command or path (default `python3`). */
  python?: string;
}

// src/cli/run-script.ts and dist/cli/run-script.js are both two levels below the package root.
const RUNNER = fileURLToPath(new URL('../../python/toolport_runner.py', import.meta.url));

/**
 * `toolport run-script FILE.py`: runs the script as a standalone stdio MCP server (the "generated
 * wrapper") with this process's stdio; resolves with `process.exitCode` set to the runner's.
 */
export function runScript(file: string, options: RunScriptOptions = {}): Promise<void> {
  const script = resolve(file);
  if (!existsSync(script) || !statSync(script).isFile()) {
    return Promise.reject(createError('bad_request', `script not found: ${file}`));
  }
  if (options.mode === 'script' && options.functions?.length) {
    return Promise.reject(createError('bad_request', '--functions applies to --mode functions only'));
  }
  const args = [RUNNER, 'serve', script];
  if (options.mode === 'script') args.push('--mode', 'script');
  else if (options.functions && options.functions.length > 0) args.push('--functions', options.functions.join(','));
  return new Promise<void>((resolvePromise, reject) => {
    const child = spawn(options.python ?? 'python3', args, { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const cleanup = (): void => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    };
    child.on('error', (err) => {
      cleanup();
      reject(createError('upstream_unavailable', `cannot start python: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      cleanup();
      process.exitCode = code ?? (signal ? 128 + 15 : 1);
      resolvePromise();
    });
  });
}
