import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Label values of one series, by label name. */
export type Labels = Record<string, string | number>;

/** A monotonically increasing count. */
export interface Counter {
  inc(labels?: Labels, value?: number): void;
}

/** A value that goes up and down (or is read at scrape time through `collect`). */
export interface Gauge {
  set(labels: Labels, value: number): void;
}

/** A distribution of observed values in cumulative buckets. */
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

/** A metric definition: name, help text, label names. */
export interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

/** The registry other layers add series to; rendered as Prometheus text by `GET /metrics`. */
export interface MetricsRegistry {
  /** `collect` runs at every scrape and may set absolute totals read on demand (e.g. CPU seconds). */
  counter(options: MetricOptions & { collect?: (set: Gauge['set']) => void }): Counter;
  /** `collect` runs at every scrape, before rendering (for values read on demand). */
  gauge(options: MetricOptions & { collect?: (gauge: Gauge) => void }): Gauge;
  histogram(options: MetricOptions & { buckets?: readonly number[] }): Histogram;
  /** The whole registry in Prometheus text exposition format 0.0.4. */
  render(): string;
  /** Registers a cleanup to run on `close` (e.g. a sampler a collector owns). */
  onClose(fn: () => void): void;
  /** Stops background samplers (event loop delay). Idempotent. */
  close(): void;
}

/** Default latency buckets in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  labelNames: readonly string[];
  render(lines: string[]): void;
  collect?: () => void;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Keys of frozen label sets: callers on a hot path pass the same frozen object for the same series. */
const frozenKeys = new WeakMap<Labels, string>();

/** Builds a series key (and the rendered label set) from label values in declared order. */
function labelKey(labelNames: readonly string[], labels: Labels | undefined): string {
  if (labelNames.length === 0) return '';
  if (labels !== undefined && Object.isFrozen(labels)) {
    const known = frozenKeys.get(labels);
    if (known !== undefined) return known;
  }
  const key = labelNames.map((n) => `${n}="${escapeLabel(String(labels?.[n] ?? ''))}"`).join(',');
  if (labels !== undefined && Object.isFrozen(labels)) frozenKeys.set(labels, key);
  return key;
}

function series(name: string, key: string, extra?: string): string {
  const all = [key, extra].filter((s) => s !== undefined && s !== '').join(',');
  return all === '' ? name : `${name}{${all}}`;
}

/** Creates an empty metrics registry (no process metrics; see `registerProcessMetrics`). */
export function createMetricsRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();
  const closers: (() => void)[] = [];

  const define = (family: Family): void => {
    if (!NAME.test(family.name)) throw new Error(`Invalid metric name "${family.name}"`);
    if (families.has(family.name)) throw new Error(`Metric "${family.name}" is already registered`);
    families.set(family.name, family);
  };

  return {
    counter({ name, help, labelNames = [], collect }) {
      const values = new Map<string, number>();
      define({
        name,
        help,
        type: 'counter',
        labelNames,
        collect: collect ? () => collect((labels, v) => values.set(labelKey(labelNames, labels), v)) : undefined,
        render: (lines) => {
          for (const [key, v] of values) lines.push(`${series(name, key)} ${formatValue(v)}`);
        },
      });
      return {
        inc(labels, value = 1) {
          const key = labelKey(labelNames, labels);
          values.set(key, (values.get(key) ?? 0) + value);
        },
      };
    },
    gauge({ name, help, labelNames = [], collect }) {
      const values = new Map<string, number>();
      const gauge: Gauge = {
        set(labels, value) {
          values.set(labelKey(labelNames, labels), value);
        },
      };
      define({
        name,
        help,
        type: 'gauge',
        labelNames,
        collect: collect ? () => collect(gauge) : undefined,
        render: (lines) => {
          for (const [key, v] of values) lines.push(`${series(name, key)} ${formatValue(v)}`);
        },
      });
      return gauge;
    },
    histogram({ name, help, labelNames = [], buckets = DEFAULT_BUCKETS }) {
      const bounds = [...buckets].sort((a, b) => a - b);
      const data = new Map<string, { counts: number[]; sum: number; count: number }>();
      define({
        name,
        help,
        type: 'histogram',
        labelNames,
        render: (lines) => {
          for (const [key, d] of data) {
            let cumulative = 0;
            bounds.forEach((b, i) => {
              cumulative += d.counts[i] ?? 0;
              lines.push(`${series(`${name}_bucket`, key, `le="${formatValue(b)}"`)} ${cumulative}`);
            });
            lines.push(`${series(`${name}_bucket`, key, 'le="+Inf"')} ${d.count}`);
            lines.push(`${series(`${name}_sum`, key)} ${formatValue(d.sum)}`);
            lines.push(`${series(`${name}_count`, key)} ${d.count}`);
          }
        },
      });
      return {
        observe(labels, value) {
          const key = labelKey(labelNames, labels);
          let d = data.get(key);
          if (!d) {
            d = { counts: bounds.map(() => 0), sum: 0, count: 0 };
            data.set(key, d);
          }
          const i = bounds.findIndex((b) => value <= b);
          if (i >= 0) d.counts[i] = (d.counts[i] ?? 0) + 1;
          d.sum += value;
          d.count += 1;
        },
      };
    },
    render() {
      const lines: string[] = [];
      for (const family of families.values()) {
        family.collect?.();
        lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
        lines.push(`# TYPE ${family.name} ${family.type}`);
        family.render(lines);
      }
      return `${lines.join('\n')}\n`;
    },
    onClose(fn) {
      closers.push(fn);
    },
    close() {
      for (const close of closers.splice(0)) close();
    },
  };
}

