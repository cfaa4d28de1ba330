import type { Store } from '../../store/store.js';

/** How the store answered the last readiness probe. */
export type StoreState = 'ok' | 'unreachable';

/** Longest a probe may take before the store counts as unreachable (a dead PostgreSQL can hang a connect). */
const PROBE_TIMEOUT_MS = 2_000;
/** Probe results are reused this long, so unauthenticated /health traffic cannot hammer the database. */
const PROBE_TTL_MS = 1_000;

/**
 * Store readiness for `/health`: one bounded `ping` at a time, its result shared by concurrent callers and
 * reused for a second. The failure's cause is logged by the caller, never returned (the route is public).
 */
export function createReadinessProbe(store: Store, now: () => number): () => Promise<StoreState> {
  let last: { at: number; state: StoreState } | undefined;
  let inFlight: Promise<StoreState> | undefined;
  const probe = async (): Promise<StoreState> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<StoreState>((resolve) => {
      timer = setTimeout(() => resolve('unreachable'), PROBE_TIMEOUT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([
        store.ping().then(
          (): StoreState => 'ok',
          (): StoreState => 'unreachable',
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  return () => {
    if (last && now() - last.at < PROBE_TTL_MS) return Promise.resolve(last.state);
    inFlight ??= probe().then((state) => {
      last = { at: now(), state };
      inFlight = undefined;
      return state;
    });
    return inFlight;
  };
}
