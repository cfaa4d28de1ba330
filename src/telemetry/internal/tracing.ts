import { randomBytes } from 'node:crypto';
import type { InvokeContext, ToolCallResult } from '../../core/index.js';
import type { CallInterceptor } from '../../registry/index.js';
import type { SpanData } from './otlp-exporter.js';

/** Where spans go (the OTLP exporter, or anything with the same `add`). */
export interface SpanSink {
  add(span: SpanData): void;
}

/** Options of the tool call tracer. */
export interface ToolTracingOptions {
  sink: SpanSink;
  /** The InvokeContext of the call in progress (the registry's `currentCallContext`), for its traceparent. */
  currentContext?: () => InvokeContext | undefined;
}

interface Token {
  start: bigint;
  traceId: string;
  parentSpanId?: string;
  tenant: string;
  project: string;
  connector: string;
  tool: string;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Trace and parent span ids of a W3C `traceparent` header, or undefined when absent or malformed. */
export function parseTraceparent(header: string | undefined): { traceId: string; parentSpanId: string } | undefined {
  const match = header === undefined ? null : TRACEPARENT.exec(header.trim().toLowerCase());
  if (!match || match[1] === ZERO_TRACE || match[2] === ZERO_SPAN) return undefined;
  return { traceId: match[1]!, parentSpanId: match[2]! };
}

const nowNanos = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

/** A call interceptor that records one span per tool call; joins the caller's trace when it sent one. */
export function createToolTracing({ sink, currentContext }: ToolTracingOptions): CallInterceptor {
  return {
    before(tenant, project, connector, tool): Token {
      const parent = parseTraceparent(currentContext?.()?.traceparent);
      return {
        start: nowNanos(),
        traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
        ...(parent ? { parentSpanId: parent.parentSpanId } : {}),
        tenant,
        project,
        connector,
        tool,
      };
    },
    after(token: unknown, result: ToolCallResult, elapsedMs: number): void {
      const t = token as Token;
      const outcome = result.isError === true ? 'error' : 'ok';
      sink.add({
        traceId: t.traceId,
        spanId: randomBytes(8).toString('hex'),
        ...(t.parentSpanId ? { parentSpanId: t.parentSpanId } : {}),
        name: `tools/call ${t.connector}__${t.tool}`,
        kind: 3,
        startTimeUnixNano: t.start,
        endTimeUnixNano: t.start + BigInt(Math.round(elapsedMs * 1e6)),
        attributes: {
          'toolport.tenant': t.tenant,
          'toolport.project': t.project,
          'toolport.connector': t.connector,
          'toolport.tool': t.tool,
          'toolport.outcome': outcome,
          'toolport.duration_ms': Math.round(elapsedMs * 1000) / 1000,
        },
        // The result text may quote upstream data: the span says only that it failed.
        ...(outcome === 'error' ? { error: 'tool call returned an error' } : {}),
      });
    },
  };
}
