import cluster, { type Worker } from 'node:cluster';
import { type ChangeNotice, type NodeMessage, type Store, isNodeMessageFor } from '../store/index.js';

/** Which worker of a `serve --workers N` this process is (1-based), from the environment the primary sets. */
export interface WorkerRole {
  index: number;
  count: number;
}

const INDEX_ENV = 'TOOLPORT_WORKER_INDEX';
const COUNT_ENV = 'TOOLPORT_WORKER_COUNT';
const NOTICE = 'toolport:notice';
const NODE_MESSAGE = 'toolport:node-message';
const READY = 'toolport:ready';
/** Pause before a worker that died is started again (a crash loop must not spin the CPU). */
const RESTART_DELAY_MS = 1_000;

/** This process's worker role, or undefined outside `serve --workers N`. */
export function workerRole(): WorkerRole | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number(process.env[INDEX_ENV]);
  const count = Number(process.env[COUNT_ENV]);
  return Number.isInteger(index) && Number.isInteger(count) && index >= 1 ? { index, count } : undefined;
}

/** Tells the primary this worker is listening (it then starts the next one). */
export function reportReady(): void {
  process.send?.({ type: READY });
}

/**
 * Shares a SQLite store's change notices among the workers of one machine. SQLite has no LISTEN/NOTIFY: its
 * notices stay in the process that made the change. Here every notice a worker publishes also goes to the primary,
 * which hands it to the other workers, whose registries then re-read the changed connector exactly as a
 * PostgreSQL node does on NOTIFY. Node messages (2025 sessions shared between workers: answers to server→client
 * requests, state changes) travel the same way. Scheduled health checks run in worker 1 only (the SQLite leader lock
 * is local). A PostgreSQL store needs none of this: its notices and advisory locks already span processes.
 */
export function shareSqliteNotices(store: Store, role: WorkerRole): void {
  if (store.driver !== 'sqlite' || role.count < 2) return;
  const listeners = new Set<(notice: ChangeNotice) => void>();
  const localOnChange = store.onChange.bind(store);
  const localNotify = store.notify.bind(store);
  const localLock = store.withLeaderLock.bind(store);
  store.onChange = (listener) => {
    listeners.add(listener);
    const off = localOnChange(listener);
    return () => {
      listeners.delete(listener);
      off();
    };
  };
  store.notify = async (notice) => {
    await localNotify(notice);
    process.send?.({ type: NOTICE, notice });
  };
  store.withLeaderLock = async (name, fn) => (role.index === 1 ? localLock(name, fn) : false);
  const nodeListeners = new Map<(message: NodeMessage) => void, string>();
  store.sendNodeMessage = async (message) => {
    process.send?.({ type: NODE_MESSAGE, message });
  };
  store.onNodeMessage = (node, listener) => {
    nodeListeners.set(listener, node);
    return () => void nodeListeners.delete(listener);
  };
  process.on('message', (message: { type?: string; notice?: ChangeNotice; message?: NodeMessage }) => {
    if (message?.type === NODE_MESSAGE && message.message) {
      const sent = message.message;
      for (const [listener, node] of [...nodeListeners]) {
        if (isNodeMessageFor(sent, node)) listener(sent);
      }
      return;
    }
    if (message?.type !== NOTICE || !message.notice) return;
    for (const listener of [...listeners]) listener(message.notice);
  });
}

/**
 * The primary of `serve --workers N`: starts the workers one after the other (each runs this same command line;
 * the first one migrates the store, creates the admin token and installs samples before the others start), relays
 * change notices between them, restarts a worker that dies, and stops them all on SIGTERM/SIGINT. The workers
 * share the listening port (node:cluster hands each new connection to one of them).
 */
export async function runPrimary(count: number, log: (line: string) => void): Promise<void> {
  let stopping = false;
  const workers = new Map<number, Worker>();
  const fork = (index: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ [INDEX_ENV]: String(index), [COUNT_ENV]: String(count) });
      workers.set(index, worker);
      let ready = false;
      worker.on('message', (message: { type?: string }) => {
        if (message?.type === READY && !ready) {
          ready = true;
          resolve();
        } else if (message?.type === NOTICE || message?.type === NODE_MESSAGE) {
          for (const [other, peer] of workers) if (other !== index && peer.isConnected()) peer.send(message);
        }
      });
      worker.once('exit', (code, signal) => {
        if (workers.get(index) === worker) workers.delete(index);
        if (!ready) return reject(new Error(`worker ${index} exited before listening (${signal ?? `code ${code}`})`));
        if (stopping) return;
        log(`worker ${index} exited (${signal ?? `code ${code}`}); starting it again`);
        setTimeout(() => {
          if (!stopping) fork(index).catch((err: Error) => log(err.message));
        }, RESTART_DELAY_MS);
      });
    });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    for (const worker of workers.values()) worker.process.kill(signal);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    cluster.on('exit', () => {
      if ([...workers.values()].every((w) => w.isDead())) process.exit(0);
    });
    if (workers.size === 0) process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    for (let index = 1; index <= count; index++) await fork(index);
  } catch (err) {
    stop('SIGTERM');
    throw err;
  }
  log(`Toolport primary ${process.pid}: ${count} workers listening`);
}
