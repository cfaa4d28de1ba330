import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, registerProcessMetrics } from './metrics.js';

const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/;

describe('metrics registry', () => {
  it('renders counters with labels in Prometheus text format, escaping label values', () => {
    const m = createMetricsRegistry();
    const c = m.counter({ name: 'calls_total', help: 'Calls.', labelNames: ['tool'] });
    c.inc({ tool: 'a' });
    c.inc({ tool: 'a' }, 2);
    c.inc({ tool: 'we"ird\\' });
    const text = m.render();
    expect(text).toContain('# HELP calls_total Calls.\n# TYPE calls_total counter\n');
    expect(text).toContain('calls_total{tool="a"} 3\n');
    expect(text).toContain('calls_total{tool="we\\"ird\\\\"} 1\n');
    for (const line of text
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('#')))
      expect(line).toMatch(SAMPLE);
  });

  it('renders histograms with cumulative buckets, +Inf, sum and count', () => {
    const m = createMetricsRegistry();
    const h = m.histogram({ name: 'lat_seconds', help: 'Latency.', labelNames: ['route'], buckets: [0.1, 1] });
    h.observe({ route: '/x' }, 0.05);
    h.observe({ route: '/x' }, 0.5);
    h.observe({ route: '/x' }, 5);
    const text = m.render();
    expect(text).toContain('lat_seconds_bucket{route="/x",le="0.1"} 1\n');
    expect(text).toContain('lat_seconds_bucket{route="/x",le="1"} 2\n');
    expect(text).toContain('lat_seconds_bucket{route="/x",le="+Inf"} 3\n');
    expect(text).toContain('lat_seconds_sum{route="/x"} 5.55\n');
    expect(text).toContain('lat_seconds_count{route="/x"} 3\n');
  });

  it('runs gauge collectors at scrape time', () => {
    const m = createMetricsRegistry();
    let n = 0;
    m.gauge({ name: 'scrapes', help: 'Scrapes so far.', collect: (g) => g.set({}, ++n) });
    expect(m.render()).toContain('scrapes 1\n');
    expect(m.render()).toContain('scrapes 2\n');
  });

  it('rejects duplicate and invalid metric names', () => {
    const m = createMetricsRegistry();
    m.counter({ name: 'x_total', help: 'x' });
    expect(() => m.counter({ name: 'x_total', help: 'x' })).toThrow(/already registered/);
    expect(() => m.gauge({ name: 'bad-name', help: 'x' })).toThrow(/Invalid metric name/);
  });

  it('adds process metrics once and stops the event loop sampler on close', () => {
    const m = createMetricsRegistry();
    registerProcessMetrics(m);
    registerProcessMetrics(m);
    const text = m.render();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'process_uptime_seconds',
    ]) {
      expect(text).toMatch(new RegExp(`^${name} [0-9.e+-]+$`, 'm'));
    }
    m.close();
    m.close();
  });
});
