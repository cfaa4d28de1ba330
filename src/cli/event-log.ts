import type { Logger } from '../core/index.js';
import type { RegistryEvent } from '../registry/index.js';

const MESSAGES: Partial<Record<RegistryEvent['type'], string>> = {
  'project.created': 'project created',
  'project.deleted': 'project deleted',
  'connector.installed': 'connector installed',
  'connector.updated': 'connector updated',
  'connector.enabled': 'connector enabled',
  'connector.disabled': 'connector disabled',
  'connector.uninstalled': 'connector uninstalled',
  'connector.reloaded': 'connector reloaded',
};

/**
 * Logs registry events as readable, structured lines: what an operator watches in the console (installs, enables,
 * status changes with their reason — a rejected hot reload names its `file:line:col` — and health transitions).
 * Health checks that change nothing stay quiet.
 */
export function logRegistryEvents(
  subscribe: (listener: (e: RegistryEvent) => void) => () => void,
  logger: Logger,
): () => void {
  return subscribe((event) => {
    const where = {
      tenant: event.tenant_id,
      project: event.project_id,
      ...(event.connector === undefined ? {} : { connector: event.connector }),
      ...(event.data.remote ? { remote: true } : {}),
    };
    if (event.type === 'connector.status_changed') {
      const { from, to, reason } = event.data as { from?: string; to?: string; reason?: string | null };
      const line = { ...where, from, to, ...(reason ? { reason } : {}) };
      if (to === 'error') logger.warn(line, `connector ${event.connector ?? ''} is failing`);
      else logger.info(line, `connector ${event.connector ?? ''} is ${to ?? 'changed'}`);
      return;
    }
    const message = MESSAGES[event.type];
    if (!message) return;
    const { version, seq, status, diff } = event.data as Record<string, unknown>;
    logger.info({ ...where, version, seq, status, diff }, message);
  });
}
