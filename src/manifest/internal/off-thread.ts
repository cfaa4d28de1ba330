/**
 * parseManifest for server requests: a large manifest text (a connector of thousands of tools takes most of a
 * second to parse with positions) is parsed in a worker thread, so other tenants' calls on the node keep running.
 * Small texts and objects are parsed in-line, where a worker's round trip would cost more than it saves.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compiledWorkerUrl, createError, createWorkerJobRunner, type WorkerJobRunner } from '../../core/index.js';
import type { ParseJob } from './parse-worker.js';
import { parseManifest, type ParseOptions, type ParseResult } from './parse.js';

/** Texts of at least this many UTF-16 units (64 Ki) are parsed off the event loop. */
export const OFF_THREAD_MIN_CHARS = 64 * 1024;

/** Options of parseManifestOffThread besides those of parseManifest. */
export interface OffThreadParseOptions extends ParseOptions {
  /** Texts at least this long go to the worker; default OFF_THREAD_MIN_CHARS (tests set Infinity to compare). */
  minChars?: number;
}

let runner: WorkerJobRunner<Omit<ParseJob, 'id'>, ParseResult> | undefined;

function parseRunner(): WorkerJobRunner<Omit<ParseJob, 'id'>, ParseResult> | undefined {
  if (runner) return runner;
  const workerUrl = compiledWorkerUrl(import.meta.url, 'parse-worker.js');
  // Without a build (sources run directly), parse in-line as before rather than fail the install.
  if (!existsSync(fileURLToPath(workerUrl))) return undefined;
  runner = createWorkerJobRunner({
    workerUrl,
    timeoutMs: 60_000,
    maxQueued: 16,
    maxHeapMb: 1024,
    label: 'manifest parse',
    timeoutError: (ms) => createError('limit_exceeded', `manifest: parsing took longer than ${ms / 1000} s`),
    outOfMemoryError: (mb) => createError('limit_exceeded', `manifest: parsing needed more than ${mb} MB of memory`),
  });
  return runner;
}

/**
 * parseManifest, off the event loop for texts of at least `minChars`; the result is the same as in-line
 * (the worker's ParseResult is plain data and crosses the thread boundary by structured clone).
 */
export async function parseManifestOffThread(
  input: string | Record<string, unknown>,
  options: OffThreadParseOptions = {},
): Promise<ParseResult> {
  const { minChars = OFF_THREAD_MIN_CHARS, ...parseOptions } = options;
  const worker = typeof input === 'string' && input.length >= minChars ? parseRunner() : undefined;
  if (typeof input !== 'string' || !worker) return parseManifest(input, parseOptions);
  return worker.run({ text: input, options: parseOptions });
}
