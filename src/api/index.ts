/**
 * The REST api: Fastify app with tenants, API keys, projects, connectors, tools, stats,
 * bearer authentication, one error shape, Prometheus metrics and a generated OpenAPI 3.1 document.
 */
export { createApi } from './internal/create-api.js';
export type { Api, ApiOptions, Revocation } from './internal/create-api.js';
export { createAuthenticate, parseBearer } from './internal/auth.js';
export type { AuthenticateOptions } from './internal/auth.js';
export { createMetricsRegistry, registerProcessMetrics, DEFAULT_BUCKETS } from './internal/metrics.js';
export type { MetricsRegistry, MetricOptions, Counter, Gauge, Histogram, Labels } from './internal/metrics.js';
export type { ErrorBody } from './internal/errors.js';
