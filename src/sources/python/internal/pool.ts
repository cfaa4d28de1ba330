import { type Clock, createError, type Logger, systemClock } from '../../../core/index.js';

import { describeExit, type PythonWorker, type WorkerExit } from './worker.js';

/** Tuning of a worker pool that has defaults (tests and operators set them; defaults suit production). */
export interface PoolTuning {
  /** Calls waiting for a worker beyond this are rejected with `rate_limited`. */
  maxQueue?: number;
  /** Idle workers beyond the first are closed after this long. */
  idleMs?: number;
  /** This many unexpected deaths in a row (within the window) is a crash loop. */
  crashThreshold?: number;
  crashWindowMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** What a worker pool needs; everything but `start`, `maxWorkers` and `logger` has a default. */
export interface PoolOptions extends PoolTuning {
  start: () => Promise<PythonWorker>;
  maxWorkers: number;
  logger: Logger;
  clock?: Clock;
}

/** Counters shown in `info()`. */
export interface PoolStats {
  workers: number;
  busy: number;
  queued: number;
  crashLoop: boolean;
  lastError?: string;
}

interface Slot {
  worker?: PythonWorker;
  state: 'starting' | 'idle' | 'busy';
  idleTimer?: NodeJS.Timeout;
}

interface Waiter {
  resolve: (worker: PythonWorker) => void;
  reject: (err: Error) => void;
}

/**
 * A bounded set of warm workers shared by all calls of one source. Workers are reused across
 * calls; deaths are counted so a script that keeps crashing backs off instead of spinning.
 */
export class WorkerPool {
  #options: Required<Omit<PoolOptions, 'clock'>> & { clock: Clock };
  #slots = new Set<Slot>();
  #bySlotWorker = new Map<PythonWorker, Slot>();
  #waiters: Waiter[] = [];
  #deaths: number[] = [];
  #lastError: string | undefined;
  #nextSpawnAt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#options = {
      maxQueue: 64,
      idleMs: 60_000,
      crashThreshold: 3,
      crashWindowMs: 60_000,
      backoffBaseMs: 1_000,
      backoffMaxMs: 60_000,
      clock: systemClock,
      ...options,
      maxWorkers: Math.max(1, options.maxWorkers),
    };
  }

  /** True while repeated worker deaths keep the pool from serving. */
  get crashLoop(): boolean {
    return this.#recentDeaths() >= this.#options.crashThreshold;
  }

  /** Why the last worker died or failed to start. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  stats(): PoolStats {
    let busy = 0;
    for (const slot of this.#slots) if (slot.state === 'busy') busy++;
    const stats: PoolStats = {
      workers: this.#slots.size,
      busy,
      queued: this.#waiters.length,
      crashLoop: this.crashLoop,
    };
    if (this.#lastError) stats.lastError = this.#lastError;
    return stats;
  }

  /** Rejects when the pool cannot serve: crash loop with no live worker, or closed. */
  assertServing(): void {
    if (this.#closed) throw createError('upstream_unavailable', 'the python source is closed');
    if (this.crashLoop && this.#liveCount() === 0 && this.#options.clock.now() < this.#nextSpawnAt) {
      throw this.#crashLoopError();
    }
  }

  /** A worker for exclusive use until `release`/`discard`. */
  acquire(): Promise<PythonWorker> {
    this.assertServing();
    for (const slot of this.#slots) {
      if (slot.state === 'idle' && slot.worker) return Promise.resolve(this.#take(slot, slot.worker));
    }
    if (this.#waiters.length >= this.#options.maxQueue) {
      throw createError('rate_limited', `too many queued python calls (limit ${this.#options.maxQueue})`, {
        maxQueue: this.#options.maxQueue,
      });
    }
    const promise = new Promise<PythonWorker>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#pump();
    return promise;
  }

  /** Returns a worker after a call; `retire` closes it instead (e.g. after a MemoryError). */
  release(worker: PythonWorker, options: { healthy?: boolean; retire?: boolean } = {}): void {
    if (options.healthy) this.#markHealthy();
    const slot = this.#bySlotWorker.get(worker);
    if (!slot) return;
    if (options.retire || !worker.alive || this.#closed) {
      this.#remove(slot);
      worker.kill();
      this.#pump();
      return;
    }
    slot.state = 'idle';
    this.#scheduleIdle(slot);
    this.#pump();
  }

  /** Kills a worker on purpose (timeout) and keeps one warm replacement. */
  discard(worker: PythonWorker): void {
    const slot = this.#bySlotWorker.get(worker);
    worker.kill();
    if (slot) this.#remove(slot);
    if (this.#slots.size === 0 && !this.#closed && !this.crashLoop) this.#spawn();
    this.#pump();
  }

  /** Starts the first worker and waits until it is ready (or fails). */
  async warm(): Promise<void> {
    const worker = await this.acquire();
    this.release(worker);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const error = createError('upstream_unavailable', 'the python source is closed');
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    const exits: Promise<WorkerExit>[] = [];
    for (const slot of [...this.#slots]) {
      clearTimeout(slot.idleTimer);
      if (slot.worker) {
        exits.push(slot.worker.exited);
        slot.worker.kill();
      }
    }
    await Promise.all(exits);
  }

  #take(slot: Slot, worker: PythonWorker): PythonWorker {
    clearTimeout(slot.idleTimer);
    slot.state = 'busy';
    return worker;
  }

  #pump(): void {
    if (this.#closed) return;
    while (this.#waiters.length > 0) {
      const slot = [...this.#slots].find((s) => s.state === 'idle' && s.worker);
      if (!slot?.worker) break;
      this.#waiters.shift()!.resolve(this.#take(slot, slot.worker));
    }
    let starting = 0;
    for (const slot of this.#slots) if (slot.state === 'starting') starting++;
    let wanted = this.#waiters.length - starting;
    while (wanted > 0 && this.#slots.size < this.#options.maxWorkers) {
      if (this.crashLoop) {
        // In a crash loop only one probe worker at a time, and only once the backoff has passed.
        if (starting > 0) break;
        const wait = this.#nextSpawnAt - this.#options.clock.now();
        if (wait > 0) {
          if (this.#liveCount() === 0) this.#rejectWaiters(this.#crashLoopError());
          break;
        }
      }
      this.#spawn();
      starting++;
      wanted--;
    }
  }

  #spawn(): void {
    const slot: Slot = { state: 'starting' };
    this.#slots.add(slot);
    this.#options.start().then(
      (worker) => {
        slot.worker = worker;
        this.#bySlotWorker.set(worker, slot);
        worker.onExit((exit) => this.#onExit(slot, exit));
        if (this.#closed) {
          worker.kill();
          return;
        }
        slot.state = 'idle';
        this.#scheduleIdle(slot);
        this.#pump();
      },
      (err: Error) => {
        this.#slots.delete(slot);
        this.#recordDeath(err.message);
        // A start failure is usually deterministic (syntax error, missing module): fail the
        // waiters now rather than retrying, unless other workers are alive to serve them.
        if (this.#liveCount() === 0) this.#rejectWaiters(err);
        else this.#pump();
      },
    );
  }

  #onExit(slot: Slot, exit: WorkerExit): void {
    if (!this.#slots.has(slot)) return;
    this.#remove(slot);
    if (!exit.killedByUs) {
      const reason = exit.lastStderr ? `${describeExit(exit)}: ${exit.lastStderr}` : describeExit(exit);
      this.#recordDeath(reason);
      this.#options.logger.warn({ pid: slot.worker?.pid, code: exit.code, signal: exit.signal }, 'python worker died');
    }
    this.#pump();
  }

  #remove(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    this.#slots.delete(slot);
    if (slot.worker) this.#bySlotWorker.delete(slot.worker);
  }

  #scheduleIdle(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      let idle = 0;
      for (const s of this.#slots) if (s.state === 'idle') idle++;
      // Keep one warm worker; close the extra ones nobody used for a while.
      if (slot.state === 'idle' && idle > 1 && slot.worker) {
        this.#remove(slot);
        slot.worker.kill();
      }
    }, this.#options.idleMs);
    slot.idleTimer.unref();
  }

  #recordDeath(reason: string): void {
    const now = this.#options.clock.now();
    this.#lastError = reason;
    this.#deaths.push(now);
    const count = this.#recentDeaths();
    if (count >= this.#options.crashThreshold) {
      const exponent = count - this.#options.crashThreshold;
      const delay = Math.min(this.#options.backoffBaseMs * 2 ** exponent, this.#options.backoffMaxMs);
      this.#nextSpawnAt = now + delay;
      this.#options.logger.error({ deaths: count, retryInMs: delay }, 'python worker crash loop');
      clearTimeout(this.#retryTimer);
      // Waiters queued behind busy workers get their probe once the backoff has passed.
      this.#retryTimer = setTimeout(() => this.#pump(), delay + 1);
      this.#retryTimer.unref();
    }
  }

  #recentDeaths(): number {
    const since = this.#options.clock.now() - this.#options.crashWindowMs;
    this.#deaths = this.#deaths.filter((t) => t >= since);
    return this.#deaths.length;
  }

  #markHealthy(): void {
    this.#deaths = [];
    this.#nextSpawnAt = 0;
  }

  #liveCount(): number {
    let live = 0;
    for (const slot of this.#slots) if (slot.worker?.alive) live++;
    return live;
  }

  #rejectWaiters(err: Error): void {
    for (const waiter of this.#waiters.splice(0)) waiter.reject(err);
  }

  #crashLoopError(): Error {
    const retryIn = Math.max(0, this.#nextSpawnAt - this.#options.clock.now());
    return createError(
      'upstream_unavailable',
      `python worker crash loop (${this.#deaths.length} deaths): ${this.#lastError ?? 'unknown reason'}; next retry in ${Math.ceil(retryIn / 1000)} s`,
      { crashLoop: true, retryInMs: retryIn },
    );
  }
}
