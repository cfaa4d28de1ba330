/**
 * Python tool sources: a stdlib-only runner (`python/toolport_runner.py`) turns a script's
 * functions (or the whole script) into MCP tools; this module pools and sandboxes its processes.
 */
import type { ToolSource } from '../../core/index.js';

import { cgroupManager, type LimitMode } from '../../sandbox/index.js';
import { PythonSource, type PythonSourceOptions } from './internal/python-source.js';

export { analyzeScript } from './internal/analyze.js';
export type { AnalyzeOptions, AnalyzedFunction, ScriptAnalysis } from './internal/analyze.js';
export { runnerPath } from './internal/runner-path.js';
export { buildStandaloneWrapper } from './internal/wrapper.js';
export type { WrapperSpec } from './internal/wrapper.js';
export { detectBwrap } from './internal/sandbox.js';
export type { BwrapStatus } from './internal/sandbox.js';
export type { LimitMode, TreeLimits } from '../../sandbox/index.js';

/**
 * How worker-tree limits are enforced on this host: per-worker cgroups (v1 or v2) when writable, else rlimits.
 *
 * @example
 * if (limitMode() === 'rlimit') logger.warn({}, 'python process and memory limits are per process only');
 */
export function limitMode(): LimitMode {
  return cgroupManager()?.mode ?? 'rlimit';
}
export type { PythonSourceOptions } from './internal/python-source.js';

/**
 * Creates the ToolSource of one python connector version: a warm, bounded worker pool,
 * sandboxed with bubblewrap when available.
 *
 * @example
 * const source = createPythonSource({ manifest, config: { API_KEY: 'k' } });
 * const tools = await source.load();
 * const result = await source.invoke('add', { a: 1, b: 2 });
 */
export function createPythonSource(options: PythonSourceOptions): ToolSource {
  return new PythonSource(options);
}
