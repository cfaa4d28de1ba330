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

/**
 * Keeps this node in step with the others (PostgreSQL): a change notice re-reads the changed connector or
 * project; when the LISTEN connection comes back after being lost (notices may have been missed) the whole
 * registry is reconciled with the store.
 */
export class ClusterSync {
  readonly #store: SyncStore;
  readonly #target: SyncTarget;
  readonly #nodeId: string;
  readonly #logger: Logger;
  #off: (() => void) | undefined;
  #closed = false;

  constructor(store: SyncStore, target: SyncTarget, nodeId: string, logger: Logger) {
    this.#store = store;
    this.#target = target;
    this.#nodeId = nodeId;
    this.#logger = logger;
  }

  /** Subscribes, then waits until notices are received (so a change made while this node loads is not lost). */
  async start(): Promise<void> {
    const offNotices = this.#store.onChange((notice) => void this.#apply(notice));
    const offResync = this.#store.onResync(() => void this.resync());
    this.#off = () => {
      offNotices();
      offResync();
    };
    await this.#store.listening();
  }

  close(): void {
    this.#closed = true;
    this.#off?.();
  }

  /** Reconciles every project and connector with the store; changes are announced as remote events. */
  async resync(): Promise<void> {
    if (this.#closed) return;
    const t = this.#target;
    const data = { remote: true, resync: true };
    try {
      const projects = await this.#store.listProjects();
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
      const keys = new Map<string, [string, string, string]>();
      for (const r of await this.#store.listConnectors()) {
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
      this.#logger.warn({ err: (err as Error).message }, 'resync after a lost change listener failed');
    }
  }

  /** Applies a change made by another node. */
  async #apply(notice: ChangeNotice): Promise<void> {
    if (notice.node === this.#nodeId || this.#closed) return;
    const { tenant_id: tenantId, project_id: projectId, connector_name: name } = notice;
    try {
      if (notice.event === 'project.deleted') await this.#target.dropProject(tenantId, projectId);
      else if (notice.event === 'project.created') this.#target.adoptProject(tenantId, projectId);
      else if (name) await this.#target.refreshConnector(tenantId, projectId, name);
      this.#target.publishLocal(notice.event as RegistryEventType, tenantId, projectId, name, { remote: true });
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message, notice }, 'applying a change notice failed');
    }
  }
}
