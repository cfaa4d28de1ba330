import { randomBytes } from 'node:crypto';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { isRecord, type Logger } from '../../core/index.js';
import type { NodeMessage, Store } from '../../store/index.js';
import { ID_PREFIX, ROUTED_ID, digest, isRoutedAnswer, ownerOf, routed, sameOwner } from './session-mesh-ids.js';
import { postToSession } from './session-transport.js';
import type { Session, SessionOwner, SessionTable } from './sessions.js';

/** What the mesh needs of the store: the shared session rows and the node messages. */
export type SessionShareStore = Pick<
  Store,
  | 'getSessionShare'
  | 'getSessionNodes'
  | 'addSessionNode'
  | 'removeSessionNode'
  | 'setSessionLogLevel'
  | 'setSessionSubscription'
  | 'endSessionShare'
  | 'purgeSessionShares'
  | 'sendNodeMessage'
  | 'onNodeMessage'
  | 'onResync'
>;

const LEVELS = new Set(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);
/** Client requests whose effect every copy of the session must share. */
const SHARED_METHODS = new Set(['logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);
const MAX_URI_CHARS = 2_048;
/** Subscriptions of one session kept in the store; beyond it a subscription holds on its node only. */
const MAX_SHARED_SUBSCRIPTIONS = 100;
/** Longest a state change waits for the other nodes holding the session to apply it (a dead node never answers). */
const ACK_WAIT_MS = 2_000;
const PURGE_EVERY_MS = 10 * 60_000;

/** What this node applied to its copy of a shared session. */
interface Copy {
  readonly key: string;
  readonly expiresAt: string;
  level: string | null;
  readonly uris: Set<string>;
  /** Re-applications run one after the other. */
  chain: Promise<void>;
  /** Open GET streams of the copy on this node. */
  streams: number;
}

type Json = Record<string, unknown>;

/**
 * The copies of one 2025-era session on several nodes, kept in step through the store:
 * - requests a copy sends its client get ids naming this node (`tp.{node}.{n}`), unique in the cluster; a client's
 *   answer POSTed to another node is forwarded here (a node message bound to the session and its owner) and
 *   injected into the copy that asked;
 * - `logging/setLevel` and `resources/subscribe`/`unsubscribe` are stored per session before the copy that got them
 *   serves them; the other nodes holding a copy re-apply them (and say so) before the client hears the answer, and a
 *   node that rebuilds the session later re-applies them after replaying `initialize`;
 * - `notifications/resources/updated` caught by a copy without the GET stream goes to the node that has it.
 */
export class SessionMesh {
  /** This node's address in node messages and request ids (random per process). */
  readonly node = randomBytes(6).toString('hex');
  /** Delivers an upstream's `resources/updated` to a session (set by the upstream relay). */
  deliverUpdate: ((session: Session, connector: string, params: Json) => void) | undefined;
  readonly #store: SessionShareStore;
  readonly #sessions: SessionTable;
  readonly #logger: Logger;
  readonly #copies = new Map<Session, Copy>();
  readonly #acks = new Map<string, { waiting: Set<string>; done: () => void }>();
  #seq = 0;
  #unlisten: () => void;
  #unresync: () => void;
  #purger: NodeJS.Timeout;

  constructor(store: SessionShareStore, sessions: SessionTable, logger: Logger) {
    this.#store = store;
    this.#sessions = sessions;
    this.#logger = logger;
    this.#unlisten = store.onNodeMessage(this.node, (message) => this.#receive(message));
    // Messages sent while this node's LISTEN connection was down are lost: once it is back, every copy held here is
    // brought to the stored state again, and a copy of a session the client ended meanwhile is closed.
    this.#unresync = store.onResync(() => this.#resync());
    this.#purger = setInterval(() => {
      store.purgeSessionShares(new Date().toISOString()).catch((err: unknown) => this.#debug(err, 'purge failed'));
    }, PURGE_EVERY_MS);
    this.#purger.unref();
  }

  close(): void {
    clearInterval(this.#purger);
    this.#unlisten();
    this.#unresync();
  }

  /** Makes the ids of the requests a session's server sends its client name this node. */
  wrapTransport(web: WebStandardStreamableHTTPServerTransport): void {
    const send = web.send.bind(web);
    const prefix = `${ID_PREFIX}${this.node}.`;
    web.send = (message, options) => send(routed(message, prefix) as typeof message, options);
  }

  /** Records that this node is about to hold a copy of a sealed session (before it answers anything of it). */
  async register(id: string, expiresAt: number): Promise<void> {
    await this.#store
      .addSessionNode(digest(id), this.node, new Date(expiresAt).toISOString())
      .catch((err: unknown) => this.#debug(err, 'session copy not recorded'));
  }

  /**
   * Starts tracking this node's copy of a sealed session; `restore` re-applies the stored state to it first. False
   * when the store says the client ended the session (a rebuilt copy must then be closed).
   */
  async adopt(session: Session, expiresAt: number, restore: boolean): Promise<boolean> {
    const copy: Copy = {
      key: digest(session.id),
      expiresAt: new Date(expiresAt).toISOString(),
      level: null,
      uris: new Set(),
      chain: Promise.resolve(),
      streams: 0,
    };
    this.#copies.set(session, copy);
    if (!restore) return true;
    const alive = this.#reapply(session, copy);
    copy.chain = alive.then(() => undefined);
    return alive;
  }

  #resync(): void {
    for (const [session, copy] of this.#copies) {
      copy.chain = copy.chain
        .then(() => this.#reapply(session, copy))
        .then((alive) => (alive ? undefined : this.#endHere(session.id, session)))
        .catch((err: unknown) => this.#debug(err, 'session not re-synced'));
    }
  }

  /** The client ended session `id`: refused here from now on (also by a rebuild under way), its copy closed. */
  async #endHere(id: string, session: Session | undefined): Promise<void> {
    this.#sessions.bury(id);
    if (session?.kind === 'streamable') await this.#sessions.close(session);
  }

  /** Forgets this node's copy (closed or expired here). */
  forget(session: Session): void {
    const copy = this.#copies.get(session);
    if (!copy) return;
    this.#copies.delete(session);
    this.#store.removeSessionNode(copy.key, this.node).catch((err: unknown) => this.#debug(err, 'forget failed'));
  }

  /**
   * The client ended the session (DELETE, already closed here): it is recorded as ended and its shared state goes,
   * then every node is told to close its copy and refuse the id; returns once the nodes holding a copy did (bounded).
   */
  async ended(id: string, expiresAt: number): Promise<void> {
    try {
      const holders = await this.#store.endSessionShare(digest(id), new Date(expiresAt).toISOString());
      // Told to every node: one rebuilding the session right now is not recorded yet, and must refuse it too.
      await this.#tell({ t: 'ended', session: id }, new Set(holders.filter((n) => n !== this.node)));
    } catch (err) {
      this.#debug(err, 'end not shared');
    }
  }

  /** Counts an open GET stream of the session here; the returned function ends it. */
  streamOpened(session: Session): () => void {
    const copy = this.#copies.get(session);
    if (!copy) return () => undefined;
    copy.streams++;
    let open = true;
    return () => {
      if (open) copy.streams--;
      open = false;
    };
  }

  /**
   * Whether a `resources/updated` for this session must go to another node: the session is shared and its GET
   * stream is not here. Then it is sent to every node, and the one with the stream delivers it.
   */
  forwardUpdate(session: Session, connector: string, params: Json): boolean {
    const copy = this.#copies.get(session);
    if (!copy || copy.streams > 0 || session.kind !== 'streamable') return false;
    const body = { t: 'updated', session: session.id, owner: ownerOf(session), connector, params };
    this.#store.sendNodeMessage({ from: this.node, body }).catch((err: unknown) => this.#debug(err, 'not sent'));
    return true;
  }

  /** True when a POSTed body holds something the mesh handles (a routed answer, or a shared state change). */
  concerns(body: unknown): boolean {
    for (const item of Array.isArray(body) ? body : [body]) {
      if (!isRecord(item)) continue;
      if (typeof item.method === 'string' ? SHARED_METHODS.has(item.method) : isRoutedAnswer(item)) return true;
    }
    return false;
  }

  /**
   * Takes what is the mesh's out of a POSTed body: answers to requests of another node's copy are forwarded there,
   * answers to this node's get their original id back, shared state changes are stored and spread. Returns what the
   * session's transport still has to see, or undefined when nothing is left (the POST is then answered 202).
   */
  async inbound(session: Session, body: unknown, owner: SessionOwner): Promise<unknown> {
    const items = Array.isArray(body) ? body : [body];
    const kept: unknown[] = [];
    for (const item of items) {
      if (isRecord(item) && typeof item.method !== 'string' && isRoutedAnswer(item)) {
        const [, node, local] = ROUTED_ID.exec(item.id as string) ?? [];
        if (node === this.node) kept.push({ ...item, id: Number(local) });
        else if (node !== undefined) await this.#forward(session, owner, node, item);
        continue;
      }
      if (isRecord(item) && typeof item.method === 'string' && SHARED_METHODS.has(item.method)) {
        await this.#share(session, item.method, item.params);
      }
      kept.push(item);
    }
    if (kept.length === 0) return undefined;
    return Array.isArray(body) ? kept : kept[0];
  }

  /** Sends a client's answer to the node whose copy of the session asked, if that node holds the session. */
  async #forward(session: Session, owner: SessionOwner, node: string, message: Json): Promise<void> {
    const copy = this.#copies.get(session);
    if (!copy) return;
    try {
      // Only to a node recorded as holding this session: a made-up node id parks nothing in the store.
      if (!(await this.#store.getSessionNodes(copy.key)).includes(node)) return;
      const body = { t: 'response', session: session.id, owner, message };
      await this.#store.sendNodeMessage({ from: this.node, to: node, body });
    } catch (err) {
      this.#debug(err, 'answer not forwarded');
    }
  }

  /** Stores one shared state change of the client, then has every other copy apply it (bounded wait). */
  async #share(session: Session, method: string, params: unknown): Promise<void> {
    const copy = this.#copies.get(session);
    if (!copy) return;
    const value = isRecord(params) ? (method === 'logging/setLevel' ? params.level : params.uri) : undefined;
    if (typeof value !== 'string') return;
    try {
      if (method === 'logging/setLevel') {
        if (!LEVELS.has(value)) return;
        await this.#store.setSessionLogLevel(copy.key, value, copy.expiresAt);
        copy.level = value;
      } else {
        const subscribe = method === 'resources/subscribe';
        if (value.length > MAX_URI_CHARS || (subscribe && copy.uris.size >= MAX_SHARED_SUBSCRIPTIONS)) return;
        await this.#store.setSessionSubscription(copy.key, value, subscribe, copy.expiresAt);
        if (subscribe) copy.uris.add(value);
        else copy.uris.delete(value);
      }
      await this.#announce(session, copy);
    } catch (err) {
      this.#debug(err, 'session state not shared');
    }
  }

  /** Tells every node the session's state changed; waits until the nodes holding a copy applied it. */
  async #announce(session: Session, copy: Copy): Promise<void> {
    const others = new Set((await this.#store.getSessionNodes(copy.key)).filter((n) => n !== this.node));
    if (others.size === 0) return;
    await this.#tell({ t: 'state', session: session.id }, others);
    // A node that never answered is gone (or lost its copy): later changes do not wait for it.
    for (const node of others) {
      this.#logger.debug({ node }, 'a node holding a session copy did not answer; no longer waited for');
      await this.#store.removeSessionNode(copy.key, node);
    }
  }

  /** Sends `body` to every node; waits until each node of `waiting` acknowledged it (it is emptied as they do). */
  async #tell(body: Json, waiting: Set<string>): Promise<void> {
    const seq = String(++this.#seq);
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve) => {
      if (waiting.size === 0) return resolve();
      this.#acks.set(seq, { waiting, done: resolve });
      timer = setTimeout(resolve, ACK_WAIT_MS);
    });
    try {
      await this.#store.sendNodeMessage({ from: this.node, body: { ...body, seq } });
      await done;
    } finally {
      clearTimeout(timer);
      this.#acks.delete(seq);
    }
  }

  #receive({ from, body }: NodeMessage): void {
    if (body.t === 'ack' && typeof body.seq === 'string') {
      const pending = this.#acks.get(body.seq);
      pending?.waiting.delete(from);
      if (pending?.waiting.size === 0) pending.done();
      return;
    }
    if (typeof body.session !== 'string') return;
    const session = this.#sessions.get(body.session);
    const copy = session && this.#copies.get(session);
    const ack = (): void => {
      const reply = { from: this.node, to: from, body: { t: 'ack', seq: body.seq } };
      this.#store.sendNodeMessage(reply).catch((err: unknown) => this.#debug(err, 'ack not sent'));
    };
    if (body.t === 'ended') {
      // Refused from now on (also by a rebuild under way here), and this node's copy closes (its GET stream ends).
      void this.#endHere(body.session, session).finally(ack);
      return;
    }
    if (body.t === 'state') {
      if (!session || !copy) return ack();
      copy.chain = copy.chain
        .then(async () => void (await this.#reapply(session, copy)))
        .catch((err: unknown) => this.#debug(err, 'session state not re-applied'))
        .finally(ack);
      return;
    }
    // Answers and updates are bound to the session and its owner: another session's copy never takes them.
    if (!session || !copy || session.kind !== 'streamable' || !sameOwner(body.owner, session)) return;
    if (body.t === 'response' && isRecord(body.message) && isRoutedAnswer(body.message)) {
      const [, node, local] = ROUTED_ID.exec(body.message.id as string) ?? [];
      if (node !== this.node) return;
      postToSession(session.transport.web, session.id, { ...body.message, id: Number(local) }).catch((err: unknown) =>
        this.#debug(err, 'forwarded answer not injected'),
      );
    } else if (body.t === 'updated' && copy.streams > 0 && typeof body.connector === 'string') {
      if (isRecord(body.params)) this.deliverUpdate?.(session, body.connector, body.params);
    }
  }

  /**
   * Brings a copy to the stored state: the client's level and subscriptions, replayed as its own requests. False
   * when the client ended the session (nothing is applied then).
   */
  async #reapply(session: Session, copy: Copy): Promise<boolean> {
    if (session.kind !== 'streamable') return true;
    let share;
    try {
      share = await this.#store.getSessionShare(copy.key);
    } catch (err) {
      this.#debug(err, 'session state not read');
      return true;
    }
    if (share.ended) return false;
    const replay = async (method: string, params: Json): Promise<void> => {
      const id = `toolport-share-${++this.#seq}`;
      const res = await postToSession(session.transport.web, session.id, { jsonrpc: '2.0', id, method, params });
      if (!res.ok) this.#logger.debug({ method, status: res.status }, 'session state not re-applied');
    };
    try {
      if (share.log_level !== null && share.log_level !== copy.level) {
        await replay('logging/setLevel', { level: share.log_level });
        copy.level = share.log_level;
      }
      const stored = new Set(share.subscriptions);
      for (const uri of stored) {
        if (copy.uris.has(uri)) continue;
        await replay('resources/subscribe', { uri });
        copy.uris.add(uri);
      }
      for (const uri of [...copy.uris]) {
        if (stored.has(uri)) continue;
        await replay('resources/unsubscribe', { uri });
        copy.uris.delete(uri);
      }
    } catch (err) {
      this.#debug(err, 'session state not re-applied');
    }
    return true;
  }

  #debug(err: unknown, what: string): void {
    this.#logger.debug({ err: err instanceof Error ? err.message : String(err) }, `shared session: ${what}`);
  }
}