/**
 * The part of a rendered exposition a tenant may see: the HELP/TYPE lines and only the series labelled with
 * its own tenant. Process and HTTP series (shared by all tenants) and other tenants' series are left out.
 */
export function tenantView(text: string, tenantId: string): string {
  const own = `tenant="${escapeLabel(tenantId)}"`;
  const lines = text.split('\n').filter((line) => {
    if (line === '' || line.startsWith('#')) return true;
    const open = line.indexOf('{');
    if (open < 0) return false;
    const labels = line.slice(open + 1, line.lastIndexOf('}'));
    return labels.startsWith(own) || labels.includes(`,${own}`);
  });
  return lines.join('\n');
}

const withProcessMetrics = new WeakSet<MetricsRegistry>();

/** Adds process metrics (CPU, memory, event loop lag, uptime) to a registry; idempotent per registry. */
export function registerProcessMetrics(registry: MetricsRegistry): void {
  if (withProcessMetrics.has(registry)) return;
  withProcessMetrics.add(registry);

  let lag: IntervalHistogram | undefined;
  try {
    lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
    const sampler = lag;
    registry.onClose(() => sampler.disable());
  } catch {
    lag = undefined; // not available on this runtime: the lag series is simply absent
  }

  const cpu = (name: string, help: string, pick: (u: NodeJS.CpuUsage) => number): void => {
    registry.counter({ name, help, collect: (set) => set({}, pick(process.cpuUsage()) / 1e6) });
  };
  cpu('process_cpu_user_seconds_total', 'User CPU time spent in seconds.', (u) => u.user);
  cpu('process_cpu_system_seconds_total', 'System CPU time spent in seconds.', (u) => u.system);
  cpu('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', (u) => u.user + u.system);
  registry.gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    collect: (g) => g.set({}, process.memoryUsage.rss()),
  });
  registry.gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'V8 heap used in bytes.',
    collect: (g) => g.set({}, process.memoryUsage().heapUsed),
  });
  registry.gauge({
    name: 'nodejs_heap_size_total_bytes',
    help: 'V8 heap total in bytes.',
    collect: (g) => g.set({}, process.memoryUsage().heapTotal),
  });
  registry.gauge({
    name: 'process_uptime_seconds',
    help: 'Process uptime in seconds.',
    collect: (g) => g.set({}, process.uptime()),
  });
  registry.gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since the epoch in seconds.',
    collect: (g) => g.set({}, Math.round(Date.now() / 1000 - process.uptime())),
  });
  if (lag) {
    const sampler = lag;
    registry.gauge({
      name: 'nodejs_eventloop_lag_p99_seconds',
      help: 'Event loop delay p99 (since the last scrape; read before the mean resets the sampler) in seconds.',
      collect: (g) => g.set({}, sampler.count > 0 ? sampler.percentile(99) / 1e9 : 0),
    });
    registry.gauge({
      name: 'nodejs_eventloop_lag_seconds',
      help: 'Event loop delay (mean since the last scrape) in seconds.',
      collect: (g) => {
        const mean = Number.isNaN(sampler.mean) ? 0 : sampler.mean;
        g.set({}, mean / 1e9);
        sampler.reset();
      },
    });
  }
}
