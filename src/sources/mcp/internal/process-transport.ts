import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import {
  parseJSONRPCMessage,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  serializeMessage,
  type JSONRPCMessage,
  type Transport,
} from '@modelcontextprotocol/client';
import { createError, createUuid, isRecord } from '../../../core/index.js';
import type { Jail, LimitHit } from '../../../sandbox/index.js';
import { LineReader, MAX_LINE_BYTES } from './line-reader.js';
import { killTagged, UPSTREAM_TAG } from './process-sweep.js';

/** How to start a stdio upstream process (already wrapped in bwrap when sandboxed). */
export interface ProcessSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /**
   * Tag the process tree (env {@link UPSTREAM_TAG}) and sweep it on close: for unsandboxed upstreams, whose daemons
   * may leave the group. A sandboxed one needs none — its pid namespace dies with bwrap.
   */
  tag?: boolean;
  /** Wraps the command in a fresh jail (cgroup or rlimits) per spawn; released when the process is gone. */
  confine?: (command: string, args: string[]) => Jail;
}

/** Who waits for the answer of a request sent with {@link ProcessTransport.sendLine}: the message, or why none came. */
export type Claim = (answer: Record<string, unknown> | Error) => void;

/** After the main process exits, how long its stdout may stay open (held by a leftover child) before we stop reading. */
const DRAIN_AFTER_EXIT_MS = 1_000;

/**
 * A stdio client transport whose child leads its own process group (spawned detached), so closing it ends the
 * whole group — children and grandchildren the upstream started included — with SIGTERM, then SIGKILL after a grace
 * period. (The SDK's transport signals the child alone, which let a forked helper outlive its connector.)
 */
