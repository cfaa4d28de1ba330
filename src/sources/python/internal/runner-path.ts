import { fileURLToPath } from 'node:url';

/**
 * The shipped runner. This module sits at `src/sources/python/internal/` (tests) or
 * `dist/sources/python/internal/` (built); both are four levels below the package root.
 */
export function runnerPath(): string {
  return fileURLToPath(new URL('../../../../python/toolport_runner.py', import.meta.url));
}
