import { toToolDefinitions } from '../../manifest/index.js';
import type { ConnectorVersionRecord } from '../../store/store.js';
import type { BreakerStatus, ToolHealth } from '../health/index.js';
import type { ConnectorSummary, ToolSummary, VersionSummary } from '../registry-api.js';
import type { LiveConnector } from './live.js';
import { percentileFromBuckets, type UsageRecorder } from './usage.js';

/** A connector as the API shows it: config values are replaced by the list of keys that are set. */
export function toConnectorSummary(live: LiveConnector, breaker?: BreakerStatus): ConnectorSummary {
  const { config, ...record } = live.record;
  const manifest = live.version.manifest;
  const tools = live.source ? live.tools.map((t) => t.name) : manifest.tools.map((t) => t.name);
  return {
    ...record,
    version: live.version.version,
    ...(manifest.description === undefined ? {} : { description: manifest.description }),
    tool_count: tools.length,
    tools,
    config_keys: Object.keys(config).sort(),
    runtime: live.source?.info?.() ?? {},
    ...(breaker === undefined ? {} : { breaker }),
  };
}

/** A version as the API shows it (the descriptor itself stays internal). */
export function toVersionSummary(version: ConnectorVersionRecord, currentSeq: number): VersionSummary {
  const { manifest, ...rest } = version;
  return { ...rest, current: version.seq === currentSeq, tool_count: manifest.tools.length };
}

/** Every tool a connector has (served tools when running, the descriptor's otherwise), with usage. */
export function toToolSummaries(
  live: LiveConnector,
  usage: UsageRecorder,
  health?: (connector: string, tool: string) => ToolHealth,
): ToolSummary[] {
  const { tenant_id, project_id, name: connector, enabled, status } = live.record;
  const definitions = live.source ? live.tools.map((t) => t.definition) : toToolDefinitions(live.version.manifest);
  return definitions.map((def) => {
    const totals = usage.get(tenant_id, project_id, connector, def.name);
    return {
      name: def.name,
      qualified_name: `${connector}__${def.name}`,
      connector,
      enabled,
      status,
      ...(def.description === undefined ? {} : { description: def.description }),
      input_schema: def.inputSchema,
      ...(def.outputSchema === undefined ? {} : { output_schema: def.outputSchema }),
      ...(def.annotations === undefined ? {} : { annotations: def.annotations as Record<string, unknown> }),
      usage: {
        calls: totals.calls,
        errors: totals.errors,
        total_latency_ms: Math.round(totals.total_latency_ms * 100) / 100,
        last_used_at: totals.last_used_at,
        p50_ms: percentileFromBuckets(totals.latency_buckets, 0.5),
        p95_ms: percentileFromBuckets(totals.latency_buckets, 0.95),
        p99_ms: percentileFromBuckets(totals.latency_buckets, 0.99),
      },
      ...(health === undefined ? {} : { health: health(connector, def.name) }),
      invocation_count: totals.calls,
      last_used: totals.last_used_at,
      loaded_at: live.source ? (live.loadedAt ?? null) : null,
      connector_version: live.version.version,
    };
  });
}
