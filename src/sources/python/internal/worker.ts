import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

import { createError } from '../../../core/index.js';

import type { CgroupManager, TreeLimits } from '../../../sandbox/index.js';
import { createJail, type Jail, type LimitHit } from './jail.js';

/** How to start one runner process (already wrapped in bwrap when sandboxed). */
export interface SpawnSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Called before each spawn (e.g. to write a private env file): extra runner args, and a cleanup once started. */
  prepare?: () => { args: string[]; cleanup?: () => void };
  /** Limits of each worker's process tree (a jail per worker); absent = unconfined. */
  limits?: { tree: TreeLimits; cgroups: CgroupManager | null };
}

/** Why and how a worker process ended. */
export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when Toolport killed it on purpose (timeout, idle, close). */
  killedByUs: boolean;
  /** The last line the process wrote to stderr (its own diagnostics, e.g. an import error). */
  lastStderr: string;
}

/** A JSON-RPC error returned by the runner. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The worker ended while a request was in flight. */
export class WorkerExitError extends Error {
  override readonly name = 'WorkerExitError';
  constructor(readonly exit: WorkerExit) {
    super(describeExit(exit));
  }
}

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

const STDERR_TAIL = 4096;
const PROTOCOL_VERSION = '2025-11-25';

/** One long-lived `toolport_runner.py serve` process spoken to over newline-delimited JSON-RPC. */
export class PythonWorker {
  readonly pid: number;
  #child: ChildProcessWithoutNullStreams;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #buffer = '';
  #stderr = '';
  #killedByUs = false;
  #exit: WorkerExit | undefined;
  #exitListeners: ((exit: WorkerExit) => void)[] = [];
  readonly exited: Promise<WorkerExit>;
  #jail: Jail | undefined;

  private constructor(child: ChildProcessWithoutNullStreams, jail: Jail | undefined) {
    this.#child = child;
    this.#jail = jail;
    this.pid = child.pid ?? -1;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.#onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL);
    });
    // EPIPE when the process died between our check and the write: the exit handler reports it.
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        const exit: WorkerExit = { code, signal, killedByUs: this.#killedByUs, lastStderr: lastLine(this.#stderr) };
        this.#exit = exit;
        this.#jail?.release();
        const error = new WorkerExitError(exit);
        for (const pending of this.#pending.values()) pending.reject(error);
        this.#pending.clear();
        for (const listener of this.#exitListeners) listener(exit);
        resolve(exit);
      });
    });
  }

  /** Spawns the runner and completes the MCP initialize handshake. */
  static async start(spec: SpawnSpec, startTimeoutMs: number): Promise<PythonWorker> {
    const prepared = spec.prepare?.();
    const args = [...spec.args, ...(prepared?.args ?? [])];
    let jail: Jail | undefined;
    try {
      jail = spec.limits ? createJail(spec.command, args, spec.limits.tree, spec.limits.cgroups) : undefined;
    } catch (err) {
      prepared?.cleanup?.();
      throw createError('upstream_unavailable', `cannot create the worker's cgroup: ${(err as Error).message}`);
    }
    // detached: its own process group, so a kill also reaches the scripts it starts.
    const child = spawn(jail?.command ?? spec.command, jail?.args ?? args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const worker = await new Promise<PythonWorker>((resolve, reject) => {
      child.once('error', (err) => {
        jail?.release();
        prepared?.cleanup?.();
        reject(createError('upstream_unavailable', `cannot start python: ${err.message}`));
      });
      child.once('spawn', () => resolve(new PythonWorker(child, jail)));
    });
    const timer = setTimeout(() => worker.kill(), startTimeoutMs);
    try {
      await worker.request('initialize', {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'toolport', version: '0.1.0' },
      }).promise;
      worker.notify('notifications/initialized', {});
      return worker;
    } catch (err) {
      worker.kill();
      const exit = err instanceof WorkerExitError ? err.exit : undefined;
      const reason = exit?.killedByUs
        ? `python worker did not start within ${startTimeoutMs} ms`
        : exit
          ? `python worker failed to start: ${exit.lastStderr || describeExit(exit)}`
          : `python worker failed to start: ${(err as Error).message}`;
      // A script that forks or allocates at import time hits the tree limits before it ever answers.
      const hits = worker.limitHits();
      const limits = hits.length ? `${hits.map((h) => h.message).join('; ')} — ` : '';
      throw createError('upstream_unavailable', `${limits}${reason}`, {}, err);
    } finally {
      clearTimeout(timer);
      prepared?.cleanup?.();
    }
  }

  /** Limits the worker's tree ran into since the last time this was asked. */
  limitHits(): LimitHit[] {
    return this.#jail?.hits() ?? [];
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** Sends a request; `id` lets the caller cancel it. */
  request(method: string, params: Record<string, unknown>): { id: number; promise: Promise<Record<string, unknown>> } {
    const id = this.#nextId++;
    if (this.#exit) return { id, promise: Promise.reject(new WorkerExitError(this.#exit)) };
    const promise = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    this.#child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return { id, promise };
  }

  /** Sends a notification (no reply expected). */
  notify(method: string, params: Record<string, unknown>): void {
    if (!this.#exit) this.#child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method, params })}\n`);
  }

  /** Forgets a request whose reply will never come or is no longer wanted. */
  forget(id: number): void {
    this.#pending.delete(id);
  }

  /** Kills the whole process group. Idempotent. */
  kill(): void {
    if (this.#exit) return;
    this.#killedByUs = true;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      this.#child.kill('SIGKILL');
    }
  }

  /** Registers a listener for the process exit. */
  onExit(listener: (exit: WorkerExit) => void): void {
    if (this.#exit) listener(this.#exit);
    else this.#exitListeners.push(listener);
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let newline = this.#buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      if (line.trim()) this.#onLine(line);
      newline = this.#buffer.indexOf('\n');
    }
  }

  #onLine(line: string): void {
    let message: { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return; // the runner never writes anything but JSON here; ignore noise defensively
    }
    if (typeof message.id !== 'number') return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.error) {
      pending.reject(new RpcError(Number(message.error.code ?? -32603), String(message.error.message ?? 'error')));
    } else {
      pending.resolve((message.result ?? {}) as Record<string, unknown>);
    }
  }
}

/** A one-line description of how a worker ended. */
export function describeExit(exit: WorkerExit): string {
  if (exit.signal) return `python worker was killed by ${exit.signal}`;
  return `python worker exited with code ${String(exit.code)}`;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim().slice(0, 500);
}
