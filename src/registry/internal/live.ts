import type { ToolSource } from '../../core/index.js';
import type { ConnectorRecord, ConnectorVersionRecord } from '../../store/store.js';
import type { ConnectorView, ProjectSnapshot, RegisteredTool } from '../types.js';

/** The in-memory state of one connector on this node. */
export interface LiveConnector {
  record: ConnectorRecord;
  version: ConnectorVersionRecord;
  /** The running source; absent while disabled or when it failed to load. */
  source?: ToolSource;
  /** Tools served (empty while disabled or failed). */
  tools: RegisteredTool[];
  /** When the running source loaded its tools on this node (ISO time). */
  loadedAt?: string;
  /** Unsubscribes from the source's own list changes. */
  unwatchSource?: () => void;
}

/** The in-memory state of one project. */
export interface LiveProject {
  tenantId: string;
  projectId: string;
  connectors: Map<string, LiveConnector>;
  snapshot: ProjectSnapshot;
}

/** Builds a new immutable snapshot from the live connectors (called after every change of the project). */
export function buildSnapshot(project: Omit<LiveProject, 'snapshot'>, revision: number): ProjectSnapshot {
  const tools: RegisteredTool[] = [];
  const byQualifiedName = new Map<string, RegisteredTool>();
  const connectors = new Map<string, ConnectorView>();
  const names = [...project.connectors.keys()].sort();
  for (const name of names) {
    const live = project.connectors.get(name)!;
    const served = live.record.enabled && live.source ? live.tools : [];
    connectors.set(
      name,
      Object.freeze({
        name,
        kind: live.record.kind,
        enabled: live.record.enabled,
        status: live.record.status,
        status_reason: live.record.status_reason,
        version: live.version.version,
        seq: live.version.seq,
        tools: served,
      }),
    );
    for (const tool of served) {
      tools.push(tool);
      byQualifiedName.set(tool.qualifiedName, tool);
    }
  }
  return Object.freeze({
    tenantId: project.tenantId,
    projectId: project.projectId,
    revision,
    tools: Object.freeze(tools),
    byQualifiedName,
    connectors,
  });
}
