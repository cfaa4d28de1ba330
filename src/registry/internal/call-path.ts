import {
  createError,
  isToolportError,
  MAX_RESULT_DEPTH,
  textResult,
  unavailableResult,
  type Logger,
  type ToolCallResult,
  valueNestsDeeperThan,
} from '../../core/index.js';
import type { CallInterceptor, ToolProvider } from '../types.js';
import type { LiveView } from './live-state.js';
import { callStarted } from './source-calls.js';

/** Counts a finished call (usage analytics). */
export type RecordCall = (
  tenantId: string,
  projectId: string,
  connector: string,
  tool: string,
  elapsedMs: number,
  isError: boolean,
) => void;

/**
 * The hot path of a tool call: look the connector up in the live view (no lock, no store), run the
 * interceptors around the source's invoke, record usage in memory. Never throws for a tool's failure.
 */
export class CallPath {
  readonly #live: LiveView;
  readonly #record: RecordCall;
  readonly #logger: Logger;
  #interceptors: CallInterceptor[] = [];

  constructor(live: LiveView, record: RecordCall, logger: Logger) {
    this.#live = live;
    this.#record = record;
    this.#logger = logger;
  }

  /** Adds a wrapper around every tool call. */
  addInterceptor(interceptor: CallInterceptor): void {
    this.#interceptors = [...this.#interceptors, interceptor];
  }

  readonly callTool: ToolProvider['callTool'] = async (tenantId, projectId, connector, tool, args, ctx) => {
    const live = this.#live.connector(tenantId, projectId, connector);
    const source = live?.record.enabled ? live.source : undefined;
    if (!source) throw createError('tool_not_found', `connector ${connector} is not serving tools`);
    const started = performance.now();
    const interceptors = this.#interceptors;
    const tokens: unknown[] = [];
    let result: ToolCallResult;
    // Counted on the connector so a new version can take over without cutting this call (its source is closed
    // once the calls running on it end).
    const ended = callStarted(source);
    try {
      for (const interceptor of interceptors) tokens.push(interceptor.before(tenantId, projectId, connector, tool));
      result = await source.invoke(tool, args, ctx);
      // Whatever the upstream sent, a result too deep to serialise must not fail the caller's request (REST 500).
      if (valueNestsDeeperThan(result, MAX_RESULT_DEPTH)) {
        result = textResult(`the tool's result nests JSON more than ${MAX_RESULT_DEPTH} levels deep`, true);
      }
    } catch (err) {
      // A source that throws (instead of returning an error result) is failing, not the tool.
      const text = this.#safeFailure(err, connector, tool);
      result = isToolportError(err, 'tool_not_found') ? textResult(text, true) : unavailableResult(text);
    } finally {
      ended();
    }
    const elapsed = performance.now() - started;
    for (let i = 0; i < tokens.length; i++) interceptors[i]!.after(tokens[i], result, elapsed);
    this.#record(tenantId, projectId, connector, tool, elapsed, result.isError === true);
    return result;
  };

  #safeFailure(err: unknown, connector: string, tool: string): string {
    if (isToolportError(err)) return `${err.code}: ${err.message}`;
    this.#logger.error({ connector, tool, err: (err as Error)?.message }, 'tool call failed unexpectedly');
    return 'internal error while calling the tool';
  }
}
