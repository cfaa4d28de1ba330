import type { ProjectStats } from '../registry-api.js';
import type { LiveProjectView } from './live-state.js';
import { toToolSummaries } from './summaries.js';
import type { UsageRecorder } from './usage.js';

/** Statistics of one live project: connectors by status and kind, tools, calls, errors, mean latency. */
export function projectStats(project: LiveProjectView, usage: UsageRecorder): ProjectStats {
  const stats: ProjectStats = {
    project_id: project.projectId,
    connector_count: project.connectors.size,
    tool_count: 0,
    enabled_connectors: 0,
    by_status: { active: 0, inactive: 0, error: 0 },
    by_kind: {},
    calls: 0,
    errors: 0,
    avg_latency_ms: null,
  };
  let latency = 0;
  for (const live of project.connectors.values()) {
    const { status, kind, enabled } = live.record;
    stats.by_status[status] = (stats.by_status[status] ?? 0) + 1;
    stats.by_kind[kind] = (stats.by_kind[kind] ?? 0) + 1;
    if (enabled) stats.enabled_connectors += 1;
    for (const tool of toToolSummaries(live, usage)) {
      stats.tool_count += 1;
      stats.calls += tool.usage.calls;
      stats.errors += tool.usage.errors;
      latency += tool.usage.total_latency_ms;
    }
  }
  stats.avg_latency_ms = stats.calls ? Math.round((latency / stats.calls) * 100) / 100 : null;
  return stats;
}

/** Totals over several projects' statistics. */
export function sumStats(projects: number, all: ProjectStats[]): Record<string, unknown> {
  const totals = {
    total_projects: projects,
    total_connectors: 0,
    total_tools: 0,
    enabled_connectors: 0,
    by_status: { active: 0, inactive: 0, error: 0 } as Record<string, number>,
    by_kind: {} as Record<string, number>,
    calls: 0,
    errors: 0,
  };
  for (const s of all) {
    totals.total_connectors += s.connector_count;
    totals.total_tools += s.tool_count;
    totals.enabled_connectors += s.enabled_connectors;
    totals.calls += s.calls;
    totals.errors += s.errors;
    for (const [k, v] of Object.entries(s.by_status)) totals.by_status[k] = (totals.by_status[k] ?? 0) + v;
    for (const [k, v] of Object.entries(s.by_kind)) totals.by_kind[k] = (totals.by_kind[k] ?? 0) + v;
  }
  return totals;
}
