import type { ToolCallResult } from '../../core/index.js';
import type { CallInterceptor, ConnectorState, RegistryEvent } from '../../registry/index.js';
import { LabelLimiter } from './label-limiter.js';

type Labels = Record<string, string | number>;

/**
 * The part of the api's metrics registry telemetry uses (structurally the same interface, so telemetry
 * does not import the api layer).
 */
export interface MetricsSink {
  counter(options: { name: string; help: string; labelNames?: readonly string[] }): {
    inc(labels?: Labels, value?: number): void;
  };
  gauge(options: {
    name: string;
    help: string;
    labelNames?: readonly string[];
    collect?: (gauge: { set(labels: Labels, value: number): void }) => void;
  }): { set(labels: Labels, value: number): void };
  histogram(options: { name: string; help: string; labelNames?: readonly string[]; buckets?: readonly number[] }): {
    observe(labels: Labels, value: number): void;
  };
}

/** What tool metrics read from the registry. */
export interface ToolMetricsSource {
  addInterceptor(interceptor: CallInterceptor): void;
  subscribe(listener: (event: RegistryEvent) => void): () => void;
  /** Every connector with status, runtime facts and circuit state, read at scrape time. */
  connectorStates(): Iterable<ConnectorState>;
}

/** Options of `registerToolMetrics`. */
export interface ToolMetricsOptions {
  metrics: MetricsSink;
  registry: ToolMetricsSource;
  /** Most label sets per family; further ones are folded into `_other`. Default 5000. */
  maxSeries?: number;
}

const STATUSES = ['active', 'inactive', 'error'] as const;
const CALL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The frozen label sets of one tool's series, built once (the metrics registry caches keys of frozen sets). */
interface Token {
  ok: Labels;
  error: Labels;
  duration: Labels;
}

/**
 * Adds tool-call, connector-status, worker, health-check and circuit series to the metrics registry:
 * calls through an interceptor, health checks through events, status and runtime facts at scrape time.
 * Returns a function that unsubscribes from registry events.
 */
export function registerToolMetrics({ metrics, registry, maxSeries = 5_000 }: ToolMetricsOptions): () => void {
  const calls = metrics.counter({
    name: 'toolport_tool_calls_total',
    help: 'Tool calls by tenant, project, connector, tool and outcome (ok|error).',
    labelNames: ['tenant', 'project', 'connector', 'tool', 'outcome'],
  });
  const duration = metrics.histogram({
    name: 'toolport_tool_call_duration_seconds',
    help: 'Tool call duration in seconds by tenant, project and connector.',
    labelNames: ['tenant', 'project', 'connector'],
    buckets: CALL_BUCKETS,
  });
  const checks = metrics.counter({
    name: 'toolport_health_checks_total',
    help: 'Health checks by tenant, project, connector and result (ok|fail).',
    labelNames: ['tenant', 'project', 'connector', 'result'],
  });
  const callLimiter = new LabelLimiter(maxSeries, ['tenant', 'project', 'connector', 'tool']);
  const connectorLimiter = new LabelLimiter(maxSeries, ['tenant', 'project', 'connector']);

  // Per-tool label sets, computed on a tool's first call; bounded like the series themselves.
  const tokens = new Map<string, Token>();
  const tokenFor = (tenant: string, project: string, connector: string, tool: string): Token => {
    const key = `${tenant}\u0000${project}\u0000${connector}\u0000${tool}`;
    let token = tokens.get(key);
    if (token) return token;
    const labels = callLimiter.fold({ tenant, project, connector, tool });
    token = {
      ok: Object.freeze({ ...labels, outcome: 'ok' }),
      error: Object.freeze({ ...labels, outcome: 'error' }),
      duration: Object.freeze({ tenant: labels.tenant!, project: labels.project!, connector: labels.connector! }),
    };
    if (tokens.size < maxSeries) tokens.set(key, token);
    return token;
  };
  registry.addInterceptor({
    before: tokenFor,
    after(token: unknown, result: ToolCallResult, elapsedMs: number): void {
      const t = token as Token;
      calls.inc(result.isError === true ? t.error : t.ok);
      duration.observe(t.duration, elapsedMs / 1000);
    },
  });

  const unsubscribe = registry.subscribe((event) => {
    if (event.type !== 'health.checked' || event.connector === undefined) return;
    const labels = connectorLimiter.fold({
      tenant: event.tenant_id,
      project: event.project_id,
      connector: event.connector,
    });
    checks.inc({ ...labels, result: event.data.ok === true ? 'ok' : 'fail' });
  });

  // Scrape-time series: a connector that disappeared is set to 0 rather than left at its last value.
  const scraped = (
    name: string,
    help: string,
    extra: readonly string[],
    read: (state: ConnectorState, set: (extraLabels: Labels, v: number) => void) => void,
  ): void => {
    let previous = new Map<string, Labels>();
    metrics.gauge({
      name,
      help,
      labelNames: ['tenant', 'project', 'connector', ...extra],
      collect: (gauge) => {
        const current = new Map<string, Labels>();
        for (const state of registry.connectorStates()) {
          const base = connectorLimiter.fold({
            tenant: state.tenantId,
            project: state.projectId,
            connector: state.name,
          });
          read(state, (extraLabels, value) => {
            const labels = { ...base, ...extraLabels };
            current.set(JSON.stringify(labels), labels);
            gauge.set(labels, value);
          });
        }
        for (const [key, labels] of previous) if (!current.has(key)) gauge.set(labels, 0);
        previous = current;
      },
    });
  };
  scraped(
    'toolport_connector_status',
    'Connector status: 1 for the current status, 0 for the others.',
    ['status'],
    (state, set) => {
      for (const status of STATUSES) set({ status }, state.status === status ? 1 : 0);
    },
  );
  scraped('toolport_circuit_open', 'Circuit breaker per connector: 1 while open or half-open.', [], (state, set) => {
    set({}, state.breaker === 'closed' ? 0 : 1);
  });
  scraped('toolport_python_workers', 'Python worker processes per python connector.', [], (state, set) => {
    if (state.kind === 'python' && typeof state.runtime.workers === 'number') set({}, state.runtime.workers);
  });
  scraped(
    'toolport_upstream_processes',
    'Upstream MCP processes (or connected clients) per mcp connector.',
    [],
    (state, set) => {
      if (state.kind !== 'mcp') return;
      const { processes, running, connected } = state.runtime;
      if (typeof processes === 'number') set({}, processes);
      else if (typeof running === 'boolean' || typeof connected === 'boolean')
        set({}, running === true || connected === true ? 1 : 0);
    },
  );
  return unsubscribe;
}
