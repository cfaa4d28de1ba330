import type { Logger, UpstreamPeer } from '../../core/index.js';

/** Who holds a subscription: a 2025 session's server, or one open 2026-07-28 `subscriptions/listen` stream. */
type Holder = object;

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
  readonly #byKey = new Map<Key, Set<Holder>>();
  readonly #byHolder = new WeakMap<Holder, Map<Key, { peer: UpstreamPeer; uri: string }>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Subscribes `holder`'s session to `uri` of a connector; the upstream hears of it the first time only. */
  async subscribe(
    holder: Holder,
    scope: { tenantId: string; projectId: string; connector: string },
    peer: UpstreamPeer,
    uri: string,
    signal: AbortSignal,
  ): Promise<void> {
    const key = keyOf(scope.tenantId, scope.projectId, scope.connector, uri);
    let holders = this.#byKey.get(key);
    if (!holders?.size) await peer.request('resources/subscribe', { uri }, { signal });
    holders = this.#byKey.get(key);
    if (signal.aborted) {
      // Released while the upstream was being asked: leave nothing behind.
      if (!holders?.size) await peer.request('resources/unsubscribe', { uri }).catch(() => undefined);
      return;
    }
    if (!holders) this.#byKey.set(key, (holders = new Set()));
    holders.add(holder);
    let own = this.#byHolder.get(holder);
    if (!own) this.#byHolder.set(holder, (own = new Map()));
    own.set(key, { peer, uri });
  }

  /** Ends `holder`'s subscription; the upstream is unsubscribed when nobody else holds one. */
  async unsubscribe(...[holder, scope, peer, uri, signal]: Parameters<SubscriptionBook['subscribe']>): Promise<void> {
    const key = keyOf(scope.tenantId, scope.projectId, scope.connector, uri);
    this.#byHolder.get(holder)?.delete(key);
    const holders = this.#byKey.get(key);
    holders?.delete(holder);
    if (holders && holders.size > 0) return;
    this.#byKey.delete(key);
    await peer.request('resources/unsubscribe', { uri }, { signal });
  }

  /** True when `holder`'s session subscribed to this resource. */
  has(holder: Holder, tenantId: string, projectId: string, connector: string, uri: string): boolean {
    return this.#byKey.get(keyOf(tenantId, projectId, connector, uri))?.has(holder) === true;
  }

  /** Forgets every subscription of a closed session (unsubscribing upstream where it was the last). */
  release(holder: Holder): void {
    const own = this.#byHolder.get(holder);
    if (!own) return;
    this.#byHolder.delete(holder);
    for (const [key, { peer, uri }] of own) {
      const holders = this.#byKey.get(key);
      holders?.delete(holder);
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
