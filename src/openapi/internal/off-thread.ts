/**
 * Runs imports in one worker thread, one at a time, so a document of thousands of operations (seconds of
 * parsing and mapping) never holds up the server's event loop. Each job has a size limit and a timeout; the
 * worker has a heap limit; a worker that times out or fails is replaced for the next job.
 */
import { compiledWorkerUrl, createError, createWorkerJobRunner, type WorkerJobEvent } from '../../core/index.js';
import type { ImportOptions } from './build.js';
import type { ImportJob } from './import-worker.js';

/** Limits of the off-thread importer. */
export interface OffThreadImportOptions {
  /** Largest document (bytes of its JSON/YAML text); default 8 MiB. Larger → payload_too_large. */
  maxSpecBytes?: number;
  /** Longest one import may take; default 60 s. Longer → the worker is stopped and the job fails. */
  timeoutMs?: number;
  /** Imports waiting behind the running one; default 4. More → rate_limited. */
  maxQueued?: number;
  /** Heap limit of the worker thread (MB); default 1536. */
  maxHeapMb?: number;
  /** The worker module (tests); default the compiled `import-worker.js`. */
  workerUrl?: URL;
}

/** What a running job tells listeners: it was handed to the worker, or it ended (either way). */
export type ImportJobEvent = WorkerJobEvent;

/** The importer: `run` resolves to the preview as JSON text (`{manifest, tools, skipped, warnings, stats}`). */
export interface OffThreadImporter {
  run(spec: string | Record<string, unknown>, options: ImportOptions, limits?: { timeoutMs?: number }): Promise<string>;
  /** Subscribes to job events; returns unsubscribe. */
  onJob(listener: (event: ImportJobEvent) => void): () => void;
  /** Stops the worker; jobs still waiting fail. */
  close(): Promise<void>;
}

/** Creates the importer; the worker starts with the first job and stays for the next ones. */
export function createOffThreadImporter(options: OffThreadImportOptions = {}): OffThreadImporter {
  const maxSpecBytes = options.maxSpecBytes ?? 8 * 1024 * 1024;
  const runner = createWorkerJobRunner<Omit<ImportJob, 'id'>, string>({
    workerUrl: options.workerUrl ?? compiledWorkerUrl(import.meta.url, 'import-worker.js'),
    timeoutMs: options.timeoutMs ?? 60_000,
    maxQueued: options.maxQueued ?? 4,
    maxHeapMb: options.maxHeapMb ?? 1536,
    label: 'OpenAPI import',
    timeoutError: (ms) =>
      createError(
        'limit_exceeded',
        `spec: the import took longer than ${ms / 1000} s; filter it with include/exclude or use toolport import-openapi`,
        { pointer: '/spec', timeout_ms: ms },
      ),
    outOfMemoryError: (mb) =>
      createError('limit_exceeded', `spec: the import needed more than ${mb} MB of memory`, { pointer: '/spec' }),
  });
  return {
    run(spec, importOptions, limits = {}) {
      const text = typeof spec === 'string' ? spec : JSON.stringify(spec);
      const bytes = Buffer.byteLength(text);
      if (bytes > maxSpecBytes) {
        return Promise.reject(
          createError('payload_too_large', `spec: ${bytes} bytes is more than the import limit of ${maxSpecBytes}`, {
            pointer: '/spec',
            limit_bytes: maxSpecBytes,
          }),
        );
      }
      return runner.run({ spec: text, options: importOptions }, limits);
    },
    onJob: (listener) => runner.onJob(listener),
    close: () => runner.close(),
  };
}
