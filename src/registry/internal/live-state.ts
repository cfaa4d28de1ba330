import type { ConnectorAddress } from '../../core/index.js';
import type { ProjectSnapshot } from '../types.js';
import { buildSnapshot, type LiveConnector, type LiveProject } from './live.js';

/** A project as readers see it: its connectors and current snapshot, never mutable. */
export interface LiveProjectView {
  readonly tenantId: string;
  readonly projectId: string;
  readonly connectors: ReadonlyMap<string, Readonly<LiveConnector>>;
  readonly snapshot: ProjectSnapshot;
}

/** Read-only access to what this node serves. Readers never lock and never touch the store. */
export interface LiveView {
  snapshot(tenantId: string, projectId: string): ProjectSnapshot | undefined;
  project(tenantId: string, projectId: string): LiveProjectView | undefined;
  connector(...connector: ConnectorAddress): Readonly<LiveConnector> | undefined;
  projects(): Iterable<LiveProjectView>;
}

const projectKey = (tenantId: string, projectId: string): string => `${tenantId}/${projectId}`;

/**
 * The live projects of this node and their snapshots. Only the connector commands (and project lifecycle)
 * hold this object; everyone else gets it as a LiveView.
 */
export class LiveState implements LiveView {
  readonly #projects = new Map<string, LiveProject>();
  #revision = 0;

  snapshot(tenantId: string, projectId: string): ProjectSnapshot | undefined {
    return this.#projects.get(projectKey(tenantId, projectId))?.snapshot;
  }

  project(tenantId: string, projectId: string): LiveProjectView | undefined {
    return this.#projects.get(projectKey(tenantId, projectId));
  }

  connector(tenantId: string, projectId: string, name: string): Readonly<LiveConnector> | undefined {
    return this.#projects.get(projectKey(tenantId, projectId))?.connectors.get(name);
  }

  projects(): Iterable<LiveProjectView> {
    return this.#projects.values();
  }

  /** The mutable project (commands only). */
  mutable(tenantId: string, projectId: string): LiveProject | undefined {
    return this.#projects.get(projectKey(tenantId, projectId));
  }

  /** The project, created empty (with a snapshot) when this node does not hold it yet. */
  ensure(tenantId: string, projectId: string): LiveProject {
    const key = projectKey(tenantId, projectId);
    let live = this.#projects.get(key);
    if (!live) {
      const base = { tenantId, projectId, connectors: new Map<string, LiveConnector>() };
      live = { ...base, snapshot: buildSnapshot(base, ++this.#revision) };
      this.#projects.set(key, live);
    }
    return live;
  }

  /** Forgets a project; returns what it held. */
  remove(tenantId: string, projectId: string): LiveProject | undefined {
    const live = this.#projects.get(projectKey(tenantId, projectId));
    this.#projects.delete(projectKey(tenantId, projectId));
    return live;
  }

  /** Replaces the project's snapshot after a change (readers pick up the new one on their next call). */
  publish(project: LiveProject): void {
    project.snapshot = buildSnapshot(project, ++this.#revision);
  }
}
