import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, sleep } from './retry-policy.js';

describe('retry policy', () => {
  it('retries 5xx only for idempotent methods, 429/503 for any', () => {
    expect(isRetryableStatus('GET', 500)).toBe(true);
    expect(isRetryableStatus('PUT', 502)).toBe(true);
    expect(isRetryableStatus('POST', 500)).toBe(false);
    expect(isRetryableStatus('POST', 503)).toBe(true);
    expect(isRetryableStatus('PATCH', 429)).toBe(true);
    expect(isRetryableStatus('GET', 404)).toBe(false);
  });

  it('retries network faults of POST only when the request was provably not sent', () => {
    expect(isRetryableNetworkError('GET', 'ECONNRESET', false)).toBe(true);
    expect(isRetryableNetworkError('POST', 'ECONNRESET', false)).toBe(false);
    expect(isRetryableNetworkError('POST', 'ECONNRESET', true)).toBe(true);
    expect(isRetryableNetworkError('POST', 'ECONNREFUSED', false)).toBe(true);
  });

  it('grows the backoff exponentially within [ceiling/2, ceiling] and caps it', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 30_000 };
    expect(backoffDelay(0, options, () => 0)).toBe(50);
    expect(backoffDelay(0, options, () => 1)).toBe(100);
    expect(backoffDelay(3, options, () => 1)).toBe(800);
    expect(backoffDelay(10, options, () => 1)).toBe(1_000);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('stops sleeping when the signal aborts', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