export class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** The child's stderr, readable before {@link start} so no early line is lost. */
  readonly stderr = new PassThrough();
  readonly #spec: ProcessSpec;
  readonly #reader = new LineReader({
    value: (parsed) => this.#deliver(parsed),
    oversized: (head, tail, bytes) => this.#oversized(head, tail, bytes),
  });
  /** Answers awaited outside the SDK client, by their (string) request id. */
  readonly #claims = new Map<string, Claim>();
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #closed = false;
  #graceMs = 2_000;
  readonly #tag: string | undefined;
  #jail: Jail | undefined;
  /** The limits the process tree had hit when it ended (read once, as its cgroup is released). */
  #exitLimits: LimitHit[] = [];
  /** Serialised messages waiting for this turn's write, and the sends waiting on it. */
  #pending: string[] = [];
  #waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  #flushing: NodeJS.Immediate | undefined;

  constructor(spec: ProcessSpec) {
    this.#spec = spec;
    this.#tag = spec.tag ? createUuid() : undefined;
  }

  /** The child's pid (the process group id too) once started. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Limits (processes, memory) the upstream's tree had run into when it ended; empty while it runs. */
  get exitLimits(): readonly LimitHit[] {
    return this.#exitLimits;
  }

  /** Sets the time between SIGTERM and SIGKILL used by {@link close}. */
  setGrace(ms: number): void {
    this.#graceMs = ms;
  }

  start(): Promise<void> {
    if (this.#child) throw new Error('ProcessTransport already started');
    let command = this.#spec.command;
    let args = this.#spec.args;
    if (this.#spec.confine) {
      try {
        this.#jail = this.#spec.confine(command, args);
      } catch (err) {
        const reason = `cannot create the upstream's cgroup: ${(err as Error).message}`;
        return Promise.reject(createError('upstream_unavailable', reason, {}, err));
      }
      ({ command, args } = this.#jail);
    }
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        env: this.#tag ? { ...this.#spec.env, [UPSTREAM_TAG]: this.#tag } : this.#spec.env,
        ...(this.#spec.cwd !== undefined ? { cwd: this.#spec.cwd } : {}),
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own session and process group: the group id is the pid, and the group dies together.
        detached: true,
      });
      this.#child = child;
      // A child that never started (ENOENT) emits 'error' and no 'exit': either ends the wait.
      this.#exited = new Promise((done) => {
        child.once('exit', () => done());
        child.once('error', () => done());
      });
      child.once('error', (err) => {
        this.#jail?.release();
        reject(err);
        this.onerror?.(err);
      });
      child.once('spawn', () => resolve());
      child.once('exit', () => this.#afterExit(child));
      child.once('close', () => this.#finish());
      child.stdin?.on('error', (err) => this.onerror?.(err));
      child.stdout?.on('error', (err) => this.onerror?.(err));
      child.stdout?.on('data', (chunk: Buffer) => this.#reader.append(chunk));
      child.stderr?.pipe(this.stderr);
    });
  }

  /**
   * Routes the answer to request `id` (a string id the SDK client never uses) to `claim` instead of the client; it
   * gets an Error if the answer is too long to read or the connection ends first.
   */
  expect(id: string, claim: Claim): void {
    this.#claims.set(id, claim);
  }

  /** Stops waiting for the answer to `id` (cancelled or timed out): a late answer is then dropped by the client. */
  release(id: string): void {
    this.#claims.delete(id);
  }

  /** Queues one serialised JSON-RPC message (newline included) with the messages of this turn. */
  sendLine(line: string): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#closed || stdin.destroyed) return Promise.reject(new Error('Not connected'));
    return new Promise((resolve, reject) => {
      this.#pending.push(line);
      this.#waiters.push({ resolve, reject });
      if (!this.#flushing) this.#flushing = setImmediate(() => this.#flush());
    });
  }

  /**
   * Queues the message; every message queued in one turn of the event loop goes to the child in a single write
   * (one syscall and one wake-up of the child instead of one per message, in order).
   */
  send(message: JSONRPCMessage): Promise<void> {
    return this.sendLine(serializeMessage(message));
  }

  /** One parsed line: a claimed answer goes to its claim, anything else is checked and handed to the client. */
  #deliver(parsed: unknown): void {
    if (this.#claims.size > 0 && isRecord(parsed) && typeof parsed.id === 'string' && parsed.method === undefined) {
      const claim = this.#claims.get(parsed.id);
      if (claim) {
        this.#claims.delete(parsed.id);
        claim(parsed);
        return;
      }
    }
    try {
      this.onmessage?.(parseJSONRPCMessage(parsed));
    } catch (err) {
      this.onerror?.(err as Error);
      // An answer (an id, no method) that is not valid JSON-RPC fails its request now, not at its timeout.
      if (isRecord(parsed) && parsed.method === undefined && isRequestId(parsed.id)) {
        const message = `the upstream answered with a message that is not valid JSON-RPC: ${(err as Error).message}`;
        const error = { code: ProtocolErrorCode.InternalError, message: message.slice(0, 500) };
        this.onmessage?.({ jsonrpc: '2.0', id: parsed.id, error });
      }
    }
  }

  /**
   * A dropped (oversized) line: when its ends show it is the answer to one of our requests, that request fails now
   * with the reason — a claimed one through its claim, the SDK client's as a JSON-RPC error answer — instead of
   * waiting for its timeout.
   */
  #oversized(head: string, tail: string, bytes: number): void {
    const reason = `upstream message of ${bytes} bytes exceeds the ${MAX_LINE_BYTES}-byte limit`;
    this.onerror?.(new Error(reason));
    const id = answerId(head, tail);
    if (id === undefined) return;
    const claim = typeof id === 'string' ? this.#claims.get(id) : undefined;
    if (claim) {
      this.#claims.delete(id as string);
      claim(new Error(reason));
      return;
    }
    this.onmessage?.({ jsonrpc: '2.0', id, error: { code: ProtocolErrorCode.InternalError, message: reason } });
  }

  #flush(): void {
    this.#flushing = undefined;
    const chunk = this.#pending.length === 1 ? this.#pending[0]! : this.#pending.join('');
    const waiters = this.#waiters;
    this.#pending = [];
    this.#waiters = [];
    const stdin = this.#child?.stdin;
    if (!stdin || this.#closed || stdin.destroyed) {
      for (const w of waiters) w.reject(new Error('Not connected'));
      return;
    }
    const done = (): void => {
      for (const w of waiters) w.resolve();
    };
    if (stdin.write(chunk)) done();
    else stdin.once('drain', done);
  }

  /** Ends stdin and the whole process group: SIGTERM, then SIGKILL after the grace period. */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child || this.#closed) return;
    this.#closed = true;
    try {
      child.stdin?.end();
    } catch {
      // A broken pipe: the signals below end it anyway.
    }
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup(child.pid, 'SIGTERM');
      const exited = await Promise.race([this.#exited!.then(() => true), delay(this.#graceMs).then(() => false)]);
      if (!exited) signalGroup(child.pid, 'SIGKILL');
      await this.#exited;
    }
    // Whatever of the group outlived its leader (a child that ignored SIGTERM) goes now, and so does what left it.
    signalGroup(child.pid, 'SIGKILL');
    if (this.#tag) await killTagged(this.#tag);
    this.#finish();
  }

  #afterExit(child: ChildProcess): void {
    // The upstream died on its own: nothing it started may keep running without it.
    signalGroup(child.pid, 'SIGKILL');
    if (this.#tag && !this.#closed) void killTagged(this.#tag);
    // A process outside the group may still hold stdout; stop waiting for it after a moment.
    const timer = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      this.#finish();
    }, DRAIN_AFTER_EXIT_MS);
    timer.unref();
    child.once('close', () => clearTimeout(timer));
  }

  #finish(): void {
    if (this.#child === undefined) return;
    const child = this.#child;
    this.#child = undefined;
    this.#closed = true;
    this.#reader.clear();
    child.stdin?.destroy();
    if (this.#jail) {
      // Kills what is left of the tree's cgroup; its counters say whether a limit ended it.
      this.#jail.release();
      this.#exitLimits = this.#jail.hits();
    }
    const claims = [...this.#claims.values()];
    this.#claims.clear();
    // As the SDK client fails its own requests when the connection ends.
    for (const claim of claims) claim(new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed'));
    this.onclose?.();
  }
}

/** A JSON-RPC id as serialised: a string without escapes, or an integer. */
const ID = String.raw`("[^"\\]*"|-?\d+)`;
/** An answer whose id comes first: `{"jsonrpc":"2.0","id":…,"result"|"error":…`. */
const ID_FIRST = new RegExp(
  String.raw`^\s*\{\s*"jsonrpc"\s*:\s*"2\.0"\s*,\s*"id"\s*:\s*${ID}\s*,\s*"(?:result|error)"\s*:`,
);
/** An answer whose id comes last: `{"result"|"error":…,"id":…}` (the SDK's order). */
const RESULT_FIRST = /^\s*\{\s*"(?:result|error)"\s*:/;
const ID_LAST = new RegExp(String.raw`"id"\s*:\s*${ID}\s*\}\s*$`);

/**
 * The id of a dropped (oversized) line that is an answer, read from its ends; undefined for anything else (a request
 * or notification of the upstream's own, whose ids are not ours).
 */
function answerId(head: string, tail: string): string | number | undefined {
  const raw = ID_FIRST.exec(head)?.[1] ?? (RESULT_FIRST.test(head) ? ID_LAST.exec(tail)?.[1] : undefined);
  if (raw === undefined) return undefined;
  return raw.startsWith('"') ? raw.slice(1, -1) : Number(raw);
}

function isRequestId(id: unknown): id is string | number {
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/** Signals every process of the group led by `pid`; a group already gone is fine. */
function signalGroup(pid: number | undefined, name: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, name);
  } catch {
    // ESRCH: the group is empty.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
