/**
 * The registry: projects, connectors, versions, live sources, immutable per-project snapshots,
 * events, hot reload, usage analytics and health checks.
 *
 * @example
 * const registry = new Registry({ store, sources: { http: createHttpFactory() }, nodeId: 'n1' });
 * await registry.start();
 * await registry.install({ tenantId: 'default', projectId: 'demo', filePath: 'samples/weather.yaml' });
 */
export { Registry } from './registry-service.js';
export type { RegistryOptions } from './registry-service.js';
export type { ConnectorState } from './internal/node-views.js';
export { ScriptService } from './scripts.js';
export type { ScriptServiceOptions, ScriptAnalysisResult, GenerateWrapperRequest, ScriptSummary } from './scripts.js';
export type { RegistryCoreOptions, CallInterceptor, AdmissionPolicy } from './registry.js';
export { createAdmissionPolicy, isInsideRoot, canonicalPath, matchAllowedCommand } from './internal/admission.js';
export type { AdmissionOptions, AllowedCommand } from './internal/admission.js';
export type { SourceFactory, SourceFactories, SourceFactoryInput } from './source-factory.js';
export type {
  RegistryEvent,
  RegistryEventType,
  RegisteredTool,
  ConnectorView,
  ProjectSnapshot,
  ToolProvider,
  UpstreamEvent,
  InstallRequest,
  InstallResult,
} from './types.js';
export type {
  RegistryApi,
  ConnectorSummary,
  VersionSummary,
  ToolSummary,
  ProjectStats,
  ReloadOutcome,
} from './registry-api.js';
export { evaluateProbe, resolvePointer } from './internal/probe.js';
export { percentileFromBuckets, LATENCY_BUCKETS_MS } from './internal/usage.js';
/** Scheduled health checks (leader only), the circuit breaker and per-tool health. */
export {
  HealthMonitor,
  createHealthMonitor,
  HEALTH_LOCK,
  CircuitBreaker,
  ToolHealthTracker,
  parseProbeInput,
} from './health/index.js';
export type {
  HealthMonitorOptions,
  HealthMonitorHost,
  HealthTarget,
  MonitorTimers,
  MonitorStats,
  BreakerOptions,
  BreakerState,
  BreakerStatus,
  ToolHealth,
} from './health/index.js';
