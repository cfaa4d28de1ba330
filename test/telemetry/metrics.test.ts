import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/api/index.js';
import type { ConnectorState } from '../../src/registry/index.js';
import { registerToolMetrics } from '../../src/telemetry/index.js';
import { startLiveServer, type LiveServer } from '../health/live-server.js';
import { startUpstream, statusManifest, type Upstream } from '../health/upstream.js';

/** The value of one exact series line in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics carries tool, connector, health and circuit series', () => {
  let s: LiveServer;
  let upstream: Upstream;

  beforeEach(async () => {
    upstream = await startUpstream();
    s = await startLiveServer({
      registry: { breaker: { failureThreshold: 2, cooldownMs: 60_000 }, health: { failures: 1 } },
    });
    await s.registry.createProject('default', { id: 'p1' });
  });
  afterEach(async () => {
    await s.close();
    await upstream.close();
  });

  it('counts calls by outcome, times them, and reports status, health checks and open circuits', async () => {
    await s.request('POST', '/v1/projects/p1/connectors/install-from-manifest', {
      manifest: statusManifest(upstream.url),
    });
    for (let i = 0; i < 3; i++)
      expect((await s.request('POST', '/v1/projects/p1/tools/svc__status/invoke', { arguments: {} })).status).toBe(200);
    upstream.mode = 'fail';
    for (let i = 0; i < 3; i++) await s.registry.invokeTool('default', 'p1', 'status', {});
    upstream.mode = 'wrong';
    await s.request('POST', '/v1/projects/p1/connectors/svc/health');

    const res = await s.request('GET', '/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    const l = 'tenant="default",project="p1",connector="svc"';
    expect(sample(text, `toolport_tool_calls_total{${l},tool="status",outcome="ok"}`)).toBe(3);
    // Two upstream failures open the circuit, the third call fails fast, the probe is refused too: all errors.
    expect(sample(text, `toolport_tool_calls_total{${l},tool="status",outcome="error"}`)).toBe(4);
    expect(sample(text, `toolport_tool_call_duration_seconds_count{${l}}`)).toBe(7);
    expect(sample(text, `toolport_tool_call_duration_seconds_bucket{${l},le="+Inf"}`)).toBe(7);
    expect(sample(text, `toolport_health_checks_total{${l},result="fail"}`)).toBe(1);
    expect(sample(text, `toolport_connector_status{${l},status="error"}`)).toBe(1);
    expect(sample(text, `toolport_connector_status{${l},status="active"}`)).toBe(0);
    expect(sample(text, `toolport_circuit_open{${l}}`)).toBe(1);
    expect(text).toContain('# TYPE toolport_tool_call_duration_seconds histogram');
    expect(text).toContain('# TYPE toolport_python_workers gauge');

    // An uninstalled connector drops to 0 instead of keeping its last value.
    await s.request('DELETE', '/v1/projects/p1/connectors/svc');
    const after = await (await s.request('GET', '/metrics')).text();
    expect(sample(after, `toolport_connector_status{${l},status="error"}`)).toBe(0);
    expect(sample(after, `toolport_circuit_open{${l}}`)).toBe(0);
  });

  it('reports python workers and upstream processes from runtime facts, and bounds label cardinality', () => {
    const metrics = createMetricsRegistry();
    const states: ConnectorState[] = [
      {
        tenantId: 't',
        projectId: 'p',
        name: 'py',
        kind: 'python',
        enabled: true,
        status: 'active',
        runtime: { workers: 2 },
        breaker: 'closed',
      },
      {
        tenantId: 't',
        projectId: 'p',
        name: 'up',
        kind: 'mcp',
        enabled: true,
        status: 'active',
        runtime: { processes: 1 },
        breaker: 'half_open',
      },
    ];
    let interceptor:
      | {
          before: (...a: string[]) => unknown;
          after: (t: unknown, r: { content: []; isError?: boolean }, ms: number) => void;
        }
      | undefined;
    registerToolMetrics({
      metrics,
      maxSeries: 3,
      registry: {
        addInterceptor: (i) => (interceptor = i as never),
        subscribe: () => () => undefined,
        connectorStates: () => states,
      },
    });
    for (let i = 0; i < 10; i++) interceptor!.after(interceptor!.before('t', 'p', 'c', `tool${i}`), { content: [] }, 5);
    const text = metrics.render();
    expect(sample(text, 'toolport_python_workers{tenant="t",project="p",connector="py"}')).toBe(2);
    expect(sample(text, 'toolport_upstream_processes{tenant="t",project="p",connector="up"}')).toBe(1);
    expect(sample(text, 'toolport_circuit_open{tenant="t",project="p",connector="up"}')).toBe(1);
    const callSeries = text.split('\n').filter((l) => l.startsWith('toolport_tool_calls_total{'));
    expect(callSeries).toHaveLength(4);
    expect(
      sample(
        text,
        'toolport_tool_calls_total{tenant="_other",project="_other",connector="_other",tool="_other",outcome="ok"}',
      ),
    ).toBe(7);
  });
});
