import type { ConnectorAddress, Logger } from '../../core/index.js';
import type { ChangeNotice, Store } from '../../store/store.js';
import type { RegistryEventType } from '../types.js';
import type { RefreshOutcome } from './command-types.js';
import type { LiveView } from './live-state.js';

/** What cluster sync needs: notices, resync signals and the stored state to reconcile with. */
export type SyncStore = Pick<Store, 'onChange' | 'onResync' | 'listening' | 'listProjects' | 'listConnectors'>;

/** How cluster sync applies what it learns (each connector change serialised by the commands). */
export interface SyncTarget {
  live: LiveView;
  refreshConnector(...connector: ConnectorAddress): Promise<RefreshOutcome>;
  adoptProject(tenantId: string, projectId: string): void;
  dropProject(tenantId: string, projectId: string): Promise<void>;
  /** Publishes an event on this node only (the change was made elsewhere). */
  publishLocal(type: RegistryEventType, tenantId: string, projectId: string, connector?: string, data?: object): void;
}

/** What cluster sync works with: the store it listens to, the registry it updates, and who this node is. */
export interface ClusterSyncOptions {
  store: SyncStore;
  target: SyncTarget;
  /** This node's id: its own change notices are skipped. */
  nodeId: string;
  logger: Logger;
}

/**
 * Keeps this node in step with the others (PostgreSQL): a change notice re-reads the changed connector or
 * project; when the LISTEN connection comes back after being lost (notices may have been missed) the whole
 * registry is reconciled with the store.
 */
export class ClusterSync {
  readonly #o: ClusterSyncOptions;
  #off: (() => void) | undefined;
  #closed = false;

  constructor(options: ClusterSyncOptions) {
    this.#o = options;
  }

  /** Subscribes, then waits until notices are received (so a change made while this node loads is not lost). */
  async start(): Promise<void> {
    const offNotices = this.#o.store.onChange((notice) => void this.#apply(notice));
    const offResync = this.#o.store.onResync(() => void this.resync());
    this.#off = () => {
      offNotices();
      offResync();
    };
    await this.#o.store.listening();
  }

  close(): void {
    this.#closed = true;
    this.#off?.();
  }

  /** Reconciles every project and connector with the store; changes are announced as remote events. */
  async resync(): Promise<void> {
    if (this.#closed) return;
    const t = this.#o.target;
    const data = { remote: true, resync: true };
    try {
      const projects = await this.#o.store.listProjects();
      const stored = new Set(projects.map((p) => `${p.tenant_id}/${p.id}`));
      for (const p of projects) {
        if (t.live.project(p.tenant_id, p.id)) continue;
        t.adoptProject(p.tenant_id, p.id);
        t.publishLocal('project.created', p.tenant_id, p.id, undefined, data);
      }
      for (const p of [...t.live.projects()]) {
        if (stored.has(`${p.tenantId}/${p.projectId}`)) continue;
        await t.dropProject(p.tenantId, p.projectId);
        t.publishLocal('project.deleted', p.tenantId, p.projectId, undefined, data);
      }
      const keys = new Map<string, ConnectorAddress>();
      for (const r of await this.#o.store.listConnectors()) {
        keys.set(`${r.tenant_id}/${r.project_id}/${r.name}`, [r.tenant_id, r.project_id, r.name]);
      }
      for (const p of t.live.projects()) {
        for (const name of p.connectors.keys())
          keys.set(`${p.tenantId}/${p.projectId}/${name}`, [p.tenantId, p.projectId, name]);
      }
      for (const [tenantId, projectId, name] of keys.values()) {
        const outcome = await t.refreshConnector(tenantId, projectId, name);
        if (outcome === 'none') continue;
        const type = outcome === 'removed' ? 'connector.uninstalled' : 'connector.updated';
        t.publishLocal(type, tenantId, projectId, name, data);
      }
    } catch (err) {
      this.#o.logger.warn({ err: (err as Error).message }, 'resync after a lost change listener failed');
    }
  }

  /** Applies a change made by another node. */
  async #apply(notice: ChangeNotice): Promise<void> {
    if (notice.node === this.#o.nodeId || this.#closed) return;
    const { tenant_id: tenantId, project_id: projectId, connector_name: name } = notice;
    try {
      if (notice.event === 'project.deleted') await this.#o.target.dropProject(tenantId, projectId);
      else if (notice.event === 'project.created') this.#o.target.adoptProject(tenantId, projectId);
      else if (name) await this.#o.target.refreshConnector(tenantId, projectId, name);
      this.#o.target.publishLocal(notice.event as RegistryEventType, tenantId, projectId, name, { remote: true });
    } catch (err) {
      this.#o.logger.warn({ err: (err as Error).message, notice }, 'applying a change notice failed');
    }
  }
}
