/**
 * Runs jobs in one worker thread, one at a time, so work of seconds (parsing a large document) never holds up
 * the server's event loop. Each job has a timeout; the worker has a heap limit; a worker that times out or fails
 * is replaced for the next job. The worker answers each `{id, ...payload}` message with a WorkerAnswer.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';
import { createError, isToolportError, type ErrorDetails } from './errors.js';

/** A worker's answer to job `id`: its value, or the error as plain data. */
export type WorkerAnswer<R> =
  | { id: number; ok: true; value: R }
  | { id: number; ok: false; error: { code: string; message: string; details?: unknown } };

/** How the runner starts its worker and words its failures. */
export interface WorkerJobOptions {
  /** The worker module. */
  workerUrl: URL;
  /** Longest one job may take (ms) unless `run` says otherwise. */
  timeoutMs: number;
  /** Jobs waiting behind the running one; more → rate_limited. */
  maxQueued: number;
  /** Heap limit of the worker thread (MB). */
  maxHeapMb: number;
  /** What one job is called in messages, e.g. "OpenAPI import". */
  label: string;
  /** The error of a job that took longer than `timeoutMs`. */
  timeoutError(timeoutMs: number): Error;
  /** The error of a job that ran the worker out of memory. */
  outOfMemoryError(maxHeapMb: number): Error;
}

/** What a running job tells listeners: it was handed to the worker, or it ended (either way). */
export type WorkerJobEvent = { type: 'start'; id: number } | { type: 'end'; id: number; ok: boolean };

/** The runner: `run` posts `{id, ...payload}` to the worker and resolves to the answer's value. */
export interface WorkerJobRunner<P extends object, R> {
  run(payload: P, limits?: { timeoutMs?: number }): Promise<R>;
  /** Subscribes to job events; returns unsubscribe. */
  onJob(listener: (event: WorkerJobEvent) => void): () => void;
  /** Stops the worker; jobs still waiting fail. */
  close(): Promise<void>;
}

interface Pending<R> {
  message: object & { id: number };
  timeoutMs: number;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

/** Creates the runner; the worker starts with the first job and stays for the next ones. */
export function createWorkerJobRunner<P extends object, R>(options: WorkerJobOptions): WorkerJobRunner<P, R> {
  const { label, maxHeapMb } = options;
  const listeners = new Set<(event: WorkerJobEvent) => void>();
  const queue: Pending<R>[] = [];
  let worker: Worker | undefined;
  let running: (Pending<R> & { timer: NodeJS.Timeout; worker: Worker }) | undefined;
  let nextId = 1;
  let closed = false;

  const emit = (event: WorkerJobEvent): void => {
    for (const listener of listeners) listener(event);
  };

  const finish = (outcome: { value: R } | { error: unknown }): void => {
    const job = running;
    if (!job) return;
    running = undefined;
    clearTimeout(job.timer);
    emit({ type: 'end', id: job.message.id, ok: 'value' in outcome });
    if ('value' in outcome) job.resolve(outcome.value);
    else job.reject(outcome.error);
    pump();
  };

  const startWorker = (): Worker => {
    if (!existsSync(fileURLToPath(options.workerUrl))) {
      throw createError('internal', `the ${label} worker is missing (run \`npm run build\`)`);
    }
    const w = new Worker(options.workerUrl, { resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } });
    w.unref();
    w.on('message', (answer: WorkerAnswer<R>) => {
      if (!running || answer.id !== running.message.id) return;
      if (answer.ok) finish({ value: answer.value });
      else finish({ error: rebuildError(answer.error) });
    });
    // Events of a worker already replaced (stopped after a timeout) concern no current job.
    w.on('error', (err: Error & { code?: string }) => {
      if (worker === w) worker = undefined;
      if (running?.worker !== w) return;
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish({
        error: oom ? options.outOfMemoryError(maxHeapMb) : createError('internal', `the ${label} failed unexpectedly`),
      });
    });
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      if (running?.worker !== w) return;
      finish({ error: createError('internal', `the ${label} worker stopped unexpectedly`) });
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
      const old = worker;
      worker = undefined;
      if (old) void old.terminate();
      finish({ error: options.timeoutError(next.timeoutMs) });
    }, next.timeoutMs);
    running = { ...next, timer, worker: current };
    emit({ type: 'start', id: next.message.id });
    current.postMessage(next.message);
  };

  return {
    run(payload, limits = {}) {
      if (closed) return Promise.reject(createError('upstream_unavailable', `the ${label} worker is closed`));
      if (running && queue.length >= options.maxQueued) {
        return Promise.reject(createError('rate_limited', `too many ${label}s at once; retry shortly`));
      }
      return new Promise<R>((resolve, reject) => {
        const message = { ...payload, id: nextId++ };
        queue.push({ message, timeoutMs: limits.timeoutMs ?? options.timeoutMs, resolve, reject });
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

/** Runs `work` inside a worker: answers each job message on `port` with its value or its error as plain data. */
export function answerWorkerJobs<P extends object, R>(
  port: { on(event: 'message', fn: (job: P & { id: number }) => void): unknown; postMessage(answer: unknown): void },
  work: (job: P) => R | Promise<R>,
): void {
  port.on('message', (job) => {
    void (async (): Promise<WorkerAnswer<R>> => {
      try {
        return { id: job.id, ok: true, value: await work(job) };
      } catch (err) {
        if (isToolportError(err)) {
          const error = { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
          return { id: job.id, ok: false, error };
        }
        return { id: job.id, ok: false, error: { code: 'internal', message: (err as Error).message } };
      }
    })().then((answer) => port.postMessage(answer));
  });
}

/** A worker error as the ToolportError it was (codes outside the catalogue become `internal`). */
function rebuildError(error: { code: string; message: string; details?: unknown }): Error {
  const code = (error.code in ERROR_CODES ? error.code : 'internal') as ErrorCode;
  return createError(code, error.message, error.details as ErrorDetails | undefined);
}

/**
 * The compiled worker `fileName` next to the module at `moduleUrl` (its import.meta.url). Run from the TypeScript
 * sources (tests), that is the same path under dist/, which `npm run build` writes.
 */
export function compiledWorkerUrl(moduleUrl: string, fileName: string): URL {
  const here = fileURLToPath(moduleUrl);
  if (!here.endsWith('.ts')) return new URL(`./${fileName}`, moduleUrl);
  const root = here.slice(0, here.lastIndexOf(`${sep}src${sep}`));
  return pathToFileURL(join(root, 'dist', relative(join(root, 'src'), dirname(here)), fileName));
}
