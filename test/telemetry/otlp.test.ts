import { createServer } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OtlpExporter, createToolTracing, parseTraceparent } from '../../src/telemetry/index.js';
import { startUpstream, statusManifest, type Upstream } from '../health/upstream.js';
import { createRegistryHarness, type RegistryHarness } from '../helpers/registry-harness.js';
import { waitFor } from '../helpers/wait.js';

interface Attr {
  key: string;
  value: Record<string, unknown>;
}
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attr[];
  status: { code: number; message?: string };
}

/** A loopback OTLP/HTTP collector recording each request's path, content type and JSON body. */
async function startCollector() {
  const requests: {
    path: string;
    type: string | undefined;
    body: { resourceSpans: { resource: { attributes: Attr[] }; scopeSpans: { spans: Span[] }[] }[] };
  }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', type: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    spans: () => requests.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const attr = (span: Span, key: string) => span.attributes.find((a) => a.key === key)?.value;

describe('OTLP/HTTP JSON traces of tool calls', () => {
  let upstream: Upstream;
  let h: RegistryHarness;
  let collector: Awaited<ReturnType<typeof startCollector>>;

  beforeEach(async () => {
    upstream = await startUpstream();
    collector = await startCollector();
    h = await createRegistryHarness();
    await h.registry.createProject('default', { id: 'p1' });
    await h.registry.install({
      tenantId: 'default',
      projectId: 'p1',
      manifest: statusManifest(upstream.url, 'svc', false),
    });
  });
  afterEach(async () => {
    await h.close();
    await collector.close();
    await upstream.close();
  });

  it('exports one span per call in batches, joining the caller trace from traceparent', async () => {
    const exporter = new OtlpExporter({
      endpoint: `${collector.url}/`,
      serviceVersion: '1.2.3',
      batchSize: 2,
      flushMs: 60_000,
    });
    h.registry.addInterceptor(
      createToolTracing({ sink: exporter, currentContext: () => h.registry.currentCallContext() }),
    );
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await h.registry.callTool('default', 'p1', 'svc', 'status', {}, { traceparent });
    await h.registry.invokeTool('default', 'p1', 'status', {});
    // batchSize 2: the first two spans went out without waiting for the timer.
    await waitFor(() => collector.requests.length === 1, 'a batch');
    upstream.mode = 'fail';
    await h.registry.invokeTool('default', 'p1', 'status', {});
    await exporter.flush();

    expect(collector.requests).toHaveLength(2);
    expect(collector.requests.every((r) => r.path === '/v1/traces' && r.type === 'application/json')).toBe(true);
    const resource = collector.requests[0]!.body.resourceSpans[0]!.resource.attributes;
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'toolport' } });
    expect(resource).toContainEqual({ key: 'service.version', value: { stringValue: '1.2.3' } });

    const [joined, fresh, failed] = collector.spans();
    expect(joined!.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(joined!.parentSpanId).toBe('00f067aa0ba902b7');
    expect(joined!.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(joined!.name).toBe('tools/call svc__status');
    expect(attr(joined!, 'toolport.project')).toEqual({ stringValue: 'p1' });
    expect(attr(joined!, 'toolport.connector')).toEqual({ stringValue: 'svc' });
    expect(attr(joined!, 'toolport.tool')).toEqual({ stringValue: 'status' });
    expect(attr(joined!, 'toolport.outcome')).toEqual({ stringValue: 'ok' });
    expect(attr(joined!, 'toolport.duration_ms')).toBeDefined();
    expect(BigInt(joined!.endTimeUnixNano) >= BigInt(joined!.startTimeUnixNano)).toBe(true);
    expect(joined!.status).toEqual({ code: 1 });

    expect(fresh!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh!.traceId).not.toBe(joined!.traceId);
    expect(fresh!.parentSpanId).toBeUndefined();
    expect(attr(failed!, 'toolport.outcome')).toEqual({ stringValue: 'error' });
    expect(failed!.status.code).toBe(2);
    expect(exporter.stats).toMatchObject({ exported: 3, dropped: 0, queued: 0 });
  });

  it('sends on the timer, and drops (never throws) when the collector is unreachable', async () => {
    const exporter = new OtlpExporter({ endpoint: collector.url, flushMs: 30 });
    h.registry.addInterceptor(createToolTracing({ sink: exporter }));
    await h.registry.invokeTool('default', 'p1', 'status', {});
    await waitFor(() => collector.requests.length === 1, 'a timed flush');

    await collector.close();
    const offline = new OtlpExporter({ endpoint: collector.url, timeoutMs: 1_000, maxQueue: 1 });
    offline.add(collector.spans()[0] as never);
    offline.add(collector.spans()[0] as never); // over maxQueue
    await offline.flush();
    expect(offline.stats).toMatchObject({ exported: 0, dropped: 2 });
  });

  it('ignores malformed traceparent headers', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
    });
    expect(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
  });
});
