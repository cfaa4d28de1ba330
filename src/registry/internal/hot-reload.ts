import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isToolportError, type ConnectorAddress } from '../../core/index.js';
import type { InstallRequest, InstallResult } from '../types.js';
import type { ConnectorCommands } from './connector-commands.js';
import { FileWatcher } from './file-watcher.js';
import type { LiveView } from './live-state.js';
import type { LiveConnector } from './live.js';

/** What reloading one connector did. */
export interface ReloadResult {
  outcome: 'reloaded' | 'unchanged' | 'error' | 'missing';
  message?: string;
  version?: number;
}

/** What hot reload acts through: the live view to read, and the connector commands to change. */
export interface ReloadTarget {
  live: LiveView;
  install(request: InstallRequest): Promise<InstallResult>;
  setStatus: ConnectorCommands['setStatus'];
  /** Announces a reload (event `connector.reloaded`). */
  reloaded(...args: [...ConnectorAddress, data: Record<string, unknown>]): void;
}

const keyOf = (live: Readonly<LiveConnector>): string =>
  `${live.record.tenant_id}/${live.record.project_id}/${live.record.name}`;

/** The files a connector depends on: its manifest and, for a python connector installed from a file, its script. */
function watchedFiles(live: Readonly<LiveConnector>): string[] {
  const files: string[] = [];
  if (live.record.source_path) files.push(resolve(live.record.source_path));
  const script = live.version.manifest.python?.script;
  if (live.record.source_path && script) files.push(resolve(script));
  return files;
}

/**
 * Hot reload: watches the files connectors were installed from and turns an edit into a new version, an invalid
 * edit into status `error` (the last good version keeps serving) and a deleted file into `error` (no uninstall).
 * Without a watcher (hot reload off) only explicit reloads run.
 */
export class HotReload {
  readonly #target: ReloadTarget;
  readonly #watcher: FileWatcher | undefined;
  /** Watched file → keys of the connectors that depend on it. */
  readonly #watched = new Map<string, Set<string>>();

  constructor(target: ReloadTarget, options: { watch: boolean; debounceMs: number }) {
    this.#target = target;
    this.#watcher = options.watch
      ? new FileWatcher((file) => void this.reloadFile(file), options.debounceMs)
      : undefined;
  }

  watch(live: Readonly<LiveConnector>): void {
    if (!this.#watcher) return;
    for (const file of watchedFiles(live)) {
      if (!this.#watcher.add(file)) continue;
      let set = this.#watched.get(file);
      if (!set) this.#watched.set(file, (set = new Set()));
      set.add(keyOf(live));
    }
  }

  unwatch(live: Readonly<LiveConnector>): void {
    if (!this.#watcher) return;
    for (const file of watchedFiles(live)) {
      const set = this.#watched.get(file);
      if (!set) continue;
      set.delete(keyOf(live));
      if (set.size === 0) {
        this.#watched.delete(file);
        this.#watcher.remove(file);
      }
    }
  }

  close(): void {
    this.#watcher?.close();
  }

  /** Re-reads one watched file and updates every connector that depends on it. */
  async reloadFile(file: string): Promise<({ connector: string } & ReloadResult)[]> {
    const outcomes = [];
    for (const key of [...(this.#watched.get(resolve(file)) ?? [])]) {
      const [tenantId = '', projectId = '', name = ''] = key.split('/');
      outcomes.push({ connector: name, ...(await this.reloadConnector(tenantId, projectId, name)) });
    }
    return outcomes;
  }

  /** Reloads one connector from its source file: a new version when it changed, `error` when invalid or gone. */
  async reloadConnector(tenantId: string, projectId: string, name: string): Promise<ReloadResult> {
    const core = this.#target;
    const file = core.live.connector(tenantId, projectId, name)?.record.source_path;
    if (!file) return { outcome: 'unchanged' };
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      const message = `source file ${file} is missing; serving the last good version`;
      await core.setStatus(tenantId, projectId, name, 'error', message);
      return { outcome: 'missing', message };
    }
    try {
      // The file's content keeps the trust it was installed with; `name` makes install refuse a file that now
      // names another connector before it writes anything.
      const trust = core.live.connector(tenantId, projectId, name)?.record.trust ?? 'tenant';
      const result = await core.install({
        tenantId,
        projectId,
        manifest: text,
        filePath: file,
        reload: true,
        name,
        trust,
      });
      if (!result.changed) {
        const current = core.live.connector(tenantId, projectId, name);
        const fileProblem = /^source file|manifest is invalid/.test(current?.record.status_reason ?? '');
        if (current?.record.status === 'error' && current.source && fileProblem) {
          await core.setStatus(tenantId, projectId, name, 'active', null);
        }
        return { outcome: 'unchanged', version: result.version.seq };
      }
      core.reloaded(tenantId, projectId, name, {
        version: result.version.version,
        seq: result.version.seq,
      });
      return { outcome: 'reloaded', version: result.version.seq };
    } catch (err) {
      const other = isToolportError(err, 'validation_failed') ? err.details.manifest_name : undefined;
      let message = isToolportError(err) ? err.message : `reload failed: ${(err as Error).message}`;
      if (typeof other === 'string') {
        // Keep this connector serving its last good version and say why; the other one is not installed.
        message = `source file ${file} now names connector ${other}; ${name} keeps serving its last good version`;
      }
      await core.setStatus(tenantId, projectId, name, 'error', message);
      return { outcome: 'error', message };
    }
  }
}
