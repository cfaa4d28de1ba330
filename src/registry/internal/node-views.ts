import type { CircuitBreaker, HealthTarget } from '../health/index.js';
import type { LiveView } from './live-state.js';

/** One connector's observable state on this node (no secrets). */
export interface ConnectorState {
  tenantId: string;
  projectId: string;
  name: string;
  kind: string;
  enabled: boolean;
  status: 'active' | 'inactive' | 'error';
  runtime: Record<string, unknown>;
  breaker: 'closed' | 'open' | 'half_open';
}

/** Every connector on this node with its status, runtime facts and circuit (metrics read it at scrape time). */
export function* connectorStates(live: LiveView, breaker: CircuitBreaker | undefined): Iterable<ConnectorState> {
  for (const project of live.projects()) {
    for (const connector of project.connectors.values()) {
      const { name, kind, enabled, status } = connector.record;
      yield {
        tenantId: project.tenantId,
        projectId: project.projectId,
        name,
        kind,
        enabled,
        status,
        runtime: connector.source?.info?.() ?? {},
        breaker: breaker?.status(project.tenantId, project.projectId, name).state ?? 'closed',
      };
    }
  }
}

/** Every enabled connector with its health interval (the health monitor's schedule). */
export function* healthTargets(live: LiveView): Iterable<HealthTarget> {
  for (const project of live.projects()) {
    for (const connector of project.connectors.values()) {
      if (!connector.record.enabled) continue;
      const intervalMs = connector.version.manifest.health?.interval_ms;
      const target = { tenantId: project.tenantId, projectId: project.projectId, name: connector.record.name };
      yield intervalMs ? { ...target, intervalMs } : target;
    }
  }
}
