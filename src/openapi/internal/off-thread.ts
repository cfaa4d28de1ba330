/**
 * Runs imports in one worker thread, one at a time, so a document of thousands of operations (seconds of
 * parsing and mapping) never holds up the server's event loop. Each job has a size limit and a timeout; the
 * worker has a heap limit; a worker that times out or fails is replaced for the next job.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createError, ERROR_CODES, type ErrorCode, type ErrorDetails } from '../../core/index.js';
import type { ImportOptions } from './build.js';
import type { ImportAnswer, ImportJob } from './import-worker.js';

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
export type ImportJobEvent = { type: 'start'; id: number } | { type: 'end'; id: number; ok: boolean };

/** The importer: `run` resolves to the preview as JSON text (`{manifest, tools, skipped, warnings, stats}`). */
export interface OffThreadImporter {
  run(spec: string | Record<string, unknown>, options: ImportOptions, limits?: { timeoutMs?: number }): Promise<string>;
  /** Subscribes to job events; returns unsubscribe. */
  onJob(listener: (event: ImportJobEvent) => void): () => void;
  /** Stops the worker; jobs still waiting fail. */
  close(): Promise<void>;
}

interface Pending {
  job: ImportJob;
  timeoutMs: number;
  resolve: (json: string) => void;
  reject: (err: unknown) => void;
}

/** Creates the importer; the worker starts with the first job and stays for the next ones. */
export function createOffThreadImporter(options: OffThreadImportOptions = {}): OffThreadImporter {
  const maxSpecBytes = options.maxSpecBytes ?? 8 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxQueued = options.maxQueued ?? 4;
  const maxHeapMb = options.maxHeapMb ?? 1536;
  const listeners = new Set<(event: ImportJobEvent) => void>();
  const queue: Pending[] = [];
  let worker: Worker | undefined;
  let running: (Pending & { timer: NodeJS.Timeout; worker: Worker }) | undefined;
  let nextId = 1;
  let closed = false;

  const emit = (event: ImportJobEvent): void => {
    for (const listener of listeners) listener(event);
  };

  const finish = (outcome: { json: string } | { error: unknown }): void => {
    const job = running;
    if (!job) return;
    running = undefined;
    clearTimeout(job.timer);
    emit({ type: 'end', id: job.job.id, ok: 'json' in outcome });
    if ('json' in outcome) job.resolve(outcome.json);
    else job.reject(outcome.error);
    pump();
  };

  const discardWorker = (): void => {
    const old = worker;
    worker = undefined;
    if (old) void old.terminate();
  };

  const startWorker = (): Worker => {
    const url = options.workerUrl ?? defaultWorkerUrl();
    if (!existsSync(fileURLToPath(url))) {
      throw createError('internal', 'the OpenAPI import worker is missing (run `npm run build`)');
    }
    const w = new Worker(url, { resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } });
    w.unref();
    w.on('message', (answer: ImportAnswer) => {
      if (!running || answer.id !== running.job.id) return;
      if (answer.ok) finish({ json: answer.json });
      else finish({ error: rebuildError(answer.error) });
    });
    // Events of a worker already replaced (stopped after a timeout) concern no current job.
    w.on('error', (err: Error & { code?: string }) => {
      if (worker === w) worker = undefined;
      if (running?.worker !== w) return;
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish({
        error: oom
          ? createError('limit_exceeded', `spec: the import needed more than ${maxHeapMb} MB of memory`, {
              pointer: '/spec',
            })
          : createError('internal', 'the OpenAPI import failed unexpectedly'),
      });
    });
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      if (running?.worker !== w) return;
      finish({ error: createError('internal', 'the OpenAPI import worker stopped unexpectedly') });
    });
    return w;
  };

  const pump = (): void => {
    if (running || closed) return;
    const next = queue.shift();
    if (!next) return;
    let current: Worker;
    try {
      current = worker ??= startWorker();
    } catch (err) {
      next.reject(err);
      pump();
      return;
    }
    const timer = setTimeout(() => {
      discardWorker();
      finish({
        error: createError(
          'limit_exceeded',
          `spec: the import took longer than ${next.timeoutMs / 1000} s; filter it with include/exclude or use toolport import-openapi`,
          { pointer: '/spec', timeout_ms: next.timeoutMs },
        ),
      });
    }, next.timeoutMs);
    running = { ...next, timer, worker: current };
    emit({ type: 'start', id: next.job.id });
    current.postMessage(next.job);
  };

  return {
    run(spec, importOptions, limits = {}) {
      if (closed) return Promise.reject(createError('upstream_unavailable', 'the OpenAPI importer is closed'));
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
      if (running && queue.length >= maxQueued) {
        return Promise.reject(createError('rate_limited', 'too many OpenAPI imports at once; retry shortly'));
      }
      return new Promise<string>((resolve, reject) => {
        const job = { id: nextId++, spec: text, options: importOptions };
        queue.push({ job, timeoutMs: limits.timeoutMs ?? timeoutMs, resolve, reject });
        pump();
      });
    },
    onJob(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      for (const pending of queue.splice(0)) pending.reject(createError('upstream_unavailable', 'server closing'));
      const w = worker;
      worker = undefined;
      finish({ error: createError('upstream_unavailable', 'server closing') });
      if (w) await w.terminate();
    },
  };
}

/** A worker error as the ToolportError it was (codes outside the catalogue become `internal`). */
function rebuildError(error: { code: string; message: string; details?: unknown }): Error {
  const code = (error.code in ERROR_CODES ? error.code : 'internal') as ErrorCode;
  return createError(code, error.message, error.details as ErrorDetails | undefined);
}

/**
 * The compiled worker next to this module. Run from the TypeScript sources (tests), that is the same path
 * under dist/, which `npm run build` writes.
 */
function defaultWorkerUrl(): URL {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return new URL('./import-worker.js', import.meta.url);
  const root = here.slice(0, here.lastIndexOf(`${sep}src${sep}`));
  return pathToFileURL(join(root, 'dist', relative(join(root, 'src'), dirname(here)), 'import-worker.js'));
}
