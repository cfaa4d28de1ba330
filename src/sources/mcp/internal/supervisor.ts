import { type ClientRequestMethod, createError, type Logger, type PeerNotification } from '../../../core/index.js';
import type { UpstreamConnection } from './connection.js';

/** Reconnect backoff: the first delay, doubled per consecutive failure, capped at `maxMs`. */
export interface RestartPolicy {
  baseMs: number;
  maxMs: number;
}

/** What the supervisor shows of its upstream in a source's runtime info. */
export interface SupervisorInfo {
  connected: boolean;
  restarts: number;
  pid?: number;
  restartInMs?: number;
  /** Why the last connection ended, when known (a limit its process tree hit). */
  lastExit?: string;
}

/** Hooks the supervisor wires into every connection it opens. */
export interface ConnectionHooks {
  /** The connection ended on its own; `reason` says why when known (a limit its process tree hit). */
  onClose: (reason?: string) => void;
  onToolsChanged: () => void;
  onNotification: (notification: PeerNotification) => void;
  onClientRequest: (method: ClientRequestMethod, params: unknown, signal: AbortSignal) => Promise<unknown>;
}

/** Inputs of a {@link Supervisor}. */
export interface SupervisorOptions {
  open: (hooks: ConnectionHooks) => Promise<UpstreamConnection>;
  restart: Partial<RestartPolicy>;
  killGraceMs: number;
  logger: Logger;
  onToolsChanged: () => void;
  onNotification: (notification: PeerNotification) => void;
  onClientRequest: (method: ClientRequestMethod, params: unknown, signal: AbortSignal) => Promise<unknown>;
  /** A lost upstream is back (not called for the first connection). */
  onReconnected: (conn: UpstreamConnection) => void;
}

type State =
  | { phase: 'idle' }
  | { phase: 'connecting'; ready: Promise<UpstreamConnection> }
  | { phase: 'connected'; conn: UpstreamConnection; since: number }
  | { phase: 'waiting'; until: number; timer: NodeJS.Timeout }
  | { phase: 'closed' };

/**
 * Keeps at most one upstream connection alive. Concurrent callers share one connect attempt; a lost
 * connection is re-opened after an exponential backoff, and while waiting every caller fails fast.
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #policy: RestartPolicy;
  /** A connection that stayed up this long resets the backoff: only a crash loop keeps doubling it. */
  readonly #stableMs: number;
  #state: State = { phase: 'idle' };
  /** Bumped per connect attempt, so callbacks of a replaced connection are ignored. */
  #generation = 0;
  #failures = 0;
  #restarts = 0;
  #everConnected = false;
  /** Why the last connection ended, when known (a limit hit): shown while waiting to restart, and in info. */
  #lastExit: string | undefined;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#policy = { baseMs: options.restart.baseMs ?? 500, maxMs: options.restart.maxMs ?? 30_000 };
    this.#stableMs = Math.max(1_000, this.#policy.baseMs * 10);
  }

  /** Why calls fail right now (waiting to restart, or closed), or undefined when a connection can be had. */
  downReason(): string | undefined {
    const state = this.#state;
    if (state.phase === 'closed') return 'upstream source is closed';
    if (state.phase === 'waiting') {
      const down = `upstream not connected (restarting in ${Math.max(0, Math.round(state.until - Date.now()))} ms)`;
      return this.#lastExit ? `${down}: ${this.#lastExit}` : down;
    }
    return undefined;
  }

  /** The live connection, opening it first when idle. Throws while waiting to restart or after close. */
  connect(): Promise<UpstreamConnection> {
    const state = this.#state;
    if (state.phase === 'connected') return Promise.resolve(state.conn);
    if (state.phase === 'connecting') return state.ready;
    const down = this.downReason();
    if (down) return Promise.reject(createError('upstream_unavailable', down));
    return this.#open();
  }

  /** Reports a connection as broken (a transport failure seen by a caller); schedules a restart once. */
  markLost(conn: UpstreamConnection): void {
    const state = this.#state;
    if (state.phase !== 'connected' || state.conn !== conn) return;
    this.#lost(state.since, 'transport failure');
  }

  info(): SupervisorInfo {
    const state = this.#state;
    const out: SupervisorInfo = {
      connected: state.phase === 'connected',
      restarts: this.#restarts,
    };
    if (this.#lastExit) out.lastExit = this.#lastExit;
    if (state.phase === 'connected' && state.conn.pid !== undefined) out.pid = state.conn.pid;
    if (state.phase === 'waiting') out.restartInMs = Math.max(0, Math.round(state.until - Date.now()));
    return out;
  }

  async close(): Promise<void> {
    const state = this.#state;
    this.#state = { phase: 'closed' };
    this.#generation += 1;
    if (state.phase === 'waiting') clearTimeout(state.timer);
    if (state.phase === 'connected') await state.conn.close(this.#options.killGraceMs);
    if (state.phase === 'connecting') {
      // The attempt finishes on its own and sees the closed state; its connection is closed there.
      await state.ready.catch(() => undefined);
    }
  }

  #open(): Promise<UpstreamConnection> {
    const generation = ++this.#generation;
    const ready = this.#options
      .open({
        onClose: (reason) => {
          const state = this.#state;
          if (generation !== this.#generation || state.phase !== 'connected') return;
          this.#lastExit = reason;
          this.#lost(state.since, reason ? `closed: ${reason}` : 'closed');
        },
        onToolsChanged: () => {
          if (generation === this.#generation) this.#options.onToolsChanged();
        },
        onNotification: (notification) => {
          if (generation === this.#generation) this.#options.onNotification(notification);
        },
        onClientRequest: (method, params, signal) => this.#options.onClientRequest(method, params, signal),
      })
      .then(
        async (conn) => {
          if (generation !== this.#generation) {
            await conn.close(this.#options.killGraceMs);
            throw createError('upstream_unavailable', 'upstream source is closed');
          }
          this.#state = { phase: 'connected', conn, since: Date.now() };
          if (this.#everConnected) this.#options.onReconnected(conn);
          this.#everConnected = true;
          return conn;
        },
        (err: unknown) => {
          if (generation === this.#generation) this.#state = { phase: 'idle' };
          throw err;
        },
      );
    this.#state = { phase: 'connecting', ready };
    return ready;
  }

  #lost(since: number, why: string): void {
    const state = this.#state;
    // A new generation first, so the old connection's own close callback is ignored.
    this.#generation += 1;
    if (Date.now() - since >= this.#stableMs) this.#failures = 0;
    this.#restarts += 1;
    this.#schedule(why);
    if (state.phase === 'connected') {
      // Make sure nothing of the old session lingers (a child that broke its pipe but still runs).
      void state.conn.close(this.#options.killGraceMs).catch(() => undefined);
    }
  }

  #schedule(why: string): void {
    const delay = Math.min(this.#policy.maxMs, this.#policy.baseMs * 2 ** this.#failures);
    this.#failures += 1;
    this.#options.logger.warn({ why, restartInMs: delay, restarts: this.#restarts }, 'upstream lost; restarting');
    const timer = setTimeout(() => this.#restart(), delay);
    timer.unref();
    this.#state = { phase: 'waiting', until: Date.now() + delay, timer };
  }

  #restart(): void {
    if (this.#state.phase !== 'waiting') return;
    this.#state = { phase: 'idle' };
    this.#open().then(
      () => this.#options.logger.info({ restarts: this.#restarts }, 'upstream reconnected'),
      (err: unknown) => {
        if (this.#state.phase === 'closed') return;
        this.#options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'upstream restart failed');
        this.#schedule('restart failed');
      },
    );
  }
}
