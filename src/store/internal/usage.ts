import type { ToolUsageRecord } from '../store.js';
import { requireCount } from './validate.js';

/** The later of two ISO timestamps, either of which may be null. */
export function laterOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return b > a ? b : a;
}

/**
 * Validates a usage batch and folds records of the same tool into one, so each row is upserted
 * once per transaction (PostgreSQL refuses to touch one row twice in a statement, and it saves trips).
 */
export function foldUsageBatch(batch: readonly ToolUsageRecord[]): ToolUsageRecord[] {
  const folded = new Map<string, ToolUsageRecord>();
  batch.forEach((r, i) => {
    requireCount(`batch[${i}].calls`, r.calls);
    requireCount(`batch[${i}].errors`, r.errors);
    requireCount(`batch[${i}].total_latency_ms`, r.total_latency_ms);
    for (const [bucket, count] of Object.entries(r.latency_buckets ?? {}))
      requireCount(`batch[${i}].latency_buckets.${bucket}`, count);
    const key = JSON.stringify([r.tenant_id, r.project_id, r.connector_name, r.tool_name]);
    const prev = folded.get(key);
    if (!prev) {
      folded.set(key, { ...r, latency_buckets: { ...r.latency_buckets }, last_used_at: r.last_used_at ?? null });
      return;
    }
    prev.calls += r.calls;
    prev.errors += r.errors;
    prev.total_latency_ms += r.total_latency_ms;
    prev.last_used_at = laterOf(prev.last_used_at, r.last_used_at ?? null);
    for (const [bucket, count] of Object.entries(r.latency_buckets ?? {})) {
      prev.latency_buckets[bucket] = (prev.latency_buckets[bucket] ?? 0) + count;
    }
  });
  return [...folded.values()];
}
