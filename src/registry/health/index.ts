/**
 * Health: the scheduler of health checks, the per-connector circuit breaker, per-tool health and
 * probes set through the API.
 */
export { HealthMonitor, createHealthMonitor, HEALTH_LOCK } from './monitor.js';
export type { HealthMonitorOptions, HealthMonitorHost, HealthTarget, MonitorTimers, MonitorStats } from './monitor.js';
export { CircuitBreaker } from './breaker.js';
export type { BreakerOptions, BreakerState, BreakerStatus } from './breaker.js';
export { ToolHealthTracker } from './tool-health.js';
export type { ToolHealth } from './tool-health.js';
export { InterceptorChain } from './interceptor-chain.js';
export { parseProbeInput, metadataProbe } from './probe-input.js';
