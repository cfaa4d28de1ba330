/**
 * Telemetry: Prometheus series of tool calls, connector status, workers, health checks and circuits
 * (added to the api's metrics registry), and OpenTelemetry traces of tool calls over OTLP/HTTP JSON.
 *
 * @example
 * registerToolMetrics({ metrics, registry });
 * const exporter = new OtlpExporter({ endpoint: config.otlpEndpoint });
 * registry.addInterceptor(createToolTracing({ sink: exporter, currentContext: () => registry.currentCallContext() }));
 */
export { registerToolMetrics } from './internal/tool-metrics.js';
export type { MetricsSink, ToolMetricsSource, ToolMetricsOptions } from './internal/tool-metrics.js';
export { LabelLimiter, OVERFLOW } from './internal/label-limiter.js';
export { OtlpExporter, tracesUrl } from './internal/otlp-exporter.js';
export type { OtlpExporterOptions, SpanData } from './internal/otlp-exporter.js';
export { createToolTracing, parseTraceparent } from './internal/tracing.js';
export type { ToolTracingOptions, SpanSink } from './internal/tracing.js';
