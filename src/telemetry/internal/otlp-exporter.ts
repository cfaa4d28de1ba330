import { silentLogger, type Logger } from '../../core/index.js';

/** One attribute value as OTLP/JSON encodes it. */
type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };

/** A finished span, ready to export. Ids are lower-case hex (32 / 16 chars). */
export interface SpanData {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client. */
  kind: 1 | 2 | 3;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, string | number | boolean>;
  error?: string;
}

/** Options of the exporter. */
export interface OtlpExporterOptions {
  /** Collector base URL (`http://collector:4318`); spans go to `${endpoint}/v1/traces`. */
  endpoint: string;
  serviceName?: string;
  serviceVersion?: string;
  /** Extra request headers (e.g. an API key of a hosted collector). */
  headers?: Record<string, string>;
  /** Spans per request. Default 256. */
  batchSize?: number;
  /** Longest a span waits before it is sent. Default 2 s. */
  flushMs?: number;
  /** Spans buffered at most; further ones are dropped (and counted). Default 4096. */
  maxQueue?: number;
  timeoutMs?: number;
  logger?: Logger;
}

function toAnyValue(value: string | number | boolean): AnyValue {
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { stringValue: value };
}

function attributes(values: Record<string, string | number | boolean>): { key: string; value: AnyValue }[] {
  return Object.entries(values).map(([key, value]) => ({ key, value: toAnyValue(value) }));
}

/** The traces URL for an endpoint given with or without the `/v1/traces` path. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

/**
 * A small OTLP/HTTP JSON trace exporter: buffers spans, sends them in batches, never blocks or throws
 * into the caller; a collector that is down costs dropped spans, not failed tool calls.
 */
export class OtlpExporter {
  readonly #url: string;
  readonly #resource: { key: string; value: AnyValue }[];
  readonly #headers: Record<string, string>;
  readonly #batchSize: number;
  readonly #flushMs: number;
  readonly #maxQueue: number;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  #queue: SpanData[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sending: Promise<void> = Promise.resolve();
  #dropped = 0;
  #exported = 0;

  constructor(options: OtlpExporterOptions) {
    this.#url = tracesUrl(options.endpoint);
    this.#resource = attributes({
      'service.name': options.serviceName ?? 'toolport',
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
    });
    this.#headers = { 'content-type': 'application/json', ...(options.headers ?? {}) };
    this.#batchSize = Math.max(1, options.batchSize ?? 256);
    this.#flushMs = Math.max(1, options.flushMs ?? 2_000);
    this.#maxQueue = Math.max(1, options.maxQueue ?? 4_096);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Spans sent and spans dropped so far. */
  get stats(): { exported: number; dropped: number; queued: number } {
    return { exported: this.#exported, dropped: this.#dropped, queued: this.#queue.length };
  }

  /** Queues a finished span. */
  add(span: SpanData): void {
    if (this.#queue.length >= this.#maxQueue) {
      this.#dropped += 1;
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.#batchSize) void this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.#flushMs);
      this.#timer.unref?.();
    }
  }

  /** Sends everything queued now; resolves when sent (or given up). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batches: SpanData[][] = [];
    while (this.#queue.length) batches.push(this.#queue.splice(0, this.#batchSize));
    // Sends are chained so batches arrive in order and at most one request is in flight.
    for (const batch of batches) this.#sending = this.#sending.then(() => this.#send(batch));
    return this.#sending;
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    await this.flush();
  }

  async #send(spans: SpanData[]): Promise<void> {
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: this.#resource },
          scopeSpans: [{ scope: { name: 'toolport' }, spans: spans.map(encodeSpan) }],
        },
      ],
    });
    try {
      const res = await fetch(this.#url, {
        method: 'POST',
        headers: this.#headers,
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`collector answered HTTP ${res.status}`);
      this.#exported += spans.length;
    } catch (err) {
      this.#dropped += spans.length;
      this.#logger.warn({ err: (err as Error).message, spans: spans.length }, 'exporting traces failed');
    }
  }
}

function encodeSpan(span: SpanData): Record<string, unknown> {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    attributes: attributes(span.attributes),
    // 1 = OK, 2 = ERROR (STATUS_CODE_UNSET is left for spans nobody judged).
    status: span.error === undefined ? { code: 1 } : { code: 2, message: span.error },
  };
}
