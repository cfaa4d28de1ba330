import { createError, markUnavailable, type ContentBlock, type ToolCallResult } from '../../../core/index.js';

import type { TreeLimits } from '../../../sandbox/index.js';
import { type LimitHit, limitMessage } from './jail.js';
import type { WorkerPool } from './pool.js';
import { RpcError, type PythonWorker, WorkerExitError } from './worker.js';

/** One `tools/call` on an acquired worker; the worker goes back to the pool (or is killed) after. */
export interface WorkerCall {
  pool: WorkerPool;
  worker: PythonWorker;
  tool: string;
  args: Record<string, unknown>;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  memoryMb: number;
  connector: string;
  /** The worker tree's limits; `scratch` says whether the scratch has a size limit (a tmpfs). */
  limits?: { tree: TreeLimits; scratch: boolean } | undefined;
}

const ENOSPC = /\[Errno 28\]|No space left on device/;

const CRASH_SIGNALS = new Set(['SIGKILL', 'SIGSEGV', 'SIGABRT', 'SIGBUS']);

/**
 * Runs the call with its timeout and cancellation. A timeout kills the worker (it may be stuck in
 * C code) and the pool starts a replacement; a cancel asks the runner to stop and frees the worker
 * once it answers a ping.
 */
export function callOnWorker(call: WorkerCall): Promise<ToolCallResult> {
  const { pool, worker, tool, timeoutMs } = call;
  const deadline = Date.now() + timeoutMs;
  const request = worker.request('tools/call', { name: tool, arguments: call.args });
  return new Promise<ToolCallResult>((resolve, reject) => {
    let settled = false;
    const finish = (result: ToolCallResult | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => {
      worker.forget(request.id);
      pool.discard(worker);
      finish(markUnavailable(errorResult(`Tool '${tool}' timed out after ${timeoutMs} ms`, { timeout: true })));
    }, timeoutMs);
    const onAbort = (): void => {
      worker.notify('notifications/cancelled', { requestId: request.id, reason: 'cancelled by the client' });
      worker.forget(request.id);
      drain(pool, worker, deadline);
      finish(errorResult(`Tool '${tool}' was cancelled`, { cancelled: true }));
    };
    call.signal?.addEventListener('abort', onAbort, { once: true });
    request.promise.then(
      (raw) => {
        const result = toCallResult(raw);
        const hits = limitHits(call, result);
        const memoryError = result._meta?.exception_type === 'MemoryError';
        // After a MemoryError the interpreter may hold fragmented memory, after a hit limit the tree may be
        // full of stragglers or the scratch full: start fresh next time.
        pool.release(worker, { healthy: true, retire: memoryError || hits.length > 0 });
        finish(hits.length ? limitResult(hits, result) : result);
      },
      (err: unknown) => {
        if (err instanceof RpcError) {
          pool.release(worker, { healthy: true });
          if (err.code === -32602 && err.message.startsWith('Unknown tool')) {
            finish(createError('tool_not_found', `no tool '${tool}' in python connector '${call.connector}'`));
          } else {
            finish(errorResult(err.message));
          }
          return;
        }
        if (err instanceof WorkerExitError) {
          const hits = worker.limitHits();
          if (hits.length) {
            finish(limitResult(hits, errorResult(crashMessage(err, call.memoryMb))));
            return;
          }
          finish(
            markUnavailable(
              errorResult(crashMessage(err, call.memoryMb), {
                workerExit: { code: err.exit.code, signal: err.exit.signal },
              }),
            ),
          );
          return;
        }
        pool.discard(worker);
        finish(markUnavailable(errorResult(`python call failed: ${(err as Error).message}`)));
      },
    );
  });
}

/** After a cancel: the worker is free once it answers a ping (it handles messages in order). */
function drain(pool: WorkerPool, worker: PythonWorker, deadline: number): void {
  const ping = worker.request('ping', {});
  const timer = setTimeout(
    () => {
      worker.forget(ping.id);
      pool.discard(worker);
    },
    Math.max(deadline - Date.now(), 1_000),
  );
  ping.promise.then(
    () => {
      clearTimeout(timer);
      pool.release(worker);
    },
    () => clearTimeout(timer),
  );
}

function crashMessage(err: WorkerExitError, memoryMb: number): string {
  const { exit } = err;
  if (exit.killedByUs) return 'the python worker was stopped (source closing)';
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${String(exit.code)}`;
  let message = `python worker died during the call (${how})`;
  if (exit.signal && CRASH_SIGNALS.has(exit.signal) && memoryMb > 0) {
    message += `; it may have exceeded the memory limit of ${memoryMb} MB`;
  }
  if (exit.lastStderr) message += `: ${exit.lastStderr}`;
  return message;
}

/** Limits the call ran into: the worker's cgroup counters, and ENOSPC on a size-limited scratch. */
function limitHits(call: WorkerCall, result: ToolCallResult): LimitHit[] {
  const hits = call.worker.limitHits();
  if (call.limits?.scratch && result.isError) {
    const text = result.content.map((block) => (block.type === 'text' ? (block.text ?? '') : '')).join('\n');
    if (ENOSPC.test(text)) hits.push({ limit: 'scratch', message: limitMessage('scratch', call.limits.tree) });
  }
  return hits;
}

/** An isError result that leads with the limit(s) hit, keeping what the tool itself said after it. */
function limitResult(hits: LimitHit[], original: ToolCallResult): ToolCallResult {
  const said = original.content.map((block) => (block.type === 'text' ? (block.text ?? '') : '')).join('\n');
  const text = `${hits.map((h) => h.message).join('; ')}${said ? ` — ${said}` : ''}`;
  return errorResult(text, { limit: hits.map((h) => h.limit) });
}

function errorResult(text: string, meta?: Record<string, unknown>): ToolCallResult {
  const result: ToolCallResult = { content: [{ type: 'text', text }], isError: true };
  if (meta) result._meta = meta;
  return result;
}

/** The runner's MCP result as a ToolCallResult (defensive about shape: it is another process). */
function toCallResult(raw: Record<string, unknown>): ToolCallResult {
  const content = Array.isArray(raw.content) ? (raw.content as ContentBlock[]) : [];
  const result: ToolCallResult = { content };
  if (raw.structuredContent && typeof raw.structuredContent === 'object' && !Array.isArray(raw.structuredContent)) {
    result.structuredContent = raw.structuredContent as Record<string, unknown>;
  }
  if (raw.isError === true) result.isError = true;
  if (raw._meta && typeof raw._meta === 'object') result._meta = raw._meta as Record<string, unknown>;
  return result;
}
