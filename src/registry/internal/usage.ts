import { isoTime, type Logger } from '../../core/index.js';
import type { Store, ToolUsageRecord } from '../../store/store.js';

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is "+Inf". */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000] as const;

interface Totals {
  calls: number;
  errors: number;
  total_latency_ms: number;
  last_used_at: string | null;
  latency_buckets: Record<string, number>;
}

const keyOf = (t: string, p: string, c: string, tool: string): string => `${t}\u0000${p}\u0000${c}\u0000${tool}`;

function bucketOf(ms: number): string {
  for (const bound of LATENCY_BUCKETS_MS) if (ms <= bound) return String(bound);
  return '+Inf';
}

function emptyTotals(): Totals {
  return { calls: 0, errors: 0, total_latency_ms: 0, last_used_at: null, latency_buckets: {} };
}

function addInto(target: Totals, ms: number, isError: boolean, at: string): void {
  target.calls += 1;
  if (isError) target.errors += 1;
  target.total_latency_ms += ms;
  target.last_used_at = at;
  const bucket = bucketOf(ms);
  target.latency_buckets[bucket] = (target.latency_buckets[bucket] ?? 0) + 1;
}

/** Estimates a percentile from histogram buckets, interpolating linearly inside the bucket. */
export function percentileFromBuckets(buckets: Record<string, number>, q: number): number | null {
  const total = Object.values(buckets).reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  let lower = 0;
  for (const bound of [...LATENCY_BUCKETS_MS, Infinity]) {
    const count = buckets[bound === Infinity ? '+Inf' : String(bound)] ?? 0;
    if (count > 0 && seen + count >= rank) {
      if (bound === Infinity) return lower;
      return Math.round((lower + ((rank - seen) / count) * (bound - lower)) * 100) / 100;
    }
    seen += count;
    lower = bound === Infinity ? lower : bound;
  }
  return lower;
}

/**
 * Usage analytics on the hot path: `record` only touches two in-memory maps. Deltas are flushed to the
 * store in one batch every `flushMs` (and on close); the store is never written per call.
 */
export class UsageRecorder {
  #totals = new Map<string, Totals>();
  #pending = new Map<string, Totals>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  readonly #store: Store;
  readonly #logger: Logger;

  constructor(store: Store, logger: Logger, flushMs: number) {
    this.#store = store;
    this.#logger = logger;
    this.#timer = setInterval(() => void this.flush(), flushMs);
    this.#timer.unref();
  }

  /** Loads the persisted totals once at start. */
  async load(): Promise<void> {
    for (const row of await this.#store.listToolUsage()) {
      const { tenant_id, project_id, connector_name, tool_name, ...totals } = row;
      this.#totals.set(keyOf(tenant_id, project_id, connector_name, tool_name), { ...totals });
    }
  }

  record(tenantId: string, projectId: string, connector: string, tool: string, ms: number, isError: boolean): void {
    const key = keyOf(tenantId, projectId, connector, tool);
    const at = isoTime();
    let total = this.#totals.get(key);
    if (!total) this.#totals.set(key, (total = emptyTotals()));
    addInto(total, ms, isError, at);
    let pending = this.#pending.get(key);
    if (!pending) this.#pending.set(key, (pending = emptyTotals()));
    addInto(pending, ms, isError, at);
  }

  get(tenantId: string, projectId: string, connector: string, tool: string): Totals {
    return this.#totals.get(keyOf(tenantId, projectId, connector, tool)) ?? emptyTotals();
  }

  /** Forgets a connector's (or project's) usage after it is uninstalled (the store cascades its rows). */
  forget(tenantId: string, projectId: string, connector?: string): void {
    const prefix =
      connector === undefined ? `${tenantId}\u0000${projectId}\u0000` : keyOf(tenantId, projectId, connector, '');
    for (const map of [this.#totals, this.#pending]) {
      for (const key of map.keys()) if (key.startsWith(prefix)) map.delete(key);
    }
  }

  /** Writes pending deltas in one batch; a failed batch is merged back and retried next time. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#pending.size === 0) return Promise.resolve();
    const batch = this.#pending;
    this.#pending = new Map();
    const rows: ToolUsageRecord[] = [...batch].map(([key, t]) => {
      const [tenant_id = '', project_id = '', connector_name = '', tool_name = ''] = key.split('\u0000');
      return { tenant_id, project_id, connector_name, tool_name, ...t };
    });
    this.#flushing = this.#store
      .addToolUsage(rows)
      .catch((err: unknown) => {
        this.#logger.warn({ err: (err as Error).message, rows: rows.length }, 'usage flush failed; will retry');
        for (const [key, t] of batch) {
          const current = this.#pending.get(key);
          if (!current) this.#pending.set(key, t);
          else {
            current.calls += t.calls;
            current.errors += t.errors;
            current.total_latency_ms += t.total_latency_ms;
            for (const [b, n] of Object.entries(t.latency_buckets))
              current.latency_buckets[b] = (current.latency_buckets[b] ?? 0) + n;
          }
        }
      })
      .finally(() => {
        this.#flushing = undefined;
      });
    return this.#flushing;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    await this.flush();
  }
}
