import type { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { Server } from '@modelcontextprotocol/server';
import type { Logger } from '../../core/index.js';
import type { LegacySseTransport } from './sse-transport.js';
import type { Endpoint } from './tool-server.js';

/** A stateful MCP session: a 2025-era Streamable HTTP session or a legacy HTTP+SSE stream. */
export type Session = {
  readonly id: string;
  readonly endpoint: Endpoint;
  readonly server: Server;
  /** Last time a request of this session ended (ms). */
  lastSeen: number;
  /** Requests/streams in flight; a session with open streams is never idle. */
  active: number;
} & (
  | { readonly kind: 'streamable'; readonly transport: NodeStreamableHTTPServerTransport }
  | { readonly kind: 'sse'; readonly transport: LegacySseTransport }
);

/** `tenant/project`, the fan-out key of registry events. */
export function projectKey(tenantId: string, projectId: string): string {
  return `${tenantId}\u0000${projectId}`;
}

/** True when a session belongs to exactly this endpoint (tenant, project and connector). */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.tenantId === b.tenantId && a.projectId === b.projectId && a.connector === b.connector;
}

/**
 * The live sessions, indexed by id and by project, with idle expiry: a session without requests in flight for
 * `idleMs` is closed, which frees its transport and server.
 */
export class SessionTable {
  #byId = new Map<string, Session>();
  #byProject = new Map<string, Set<Session>>();
  #idleMs: number;
  #logger: Logger;
  #sweeper: NodeJS.Timeout;

  constructor(idleMs: number, logger: Logger) {
    this.#idleMs = idleMs;
    this.#logger = logger;
    // Sweep often enough that a session never outlives its idle time by more than a quarter of it.
    this.#sweeper = setInterval(() => this.sweep(Date.now()), Math.min(Math.max(idleMs / 4, 10), 60_000));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#byId.size;
  }

  add(session: Session): void {
    this.#byId.set(session.id, session);
    const key = projectKey(session.endpoint.tenantId, session.endpoint.projectId);
    let set = this.#byProject.get(key);
    if (!set) this.#byProject.set(key, (set = new Set()));
    set.add(session);
  }

  get(id: string): Session | undefined {
    return this.#byId.get(id);
  }

  /** Forgets a session (its transport closed); does not close it. */
  remove(id: string): void {
    const session = this.#byId.get(id);
    if (!session) return;
    this.#byId.delete(id);
    const key = projectKey(session.endpoint.tenantId, session.endpoint.projectId);
    const set = this.#byProject.get(key);
    set?.delete(session);
    if (set?.size === 0) this.#byProject.delete(key);
  }

  /** Sessions of one project (all endpoints). */
  forProject(key: string): Iterable<Session> {
    return this.#byProject.get(key) ?? [];
  }

  /** Marks a request/stream of the session as started; the returned function marks it ended. */
  begin(session: Session): () => void {
    session.active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      session.active--;
      session.lastSeen = Date.now();
    };
  }

  /** Closes sessions idle since before `now - idleMs`. */
  sweep(now: number): void {
    for (const session of this.#byId.values()) {
      if (session.active === 0 && now - session.lastSeen >= this.#idleMs) {
        this.#logger.debug({ session: session.id, project: session.endpoint.projectId }, 'mcp session expired');
        void this.close(session);
      }
    }
  }

  /** Closes one session and forgets it. */
  async close(session: Session): Promise<void> {
    this.remove(session.id);
    await session.server.close().catch(() => undefined);
  }

  /** Closes every session and stops the sweeper. */
  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#byId.values()].map((s) => this.close(s)));
  }
}
