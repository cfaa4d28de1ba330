import { createError, isSlug, isToolportError, isoTime, validationError } from '../../core/index.js';
import type { ProjectRecord, Store } from '../../store/store.js';
import type { RegistryEventType } from '../types.js';

/** What project CRUD needs: the stored projects, and the live side to keep in step. */
export interface ProjectHost {
  store: Pick<
    Store,
    'createProject' | 'getProject' | 'listProjects' | 'updateProject' | 'deleteProject' | 'deleteTenant'
  >;
  /** Makes a stored project live on this node (idempotent). */
  adoptProject(tenantId: string, projectId: string): void;
  /** Forgets a deleted project on this node. */
  dropProject(tenantId: string, projectId: string): Promise<void>;
  announce(type: RegistryEventType, tenantId: string, projectId: string, connector: undefined, data?: object): void;
}

/** Project CRUD: the store holds projects, the live state their connectors; this keeps both in step. */
export class ProjectOps {
  readonly #core: ProjectHost;

  constructor(host: ProjectHost) {
    this.#core = host;
  }

  async create(tenantId: string, input: { id: string; name?: string; description?: string }): Promise<ProjectRecord> {
    if (!isSlug(input.id)) {
      throw validationError('invalid project id', [
        { pointer: '/id', message: 'must be a slug: lower-case letters, digits, - and _, 1-64 characters' },
      ]);
    }
    const now = isoTime();
    const record: ProjectRecord = {
      tenant_id: tenantId,
      id: input.id,
      name: input.name ?? input.id,
      description: input.description ?? '',
      created_at: now,
      updated_at: now,
    };
    await this.#core.store.createProject(record);
    this.#core.adoptProject(tenantId, input.id);
    this.#core.announce('project.created', tenantId, input.id, undefined, { name: record.name });
    return record;
  }

  async get(tenantId: string, projectId: string): Promise<ProjectRecord> {
    const project = await this.#core.store.getProject(tenantId, projectId);
    if (!project) throw createError('not_found', `project ${projectId} not found`);
    return project;
  }

  async update(
    tenantId: string,
    projectId: string,
    patch: { name?: string; description?: string },
  ): Promise<ProjectRecord> {
    const updated = await this.#core.store.updateProject(tenantId, projectId, { ...patch, updated_at: isoTime() });
    if (!updated) throw createError('not_found', `project ${projectId} not found`);
    return updated;
  }

  async delete(tenantId: string, projectId: string): Promise<void> {
    if (projectId === 'default') {
      throw createError('conflict', 'the default project cannot be deleted; it backs the /api/v1/services surface');
    }
    if (!(await this.#core.store.deleteProject(tenantId, projectId))) {
      throw createError('not_found', `project ${projectId} not found`);
    }
    await this.#core.dropProject(tenantId, projectId);
    this.#core.announce('project.deleted', tenantId, projectId, undefined);
  }

  /** Deletes the tenant in one store operation (cascading to all it owns), then drops its live projects. */
  async deleteTenant(tenantId: string): Promise<boolean> {
    const projects = await this.#core.store.listProjects(tenantId);
    if (!(await this.#core.store.deleteTenant(tenantId))) return false;
    for (const project of projects) {
      await this.#core.dropProject(tenantId, project.id);
      this.#core.announce('project.deleted', tenantId, project.id, undefined);
    }
    return true;
  }

  /** Creates the tenant's `default` project unless it exists (safe against concurrent creators). */
  async ensureDefault(tenantId: string): Promise<void> {
    if (await this.#core.store.getProject(tenantId, 'default')) {
      this.#core.adoptProject(tenantId, 'default');
      return;
    }
    try {
      await this.create(tenantId, { id: 'default', name: 'Default project' });
    } catch (err) {
      // Another node (or a concurrent request) created it first: that is the state we wanted.
      if (!isToolportError(err, 'conflict')) throw err;
      this.#core.adoptProject(tenantId, 'default');
    }
  }
}
