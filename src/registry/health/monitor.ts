import { silentLogger, systemClock, type Clock, type ConnectorAddress, type Logger } from '../../core/index.js';
import type { Store } from '../../store/store.js';

/** One connector the monitor checks. */
export interface HealthTarget {
  tenantId: string;
  projectId: string;
  name: string;
  /** Per-connector interval (manifest `health.interval_ms`); the global interval when absent. */
  intervalMs?: number;
}

/** What the monitor needs from the registry: which connectors to check, and a way to check one. */
export interface HealthMonitorHost {
  /** Every enabled connector, whatever its status (connectors in `error` recover through these checks). */
  healthTargets(): Iterable<HealthTarget>;
  /** Runs one health check (and applies its status transition). */
  checkHealth(...connector: ConnectorAddress): Promise<unknown>;
}

/** Timer functions, injectable so tests drive the scheduler with fake timers. */
export interface MonitorTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of the health monitor. */
export interface HealthMonitorOptions {
  host: HealthMonitorHost;
  /**
   * The cluster lock, and (when given) the health history: the lock is taken per batch, so nodes take turns;
   * a connector another node checked less than an interval ago is not checked again.
   */
  store: Pick<Store, 'withLeaderLock'> & Partial<Pick<Store, 'listHealthChecks'>>;
  /** Global interval between checks of one connector. Default 60 s. */
  intervalMs?: number;
  /** Most checks running at once. Default 4. */
  concurrency?: number;
  /** Random spread of each interval, as a fraction (0.1 = ±10%). */
  jitter?: number;
  /** Longest sleep between scheduler wake-ups (new connectors are noticed within it). Default 1 s. */
  pollMs?: number;
  /** A check taking longer is counted as finished (it keeps running) so it cannot stall the scheduler. */
  checkTimeoutMs?: number;
  clock?: Clock;
  timers?: MonitorTimers;
  random?: () => number;
  logger?: Logger;
}

/** Counters of what the monitor did (tests, status displays). */
export interface MonitorStats {
  ticks: number;
  checks: number;
  /** Batches skipped because another node holds the leader lock. */
  skipped: number;
  running: number;
  maxRunning: number;
}

/** Name of the cluster-wide lock: only its holder runs scheduled checks. */
export const HEALTH_LOCK = 'toolport-health';

