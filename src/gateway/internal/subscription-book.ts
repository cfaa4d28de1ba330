import type { Server } from '@modelcontextprotocol/server';
import type { Logger, UpstreamPeer } from '../../core/index.js';

/** `tenant \0 project \0 connector \0 uri`: one upstream resource. */
type Key = string;

const keyOf = (tenantId: string, projectId: string, connector: string, uri: string): Key =>
  [tenantId, projectId, connector, uri].join('\u0000');

/**
 * Which client sessions subscribed to which upstream resources. The upstream is shared, so it is subscribed once
 * per resource (on the first client) and unsubscribed when the last client unsubscribes or its session ends;
 * `notifications/resources/updated` goes only to the sessions subscribed to that resource.
 */
export class SubscriptionBook {
  readonly #byKey = new Map<Key, Set<Server>>();
  readonly #byServer = new WeakMap<Server, Map<Key, { peer: UpstreamPeer; uri: string }>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Subscribes `server`'s session to `uri` of a connector; the upstream hears of it the first time only. */
  async subscribe(
    server: Server,
    scope: { tenantId: string; projectId: string; connector: string },
    peer: UpstreamPeer,
    uri: string,
    signal: AbortSignal,
  ): Promise<void> {
    const key = keyOf(scope.tenantId, scope.projectId, scope.connector, uri);
    let holders = this.#byKey.get(key);
    if (!holders?.size) await peer.request('resources/subscribe', { uri }, { signal });
    holders = this.#byKey.get(key);
    if (!holders) this.#byKey.set(key, (holders = new Set()));
    holders.add(server);
    let own = this.#byServer.get(server);
    if (!own) this.#byServer.set(server, (own = new Map()));
    own.set(key, { peer, uri });
  }

  /** Ends `server`'s subscription; the upstream is unsubscribed when nobody else holds one. */
  async unsubscribe(
    server: Server,
    scope: { tenantId: string; projectId: string; connector: string },
    peer: UpstreamPeer,
    uri: string,
    signal: AbortSignal,
  ): Promise<void> {
    const key = keyOf(scope.tenantId, scope.projectId, scope.connector, uri);
    this.#byServer.get(server)?.delete(key);
    const holders = this.#byKey.get(key);
    holders?.delete(server);
    if (holders && holders.size > 0) return;
    this.#byKey.delete(key);
    await peer.request('resources/unsubscribe', { uri }, { signal });
  }

  /** True when `server`'s session subscribed to this resource. */
  has(server: Server, tenantId: string, projectId: string, connector: string, uri: string): boolean {
    return this.#byKey.get(keyOf(tenantId, projectId, connector, uri))?.has(server) === true;
  }

  /** Forgets every subscription of a closed session (unsubscribing upstream where it was the last). */
  release(server: Server): void {
    const own = this.#byServer.get(server);
    if (!own) return;
    this.#byServer.delete(server);
    for (const [key, { peer, uri }] of own) {
      const holders = this.#byKey.get(key);
      holders?.delete(server);
      if (holders && holders.size > 0) continue;
      this.#byKey.delete(key);
      peer.request('resources/unsubscribe', { uri }).catch((err: unknown) => {
        this.#logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'upstream unsubscribe failed');
      });
    }
  }

  /** Subscriptions held (tests, stats). */
  get size(): number {
    return this.#byKey.size;
  }
}
