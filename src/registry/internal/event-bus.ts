import { isoTime } from '../../core/index.js';
import type { RegistryEvent, RegistryEventType } from '../types.js';

/**
 * In-process publish/subscribe for registry events with a bounded backlog of recent events,
 * so SSE clients can resume with `Last-Event-ID`.
 */
export class EventBus {
  #listeners = new Set<(event: RegistryEvent) => void>();
  #backlog: RegistryEvent[] = [];
  #nextId = 1;
  readonly #capacity: number;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  publish(
    type: RegistryEventType,
    tenantId: string,
    projectId: string,
    connector: string | undefined,
    data: Record<string, unknown> = {},
  ): RegistryEvent {
    const event: RegistryEvent = {
      id: this.#nextId++,
      type,
      tenant_id: tenantId,
      project_id: projectId,
      ...(connector === undefined ? {} : { connector }),
      at: isoTime(),
      data,
    };
    this.#backlog.push(event);
    if (this.#backlog.length > this.#capacity) this.#backlog.shift();
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A failing subscriber must not break the registry or other subscribers.
      }
    }
    return event;
  }

  subscribe(listener: (event: RegistryEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Events with an id greater than `afterId`, oldest first (bounded by the backlog). */
  since(afterId: number): RegistryEvent[] {
    return this.#backlog.filter((e) => e.id > afterId);
  }
}