const defaultTimers: MonitorTimers = {
  // Resolved at call time so fake timers installed after construction still apply.
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Schedules health checks of every enabled connector: a global interval with per-connector overrides,
 * ±jitter so checks of many connectors spread out, a cap on concurrent checks, and only on the node holding
 * the cluster leader lock (taken per batch).
 */
export class HealthMonitor {
  readonly #host: HealthMonitorHost;
  readonly #store: Pick<Store, 'withLeaderLock'> & Partial<Pick<Store, 'listHealthChecks'>>;
  readonly #intervalMs: number;
  readonly #concurrency: number;
  readonly #jitter: number;
  readonly #pollMs: number;
  readonly #checkTimeoutMs: number;
  readonly #clock: Clock;
  readonly #timers: MonitorTimers;
  readonly #random: () => number;
  readonly #logger: Logger;
  /** Next due time per connector key. */
  readonly #due = new Map<string, number>();
  readonly #stats: MonitorStats = { ticks: 0, checks: 0, skipped: 0, running: 0, maxRunning: 0 };
  #timer: unknown;
  #tick: Promise<void> | undefined;
  #running = false;

  constructor(options: HealthMonitorOptions) {
    this.#host = options.host;
    this.#store = options.store;
    this.#intervalMs = Math.max(1, options.intervalMs ?? 60_000);
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#jitter = Math.min(Math.max(options.jitter ?? 0.1, 0), 0.9);
    this.#pollMs = Math.max(1, options.pollMs ?? 1_000);
    this.#checkTimeoutMs = options.checkTimeoutMs ?? 120_000;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? defaultTimers;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Starts scheduling. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops scheduling and waits for the batch in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
  }

  /** What the monitor did so far. */
  stats(): MonitorStats {
    return { ...this.#stats };
  }

  /** The interval of one connector with jitter applied. */
  #nextInterval(target: HealthTarget): number {
    const base = target.intervalMs ?? this.#intervalMs;
    return Math.max(1, Math.round(base * (1 + (this.#random() * 2 - 1) * this.#jitter)));
  }

  #schedule(delay: number): void {
    if (!this.#running) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#tick = this.#runTick().finally(() => {
        this.#tick = undefined;
      });
    }, delay);
  }

  async #runTick(): Promise<void> {
    this.#stats.ticks += 1;
    const now = this.#clock.now();
    const due: HealthTarget[] = [];
    const seen = new Set<string>();
    for (const target of this.#host.healthTargets()) {
      const key = keyOf(target);
      seen.add(key);
      let next = this.#due.get(key);
      if (next === undefined) this.#due.set(key, (next = now + this.#nextInterval(target)));
      if (next <= now) due.push(target);
    }
    for (const key of this.#due.keys()) if (!seen.has(key)) this.#due.delete(key);

    if (due.length > 0) {
      try {
        const ran = await this.#store.withLeaderLock(HEALTH_LOCK, () => this.#runBatch(due));
        if (!ran) {
          this.#stats.skipped += 1;
          for (const target of due) this.#due.set(keyOf(target), now + this.#nextInterval(target));
        }
      } catch (err) {
        // The lock (store) failed: try again next interval rather than hammering a sick store.
        this.#logger.warn({ err: (err as Error).message }, 'health monitor could not take the leader lock');
        for (const target of due) this.#due.set(keyOf(target), now + this.#nextInterval(target));
      }
    }
    this.#schedule(this.#sleep());
  }

  async #runBatch(due: HealthTarget[]): Promise<void> {
    const queue = [...due];
    const worker = async (): Promise<void> => {
      for (let target = queue.shift(); target; target = queue.shift()) {
        if (!this.#running) return;
        if (await this.#checkedElsewhere(target)) continue;
        await this.#checkOne(target);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, due.length) }, worker));
  }

  /**
   * True (and the connector rescheduled after that check) when the history holds a check younger than the
   * shortest jittered interval: another node ran it in its turn of the lock. Read under the lock, so two nodes
   * never both decide to check. A failing read counts as "not checked" (a check too many, never one too few).
   */
  async #checkedElsewhere(target: HealthTarget): Promise<boolean> {
    if (!this.#store.listHealthChecks) return false;
    let last: number;
    try {
      const [latest] = await this.#store.listHealthChecks(target.tenantId, target.projectId, target.name, 1);
      if (!latest) return false;
      last = Date.parse(latest.checked_at);
    } catch {
      return false;
    }
    const base = target.intervalMs ?? this.#intervalMs;
    if (!Number.isFinite(last) || this.#clock.now() - last >= base * (1 - this.#jitter)) return false;
    this.#due.set(keyOf(target), last + this.#nextInterval(target));
    return true;
  }

  async #checkOne(target: HealthTarget): Promise<void> {
    this.#stats.running += 1;
    this.#stats.maxRunning = Math.max(this.#stats.maxRunning, this.#stats.running);
    let timer: unknown;
    try {
      await Promise.race([
        this.#host.checkHealth(target.tenantId, target.projectId, target.name),
        new Promise<void>((resolve) => {
          timer = this.#timers.setTimeout(resolve, this.#checkTimeoutMs);
        }),
      ]);
    } catch (err) {
      // A connector removed meanwhile (not_found) or a store hiccup: the next round tries again.
      this.#logger.debug(
        { connector: target.name, project: target.projectId, err: (err as Error).message },
        'health check failed to run',
      );
    } finally {
      this.#timers.clearTimeout(timer);
      this.#stats.running -= 1;
      this.#stats.checks += 1;
    }
    this.#due.set(keyOf(target), this.#clock.now() + this.#nextInterval(target));
  }

  #sleep(): number {
    const now = this.#clock.now();
    let earliest = now + this.#pollMs;
    for (const next of this.#due.values()) if (next < earliest) earliest = next;
    return Math.max(0, earliest - now);
  }
}

function keyOf(target: HealthTarget): string {
  return `${target.tenantId}/${target.projectId}/${target.name}`;
}

/** Creates a health monitor; call `start()` to begin and `stop()` on shutdown. */
export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  return new HealthMonitor(options);
}
