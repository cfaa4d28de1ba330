/** Methods safe to repeat: the server state after N calls equals the state after one. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Network faults where the request provably never reached the server, so any method may retry. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EAI_AGAIN']);

/** Backoff settings; injectable so tests need not wait real seconds. */
export interface BackoffOptions {
  /** Delay before the first retry; doubles each time. */
  baseDelayMs: number;
  /** Upper bound of one computed backoff delay. */
  maxDelayMs: number;
  /** Upper bound of a server's `Retry-After`; longer requests are not waited for. */
  maxRetryAfterMs: number;
}

/** Defaults for production: 200 ms, 400 ms, 800 ms … up to 5 s; Retry-After honoured up to 30 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 };

/** True when a response status may be retried for `method`: 5xx for idempotent calls, 429/503 for any. */
export function isRetryableStatus(method: string, status: number): boolean {
  if (status === 429 || status === 503) return true;
  return status >= 500 && IDEMPOTENT.has(method);
}

/**
 * True when a network failure may be retried: any fault for idempotent methods; for the rest only
 * faults that prove the request was never sent, or a reset of a reused keep-alive socket (the server
 * closed an idle connection as we wrote to it — Node's documented case for retrying).
 */
export function isRetryableNetworkError(method: string, code: string, reusedSocket: boolean): boolean {
  if (IDEMPOTENT.has(method)) return true;
  if (NOT_SENT.has(code)) return true;
  return reusedSocket && code === 'ECONNRESET';
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out but still grow. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `now`;
 * undefined when absent or unparseable. Negative values (dates in the past) become 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
