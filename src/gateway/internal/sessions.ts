import type { Server } from '@modelcontextprotocol/server';
import type { Logger } from '../../core/index.js';
import type { Endpoint } from './endpoint.js';
import type { SessionTransport } from './session-transport.js';
import type { LegacySseTransport } from './sse-transport.js';

/** Who opened a session: its tenant and API key (`operator` for the admin token). */
export interface SessionOwner {
  readonly tenantId: string;
  readonly keyId: string;
}

/** Concurrent session caps (0 = unlimited). */
export interface SessionLimits {
  perKey: number;
  perTenant: number;
}

/** A held session slot; releasing it twice is harmless. */
export interface SessionSlot {
  readonly owner: SessionOwner;
  release(): void;
}

/** A stateful MCP session: a 2025-era Streamable HTTP session or a legacy HTTP+SSE stream. */
export type Session = {
  readonly id: string;
  readonly endpoint: Endpoint;
  /** The slot counted against the owner's caps; freed when the session is forgotten. */
  readonly slot: SessionSlot;
  readonly server: Server;
  /** Last time a request of this session ended (ms). */
  lastSeen: number;
  /** Requests/streams in flight; a session with open streams is never idle. */
  active: number;
} & (
  | { readonly kind: 'streamable'; readonly transport: SessionTransport }
  | { readonly kind: 'sse'; readonly transport: LegacySseTransport }
);

/** Closed session ids remembered per node. */
const MAX_BURIED = 10_000;

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
 * `idleMs` is closed, which frees its transport and server. Slots are counted per API key and per tenant.
 */
export class SessionTable {
  #byId = new Map<string, Session>();
  #byProject = new Map<string, Set<Session>>();
  #perKey = new Map<string, number>();
  #perTenant = new Map<string, number>();
  #limits: SessionLimits;
  #idleMs: number;
  #logger: Logger;
  #sweeper: NodeJS.Timeout;
  /** Ids closed here (DELETE, idle expiry, revocation), refused if presented again; oldest forgotten first. */
  #buried = new Set<string>();
  /** Called once for every session forgotten (its per-session state elsewhere, e.g. subscriptions, is released). */
  onRemove: ((session: Session) => void) | undefined;

  constructor(idleMs: number, logger: Logger, limits: SessionLimits = { perKey: 0, perTenant: 0 }) {
    this.#idleMs = idleMs;
    this.#logger = logger;
    this.#limits = limits;
    // Sweep often enough that a session never outlives its idle time by more than a quarter of it.
    this.#sweeper = setInterval(() => this.sweep(Date.now()), Math.min(Math.max(idleMs / 4, 10), 60_000));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Seconds a refused client should wait: idle sessions free their slots within this time. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(Math.min(this.#idleMs, 60_000) / 1000));
  }

  /**
   * Takes a slot for a new session of `owner`, or says which cap is reached. Slots are taken before the session
   * exists, so concurrent opens cannot overshoot a cap.
   */
  reserve(owner: SessionOwner): SessionSlot | { refused: 'key' | 'tenant'; limit: number } {
    const keyCount = this.#perKey.get(owner.keyId) ?? 0;
    const tenantCount = this.#perTenant.get(owner.tenantId) ?? 0;
    const { perKey, perTenant } = this.#limits;
    if (perKey > 0 && keyCount >= perKey) return { refused: 'key', limit: perKey };
    if (perTenant > 0 && tenantCount >= perTenant) return { refused: 'tenant', limit: perTenant };
    this.#perKey.set(owner.keyId, keyCount + 1);
    this.#perTenant.set(owner.tenantId, tenantCount + 1);
    let held = true;
    return {
      owner,
      release: () => {
        if (!held) return;
        held = false;
        decrement(this.#perKey, owner.keyId);
        decrement(this.#perTenant, owner.tenantId);
      },
    };
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
    session.slot.release();
    this.onRemove?.(session);
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

  /**
   * Remembers that a session id was closed on this node, so that a sealed id any node could rebuild is still
   * answered "not found" here after a DELETE, idle expiry or revocation (bounded: the oldest are forgotten).
   */
  bury(id: string): void {
    this.#buried.add(id);
    if (this.#buried.size > MAX_BURIED) this.#buried.delete(this.#buried.values().next().value!);
  }

  isBuried(id: string): boolean {
    return this.#buried.has(id);
  }

  /** Closes one session and forgets it. */
  async close(session: Session): Promise<void> {
    this.bury(session.id);
    this.remove(session.id);
    await session.server.close().catch(() => undefined);
  }

  /** The distinct owners of the open sessions. */
  owners(): SessionOwner[] {
    const seen = new Map<string, SessionOwner>();
    for (const { slot } of this.#byId.values()) seen.set(`${slot.owner.tenantId}\u0000${slot.owner.keyId}`, slot.owner);
    return [...seen.values()];
  }

  /** Closes the sessions opened by a tenant, or by one of its keys; returns how many. */
  async closeOwned(filter: { tenantId: string; keyId?: string }): Promise<number> {
    const doomed = [...this.#byId.values()].filter(
      ({ slot: { owner } }) =>
        owner.tenantId === filter.tenantId && (filter.keyId === undefined || owner.keyId === filter.keyId),
    );
    await Promise.all(doomed.map((s) => this.close(s)));
    return doomed.length;
  }

  /** Closes every session of one project (it was deleted). */
  async closeProject(key: string): Promise<void> {
    await Promise.all([...this.forProject(key)].map((s) => this.close(s)));
  }

  /**
   * Ends the standalone GET streams of 2025 sessions (the clients reconnect, through a balancer to another node)
   * and the legacy SSE sessions, whose stream is the session: used when the node drains.
   */
  async closeStreams(): Promise<void> {
    const legacy: Session[] = [];
    for (const session of this.#byId.values()) {
      if (session.kind === 'streamable') session.transport.web.closeStandaloneSSEStream();
      else legacy.push(session);
    }
    await Promise.all(legacy.map((s) => this.close(s)));
  }

  /** Closes every session and stops the sweeper. */
  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#byId.values()].map((s) => this.close(s)));
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const n = (counts.get(key) ?? 0) - 1;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
