import { isoTime, systemClock, type Clock, type ToolCallResult } from '../../core/index.js';
import type { CallInterceptor } from '../types.js';

/** Health of one tool as the catalog shows it. */
export interface ToolHealth {
  /** `ok` = the latest call or probe succeeded; `failing` = it failed; `unknown` = never exercised. */
  status: 'ok' | 'failing' | 'unknown';
  last_error?: string;
  last_checked_at?: string;
}

interface Entry {
  ok: boolean;
  at: number;
  error?: string;
}

interface Token {
  key: string;
}

const UNKNOWN: ToolHealth = Object.freeze({ status: 'unknown' });
/** Errors shown in the catalog are excerpts: enough to diagnose, bounded in memory. */
const MAX_ERROR = 200;

/** The text of a failed result, trimmed; never the call's arguments. */
export function errorExcerpt(result: ToolCallResult): string {
  const text = result.content.find((c) => c.type === 'text');
  const message = text && text.type === 'text' ? text.text : 'tool returned an error';
  return message.length > MAX_ERROR ? `${message.slice(0, MAX_ERROR)}…` : message;
}

/**
 * Per-tool health kept in memory: the latest outcome of real calls and of health probes. One entry per
 * tool that was ever exercised, forgotten with its connector.
 */
export class ToolHealthTracker implements CallInterceptor {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: Clock;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  before(tenantId: string, projectId: string, connector: string, tool: string): Token {
    return { key: `${tenantId}/${projectId}/${connector}/${tool}` };
  }

  after(token: unknown, result: ToolCallResult): void {
    const { key } = token as Token;
    this.#set(key, result.isError !== true, result.isError === true ? errorExcerpt(result) : undefined);
  }

  /** Records a probe outcome (a probe can fail on expectations even when the call itself succeeded). */
  recordProbe(tenantId: string, projectId: string, connector: string, tool: string, ok: boolean, error?: string): void {
    this.#set(`${tenantId}/${projectId}/${connector}/${tool}`, ok, error);
  }

  /** The health of one tool. */
  get(tenantId: string, projectId: string, connector: string, tool: string): ToolHealth {
    const entry = this.#entries.get(`${tenantId}/${projectId}/${connector}/${tool}`);
    if (!entry) return UNKNOWN;
    return {
      status: entry.ok ? 'ok' : 'failing',
      ...(entry.error === undefined ? {} : { last_error: entry.error }),
      last_checked_at: isoTime(entry.at),
    };
  }

  /** Forgets every tool of a connector. */
  forget(tenantId: string, projectId: string, connector: string): void {
    const prefix = `${tenantId}/${projectId}/${connector}/`;
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }

  #set(key: string, ok: boolean, error: string | undefined): void {
    const trimmed = error !== undefined && error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR)}…` : error;
    this.#entries.set(key, { ok, at: this.#clock.now(), ...(trimmed === undefined ? {} : { error: trimmed }) });
  }
}
