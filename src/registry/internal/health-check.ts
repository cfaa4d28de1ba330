import { isoTime, isToolportError, type CheckResult, type ConnectorAddress } from '../../core/index.js';
import type { HealthCheckRecord, Store } from '../../store/store.js';
import { metadataProbe } from '../health/index.js';
import type { ToolProvider } from '../types.js';
import type { ConnectorCommands } from './connector-commands.js';
import type { LiveView } from './live-state.js';
import type { LiveConnector } from './live.js';
import { evaluateProbe } from './probe.js';

/** What health checks act through: read the live connector, call its tools, change its status. */
export interface HealthHost {
  live: LiveView;
  store: Pick<Store, 'addHealthCheck'>;
  /** The live connector; `not_found` when it does not exist. */
  requireLive(...connector: ConnectorAddress): Promise<Readonly<LiveConnector>>;
  restartSource(...connector: ConnectorAddress): Promise<boolean>;
  setStatus: ConnectorCommands['setStatus'];
  callTool: ToolProvider['callTool'];
  /** Publishes `health.checked`. */
  checked(...args: [...ConnectorAddress, data: Record<string, unknown>]): void;
}

/** Observers of health checks (per-tool health, metrics). */
export interface HealthHooks {
  /** A probe ran: `ok` includes its expectations, not only the call's own outcome. */
  onProbe?(...args: [...ConnectorAddress, tool: string, ok: boolean, message?: string]): void;
}

/** Thresholds for status transitions driven by health checks. */
export interface HealthThresholds {
  /** Consecutive failures that turn an `active` connector into `error`. */
  failures: number;
  /** Consecutive successes that turn an `error` connector back into `active`. */
  successes: number;
}

/**
 * Checks connectors by really exercising them (the source's own check, then the declared probe tool call),
 * records the outcome and moves the status across the thresholds.
 */
export class HealthChecker {
  readonly #core: HealthHost;
  readonly #thresholds: HealthThresholds;
  readonly #historyKeep: number;
  /** Consecutive outcome streak per connector: positive = successes, negative = failures. */
  readonly #streaks = new Map<string, number>();
  readonly #hooks: HealthHooks;

  constructor(core: HealthHost, thresholds: HealthThresholds, historyKeep = 100, hooks: HealthHooks = {}) {
    this.#core = core;
    this.#thresholds = thresholds;
    this.#historyKeep = historyKeep;
    this.#hooks = hooks;
  }

  /** Runs one check now, stores it and applies the status transition. */
  async check(tenantId: string, projectId: string, name: string): Promise<HealthCheckRecord> {
    let live = await this.#core.requireLive(tenantId, projectId, name);
    // A source that failed to load gets another chance on every check, so a connector whose upstream was
    // down at start (or whose worker crash-looped) recovers by itself.
    if (live.record.enabled && !live.source && (await this.#core.restartSource(tenantId, projectId, name))) {
      live = await this.#core.requireLive(tenantId, projectId, name);
    }
    const started = performance.now();
    let result: CheckResult;
    if (!live.record.enabled) {
      result = { ok: false, latencyMs: 0, message: 'connector is disabled' };
    } else if (!live.source) {
      result = { ok: false, latencyMs: 0, message: live.record.status_reason ?? 'connector is not loaded' };
    } else {
      // A probe set through the API (connector metadata) overrides the manifest's.
      const probe = metadataProbe(live.record.metadata) ?? live.version.manifest.health?.probe;
      result = await this.#exercise(tenantId, projectId, name, live.source.check.bind(live.source), probe);
    }
    const record: HealthCheckRecord = {
      tenant_id: tenantId,
      project_id: projectId,
      connector_name: name,
      checked_at: isoTime(),
      ok: result.ok,
      latency_ms: Math.round((result.latencyMs || performance.now() - started) * 100) / 100,
      message: result.message ?? null,
      details: result.details ?? {},
    };
    await this.#core.store.addHealthCheck(record, this.#historyKeep);
    if (live.record.enabled) await this.#transition(tenantId, projectId, name, result);
    this.#core.checked(tenantId, projectId, name, {
      ok: record.ok,
      latency_ms: record.latency_ms,
      message: record.message,
    });
    return record;
  }

  /** Forgets the streak of a connector (after uninstall or a new version). */
  reset(tenantId: string, projectId: string, name: string): void {
    this.#streaks.delete(`${tenantId}/${projectId}/${name}`);
  }

  async #exercise(
    tenantId: string,
    projectId: string,
    name: string,
    sourceCheck: () => Promise<CheckResult>,
    probe:
      { tool: string; arguments: Record<string, unknown>; expect: Parameters<typeof evaluateProbe>[2] } | undefined,
  ): Promise<CheckResult> {
    let base: CheckResult;
    try {
      base = await sourceCheck();
    } catch (err) {
      return { ok: false, latencyMs: 0, message: isToolportError(err) ? err.message : (err as Error).message };
    }
    if (!base.ok || !probe) return base;
    const started = performance.now();
    try {
      const result = await this.#core.callTool(tenantId, projectId, name, probe.tool, probe.arguments);
      const elapsed = performance.now() - started;
      const failure = evaluateProbe(result, elapsed, probe.expect);
      this.#hooks.onProbe?.(tenantId, projectId, name, probe.tool, failure === null, failure ?? undefined);
      return {
        ok: failure === null,
        latencyMs: base.latencyMs + elapsed,
        ...(failure === null ? {} : { message: failure }),
        details: { ...(base.details ?? {}), probe: probe.tool, probe_ms: Math.round(elapsed * 100) / 100 },
      };
    } catch (err) {
      this.#hooks.onProbe?.(tenantId, projectId, name, probe.tool, false, (err as Error).message);
      return { ok: false, latencyMs: base.latencyMs, message: `probe ${probe.tool} failed: ${(err as Error).message}` };
    }
  }

  async #transition(tenantId: string, projectId: string, name: string, result: CheckResult): Promise<void> {
    const key = `${tenantId}/${projectId}/${name}`;
    const previous = this.#streaks.get(key) ?? 0;
    const streak = result.ok ? Math.max(previous, 0) + 1 : Math.min(previous, 0) - 1;
    this.#streaks.set(key, streak);
    const live = this.#core.live.connector(tenantId, projectId, name);
    if (!live) return;
    if (!result.ok && -streak >= this.#thresholds.failures) {
      await this.#core.setStatus(
        tenantId,
        projectId,
        name,
        'error',
        `health check failed: ${result.message ?? 'unknown reason'}`,
      );
    } else if (result.ok && streak >= this.#thresholds.successes && live.record.status === 'error' && live.source) {
      await this.#core.setStatus(tenantId, projectId, name, 'active', null);
    }
  }
}
