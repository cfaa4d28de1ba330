import { randomUUID } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  type CallToolResult,
  type InputRequiredResult,
  ProtocolError,
  type ServerContext,
  inputRequired,
} from '@modelcontextprotocol/server';
import type { ClientRequestMethod, PeerCaller, ToolProgress } from '../../core/index.js';
import type { Endpoint } from './endpoint.js';
import { clientCanAnswer, relayLog } from './federation-plan.js';
import { sameEndpoint } from './sessions.js';

/** How long a call waits for the client to retry with the input an upstream asked for. */
const ROUND_TIMEOUT_MS = 10 * 60_000;
const MAX_PARKED = 10_000;

/** An upstream's server→client request waiting for the client's answer on the next round. */
interface PendingInput {
  key: string;
  method: ClientRequestMethod;
  params: Record<string, unknown> | undefined;
  /** Embedded in an `input_required` result already (its answer comes with the next retry). */
  sent?: boolean;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

/** One tools/call of a 2026-07-28 client, alive across its rounds. */
interface Round {
  readonly id: string;
  readonly endpoint: Endpoint;
  readonly tool: string;
  readonly abort: AbortController;
  /** The capabilities the client declared on its latest round. */
  capabilities: Record<string, unknown>;
  /** Where progress of the call goes now (the latest round's progress token), if anywhere. */
  progress: ((p: ToolProgress) => void) | undefined;
  /** Where the upstream's log messages go now (the latest round's stream, at its log level). */
  log: ((params: Record<string, unknown>) => void) | undefined;
  /** The connector named in relayed loggers (project endpoint). */
  readonly prefix: string | undefined;
  result?: Promise<CallToolResult>;
  queue: PendingInput[];
  /** Wakes the round's waiter when the upstream asks something. */
  wake?: () => void;
  timer?: NodeJS.Timeout;
  next: number;
}

/**
 * Server→client requests for 2026-07-28 clients, which have no push channel: when the upstream asks for sampling,
 * elicitation or roots during a call, the call is parked (its upstream request keeps running), the client gets an
 * `input_required` result embedding the request, and its retry — carrying `inputResponses` and the `requestState`
 * naming the parked call — answers the upstream and waits for the result (or the next question). Parked calls live
 * in this node's memory: a retry that reaches another node is told the state expired.
 */
export class InputRounds {
  readonly #parked = new Map<string, Round>();

  /** True when this request is a retry of a parked call. */
  isRetry(ctx: ServerContext): boolean {
    return typeof ctx.mcpReq.requestState() === 'string';
  }

  /** Starts a call: `start` receives the caller to lend the upstream and the signal that cancels the call. */
  begin(
    endpoint: Endpoint,
    tool: string,
    ctx: ServerContext,
    start: (caller: PeerCaller, signal: AbortSignal, onProgress: (p: ToolProgress) => void) => Promise<CallToolResult>,
    prefix?: string,
  ): Round {
    const round: Round = {
      id: randomUUID(),
      endpoint,
      tool,
      abort: new AbortController(),
      capabilities: declared(ctx),
      progress: undefined,
      log: undefined,
      prefix,
      queue: [],
      next: 0,
    };
    const caller: PeerCaller = {
      session: `mrtr-${round.id}`,
      canAnswer: (method, params) => clientCanAnswer(round.capabilities, method, params),
      request: (method, params) =>
        new Promise((resolve, reject) => {
          round.queue.push({ key: `${method.split('/')[0]}-${round.next++}`, method, params, resolve, reject });
          round.wake?.();
        }),
      log: (params) => round.log?.(params),
    };
    round.result = start(caller, round.abort.signal, (p) => round.progress?.(p));
    // A call that fails while parked (nobody awaits it then) must not become an unhandled rejection.
    round.result.catch(() => undefined);
    return round;
  }

  /** The parked call a retry names, with the client's answers handed to the upstream. */
  resume(endpoint: Endpoint, tool: string, ctx: ServerContext): Round {
    const id = ctx.mcpReq.requestState();
    const round = typeof id === 'string' ? this.#parked.get(id) : undefined;
    if (!round || !sameEndpoint(round.endpoint, endpoint) || round.tool !== tool) {
      throw new ProtocolError(-32602, 'Invalid or expired requestState', { reason: 'invalid_request_state' });
    }
    this.#parked.delete(round.id);
    clearTimeout(round.timer);
    round.capabilities = declared(ctx);
    const answers = ctx.mcpReq.inputResponses ?? {};
    const sent = round.queue.filter((p) => p.sent);
    round.queue = round.queue.filter((p) => !p.sent);
    for (const pending of sent) {
      if (pending.key in answers) pending.resolve(answers[pending.key]);
      else pending.reject(new ProtocolError(-32603, `the client did not answer ${pending.method}`));
    }
    return round;
  }

  /**
   * Waits for the call's result or its next question; a question parks the call and becomes the `input_required`
   * result of this round. `onProgress` relays progress to this round's client while it waits.
   */
  async wait(
    round: Round,
    ctx: ServerContext,
    onProgress: ((p: ToolProgress) => void) | undefined,
  ): Promise<CallToolResult | InputRequiredResult> {
    const cancel = (): void => round.abort.abort();
    ctx.mcpReq.signal.addEventListener('abort', cancel, { once: true });
    round.progress = onProgress;
    round.log = (params) => relayLog(ctx, params, round.prefix);
    try {
      const asked = new Promise<'asked'>((resolve) => {
        round.wake = () => resolve('asked');
        if (round.queue.length > 0) resolve('asked');
      });
      const outcome = await Promise.race([round.result!, asked]);
      if (outcome !== 'asked') return outcome;
      return this.#park(round);
    } finally {
      round.wake = undefined;
      round.progress = undefined;
      round.log = undefined;
      ctx.mcpReq.signal.removeEventListener('abort', cancel);
    }
  }

  #park(round: Round): InputRequiredResult {
    if (this.#parked.size >= MAX_PARKED) {
      for (const pending of round.queue.splice(0)) pending.reject(new ProtocolError(-32603, 'too many parked calls'));
      round.abort.abort();
      throw new ProtocolError(-32603, 'Toolport holds too many calls waiting for client input; try again later');
    }
    this.#parked.set(round.id, round);
    round.timer = setTimeout(() => {
      this.#parked.delete(round.id);
      for (const pending of round.queue.splice(0))
        pending.reject(new ProtocolError(-32603, 'the client never retried'));
      round.abort.abort();
    }, ROUND_TIMEOUT_MS);
    round.timer.unref();
    const inputRequests: Record<string, { method: string; params?: Record<string, unknown> }> = {};
    for (const pending of round.queue) {
      pending.sent = true;
      inputRequests[pending.key] =
        pending.params === undefined ? { method: pending.method } : { method: pending.method, params: pending.params };
    }
    return inputRequired({ inputRequests: inputRequests as never, requestState: round.id });
  }

  /** Drops every parked call (gateway shutdown). */
  close(): void {
    for (const round of this.#parked.values()) {
      clearTimeout(round.timer);
      for (const pending of round.queue.splice(0)) pending.reject(new ProtocolError(-32603, 'gateway closing'));
      round.abort.abort();
    }
    this.#parked.clear();
  }
}

function declared(ctx: ServerContext): Record<string, unknown> {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const caps = envelope?.[CLIENT_CAPABILITIES_META_KEY];
  return caps && typeof caps === 'object' ? (caps as Record<string, unknown>) : {};
}
