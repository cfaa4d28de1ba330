import {
  createError,
  isUnavailable,
  isoTime,
  systemClock,
  type Clock,
  type ConnectorAddress,
  type ToolCallResult,
} from '../../core/index.js';
import type { CallInterceptor } from '../types.js';

/** States of a connector's circuit. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** A connector's circuit as status displays show it. */
export interface BreakerStatus {
  state: BreakerState;
  /** Consecutive failed calls (reset by a success). */
  failures: number;
  opened_at: string | null;
  /** When the next trial call is let through (while open). */
  retry_at: string | null;
}

/** Options of the circuit breaker. */
export interface BreakerOptions {
  /** Consecutive failed calls that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one trial call is let through. Default 30 s. */
  cooldownMs?: number;
  clock?: Clock;
  /** Called when a circuit opens or closes (the registry turns it into an event). */
  onChange?: (...args: [...ConnectorAddress, status: BreakerStatus]) => void;
}

interface Circuit {
  state: BreakerState;
  failures: number;
  openedAt: number;
  /** True while the single half-open trial call is in flight. */
  trial: boolean;
}

interface Token {
  key: string;
  circuit: Circuit;
  trial: boolean;
}

const CLOSED: BreakerStatus = Object.freeze({ state: 'closed', failures: 0, opened_at: null, retry_at: null });

/**
 * A per-connector circuit breaker around tool calls. After `failureThreshold` consecutive availability failures
 * (results marked by `markUnavailable`: connect errors, timeouts, HTTP 5xx, dead workers, and thrown errors) it
 * fails fast. Tool-level errors (an HTTP 404, invalid input, the tool's own error) prove the source is reachable
 * and count as successes here, so one failing tool cannot block the healthy tools of its connector. It fails fast with `upstream_unavailable`; after the cooldown it lets
 * one trial call through (half-open); a success closes it, a failure opens it again.
 */
export class CircuitBreaker implements CallInterceptor {
  readonly #circuits = new Map<string, Circuit>();
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #clock: Clock;
  readonly #onChange: BreakerOptions['onChange'];

  constructor(options: BreakerOptions = {}) {
    this.#threshold = Math.max(1, options.failureThreshold ?? 5);
    this.#cooldownMs = Math.max(0, options.cooldownMs ?? 30_000);
    this.#clock = options.clock ?? systemClock;
    this.#onChange = options.onChange;
  }

  before(tenantId: string, projectId: string, connector: string, _tool: string): Token {
    const key = `${tenantId}/${projectId}/${connector}`;
    let circuit = this.#circuits.get(key);
    if (!circuit) this.#circuits.set(key, (circuit = { state: 'closed', failures: 0, openedAt: 0, trial: false }));
    if (circuit.state === 'closed') return { key, circuit, trial: false };
    const retryAt = circuit.openedAt + this.#cooldownMs;
    const now = this.#clock.now();
    if (circuit.state === 'open' && now >= retryAt) {
      circuit.state = 'half_open';
      circuit.trial = false;
    }
    if (circuit.state === 'half_open' && !circuit.trial) {
      circuit.trial = true;
      return { key, circuit, trial: true };
    }
    const seconds = Math.max(1, Math.ceil((retryAt - now) / 1000));
    throw createError('upstream_unavailable', `circuit open for connector ${connector}; retry after ${seconds} s`, {
      connector,
      retry_after_s: seconds,
    });
  }

  after(token: unknown, result: ToolCallResult, _elapsedMs: number): void {
    const { key, circuit, trial } = token as Token;
    // A circuit replaced by reset() while the call ran: the outcome belongs to the old one.
    if (this.#circuits.get(key) !== circuit) return;
    const [tenantId = '', projectId = '', connector = ''] = key.split('/');
    if (!isUnavailable(result)) {
      const wasOpen = circuit.state !== 'closed';
      circuit.failures = 0;
      circuit.trial = false;
      if (wasOpen) {
        circuit.state = 'closed';
        this.#onChange?.(tenantId, projectId, connector, this.#status(circuit));
      }
      return;
    }
    circuit.failures += 1;
    if (trial || (circuit.state === 'closed' && circuit.failures >= this.#threshold)) {
      circuit.state = 'open';
      circuit.openedAt = this.#clock.now();
      circuit.trial = false;
      this.#onChange?.(tenantId, projectId, connector, this.#status(circuit));
    }
  }

  /** The circuit of a connector as status displays show it. */
  status(tenantId: string, projectId: string, connector: string): BreakerStatus {
    const circuit = this.#circuits.get(`${tenantId}/${projectId}/${connector}`);
    return circuit ? this.#status(circuit) : CLOSED;
  }

  /** Forgets a connector's circuit (uninstall, new version, re-enable): it starts closed. */
  reset(tenantId: string, projectId: string, connector: string): void {
    this.#circuits.delete(`${tenantId}/${projectId}/${connector}`);
  }

  #status(circuit: Circuit): BreakerStatus {
    // An open circuit past its cooldown is reported as half-open: the next call is the trial.
    const now = this.#clock.now();
    const state = circuit.state === 'open' && now >= circuit.openedAt + this.#cooldownMs ? 'half_open' : circuit.state;
    const open = circuit.state !== 'closed';
    return {
      state,
      failures: circuit.failures,
      opened_at: open ? isoTime(circuit.openedAt) : null,
      retry_at: open ? isoTime(circuit.openedAt + this.#cooldownMs) : null,
    };
  }
}
