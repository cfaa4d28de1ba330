/** The source of time; injected so schedulers can be tested with fake timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** An ISO-8601 timestamp for `ms` (or now). */
export function isoTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString();
}
