import { isToolportError, textResult, type ToolCallResult } from '../../core/index.js';
import type { CallInterceptor } from '../types.js';

interface ChainToken {
  members: readonly CallInterceptor[];
  tokens: unknown[];
}

/**
 * Runs interceptors in order as one: those added later from outside (metrics, tracing) wrap the built-in
 * ones (tool health, circuit breaker), so a call the breaker fails fast is still counted and traced.
 * A failing `after` never breaks the call or the other interceptors.
 */
export class InterceptorChain implements CallInterceptor {
  #outer: readonly CallInterceptor[] = [];
  readonly #inner: readonly CallInterceptor[];

  constructor(inner: readonly CallInterceptor[]) {
    this.#inner = inner;
  }

  /** Adds an interceptor that runs before (around) the built-in ones. */
  add(interceptor: CallInterceptor): void {
    this.#outer = [...this.#outer, interceptor];
  }

  before(tenantId: string, projectId: string, connector: string, tool: string): ChainToken {
    const members = this.#outer.length ? [...this.#outer, ...this.#inner] : this.#inner;
    const tokens: unknown[] = [];
    for (const member of members) {
      try {
        tokens.push(member.before(tenantId, projectId, connector, tool));
      } catch (err) {
        // Fail fast: the members that already ran see the result the registry returns for this error.
        const message = isToolportError(err) ? `${err.code}: ${err.message}` : 'internal error while calling the tool';
        this.#afterAll({ members, tokens }, textResult(message, true), 0);
        throw err;
      }
    }
    return { members, tokens };
  }

  after(token: unknown, result: ToolCallResult, elapsedMs: number): void {
    this.#afterAll(token as ChainToken, result, elapsedMs);
  }

  #afterAll({ members, tokens }: ChainToken, result: ToolCallResult, elapsedMs: number): void {
    for (let i = 0; i < tokens.length; i++) {
      try {
        members[i]!.after(tokens[i], result, elapsedMs);
      } catch {
        // An observer's bug must not turn a finished call into a failure.
      }
    }
  }
}
