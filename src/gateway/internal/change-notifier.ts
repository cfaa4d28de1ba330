import type { Logger } from '../../core/index.js';
import type { RegistryEvent, ToolProvider } from '../../registry/types.js';
import type { Endpoint } from './endpoint.js';
import { type SessionTable, projectKey } from './sessions.js';
import type { StreamableEndpoints } from './streamable.js';

interface Pending {
  timer: NodeJS.Timeout;
  /** Connectors that changed; `all` when an event concerned the whole project. */
  connectors: Set<string>;
  all: boolean;
}

/**
 * Turns registry events into `notifications/tools/list_changed`: events of a project are coalesced for
 * `debounceMs`, then every session of that project (connector endpoints only for their connector) is told, and
 * the matching 2026-07-28 `subscriptions/listen` streams get the same event.
 */
export function createChangeNotifier(options: {
  provider: ToolProvider;
  sessions: SessionTable;
  streamable: StreamableEndpoints;
  debounceMs: number;
  logger: Logger;
}): { close(): void } {
  const pending = new Map<string, Pending>();
  const { sessions, streamable, logger } = options;

  const flush = (key: string, batch: Pending): void => {
    pending.delete(key);
    const matches = (endpoint: Endpoint): boolean =>
      endpoint.connector === undefined || batch.all || batch.connectors.has(endpoint.connector);
    const connectors = batch.all ? '*' : [...batch.connectors].sort();
    for (const session of sessions.forProject(key)) {
      if (!matches(session.endpoint)) continue;
      // One line per notified session: what went out, and why (tests wait on it instead of sleeping).
      const { tenantId, projectId } = session.endpoint;
      logger.debug({ session: session.id, tenant: tenantId, project: projectId, connectors }, 'list_changed sent');
      const dropped = (err: unknown): void =>
        logger.debug(
          { session: session.id, err: err instanceof Error ? err.message : String(err) },
          'list_changed not sent',
        );
      session.server.sendToolListChanged().catch(dropped);
      // The project endpoint merges its members' resources and prompts: a member that came or went changes them.
      if (session.endpoint.connector !== undefined) continue;
      const caps = session.server.getCapabilities();
      if (caps.resources) session.server.sendResourceListChanged().catch(dropped);
      if (caps.prompts) session.server.sendPromptListChanged().catch(dropped);
    }
    streamable.notifyModern(key, matches, connectors);
    const aggregate = (endpoint: Endpoint): boolean => endpoint.connector === undefined;
    streamable.notifyModernFederation(key, aggregate, 'resources');
    streamable.notifyModernFederation(key, aggregate, 'prompts');
  };

  const onEvent = (event: RegistryEvent): void => {
    // Health results never change the tool list; status changes may (a failing connector's tools leave it).
    if (event.type === 'health.checked') return;
    const key = projectKey(event.tenant_id, event.project_id);
    // A deleted project (or tenant, here or on another node) ends its sessions and their streams.
    if (event.type === 'project.deleted') {
      void sessions.closeProject(key);
      return;
    }
    let batch = pending.get(key);
    if (!batch) {
      const created: Pending = {
        timer: setTimeout(() => flush(key, created), options.debounceMs),
        connectors: new Set(),
        all: false,
      };
      created.timer.unref();
      pending.set(key, created);
      batch = created;
    }
    if (event.connector === undefined) batch.all = true;
    else batch.connectors.add(event.connector);
  };

  const unsubscribe = options.provider.subscribe(onEvent);
  return {
    close() {
      unsubscribe();
      for (const batch of pending.values()) clearTimeout(batch.timer);
      pending.clear();
    },
  };
}
