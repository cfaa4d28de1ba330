import { describe, expect, it } from 'vitest';
import { isToolportError, textResult, unavailableResult } from '../../core/index.js';
import { CircuitBreaker, type BreakerStatus } from './breaker.js';

const fail = unavailableResult('connection refused');
const toolError = textResult('HTTP 404 Not Found', true);
const ok = textResult('fine');

function setup(threshold = 3, cooldownMs = 1_000) {
  let now = 1_000_000;
  const changes: BreakerStatus[] = [];
  const breaker = new CircuitBreaker({
    failureThreshold: threshold,
    cooldownMs,
    clock: { now: () => now },
    onChange: (_t, _p, _c, status) => changes.push(status),
  });
  const call = (result = fail) => breaker.after(breaker.before('t', 'p', 'c', 'x'), result, 1);
  return { breaker, changes, call, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after K consecutive failures and fails fast with upstream_unavailable', () => {
    const { breaker, changes, call } = setup(3);
    call();
    call(ok); // a success in between resets the streak
    call();
    call();
    expect(breaker.status('t', 'p', 'c').state).toBe('closed');
    call();
    expect(breaker.status('t', 'p', 'c')).toMatchObject({ state: 'open', failures: 3 });
    expect(changes.map((c) => c.state)).toEqual(['open']);
    let thrown: unknown;
    try {
      breaker.before('t', 'p', 'c', 'x');
    } catch (err) {
      thrown = err;
    }
    expect(isToolportError(thrown, 'upstream_unavailable')).toBe(true);
    expect((thrown as Error).message).toBe('circuit open for connector c; retry after 1 s');
    // Other connectors are unaffected.
    expect(() => breaker.before('t', 'p', 'other', 'x')).not.toThrow();
  });

  it('lets exactly one trial call through after the cooldown; success closes it', () => {
    const { breaker, changes, call, advance } = setup(1, 5_000);
    call();
    advance(4_999);
    expect(() => breaker.before('t', 'p', 'c', 'x')).toThrow(/retry after 1 s/);
    advance(1);
    expect(breaker.status('t', 'p', 'c').state).toBe('half_open');
    const trial = breaker.before('t', 'p', 'c', 'x');
    expect(() => breaker.before('t', 'p', 'c', 'x')).toThrow(/circuit open/);
    breaker.after(trial, ok, 1);
    expect(breaker.status('t', 'p', 'c')).toEqual({ state: 'closed', failures: 0, opened_at: null, retry_at: null });
    expect(changes.map((c) => c.state)).toEqual(['open', 'closed']);
  });

  it('re-opens when the trial call fails, with a fresh cooldown', () => {
    const { breaker, call, advance } = setup(2, 1_000);
    call();
    call();
    advance(1_000);
    call(); // the trial fails
    const status = breaker.status('t', 'p', 'c');
    expect(status.state).toBe('open');
    expect(Date.parse(status.retry_at!) - Date.parse(status.opened_at!)).toBe(1_000);
    expect(() => breaker.before('t', 'p', 'c', 'x')).toThrow(/circuit open/);
  });

  it('does not count tool-level errors: they break a failure streak like successes', () => {
    const { breaker, call } = setup(2);
    for (let i = 0; i < 10; i++) call(toolError);
    expect(breaker.status('t', 'p', 'c')).toMatchObject({ state: 'closed', failures: 0 });
    call();
    call(toolError);
    call();
    expect(breaker.status('t', 'p', 'c').state).toBe('closed');
    call();
    expect(breaker.status('t', 'p', 'c').state).toBe('open');
  });

  it('reset() closes the circuit', () => {
    const { breaker, call } = setup(1);
    call();
    breaker.reset('t', 'p', 'c');
    expect(breaker.status('t', 'p', 'c').state).toBe('closed');
    expect(() => breaker.before('t', 'p', 'c', 'x')).not.toThrow();
  });
});
