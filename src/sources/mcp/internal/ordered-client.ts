import {
  Client,
  type JSONRPCErrorResponse,
  type JSONRPCResponse,
  SdkError,
  SdkErrorCode,
} from '@modelcontextprotocol/client';

/**
 * An SDK client whose responses never overtake the notifications that arrived before them.
 *
 * The SDK runs a notification's handler on a microtask but settles a response synchronously, and it forgets a
 * request's progress callback the moment the response is settled. When the last `notifications/progress` and the
 * result are read in one chunk (a stdio pipe under load: one `data` event, several lines delivered in one loop),
 * the response wins and the progress notification is dropped as "unknown token". Here every response — and a
 * close that follows one — is settled on the next macrotask, after the microtask queue, hence every notification
 * handler dispatched before it, has run. Responses keep their order among themselves (one FIFO queue).
 */
export class OrderedClient extends Client {
  readonly #queue: (() => void)[] = [];

  protected override _onresponse(response: JSONRPCResponse | JSONRPCErrorResponse): void {
    this.#defer(() => super._onresponse(response));
  }

  protected override _onclose(): void {
    // A close right after a result (an upstream that answers and exits) must not reject that result.
    if (this.#queue.length > 0) this.#defer(() => super._onclose());
    else super._onclose();
  }

  /**
   * Restarts the idle clock of every request in flight, as progress would: used while the upstream waits for an
   * answer Toolport relays to a client (a human answering an elicitation). A no-op if the SDK's internals moved.
   */
  keepRequestsAlive(): void {
    const self = this as unknown as { _timeoutInfo?: Map<number, unknown>; _resetTimeout?: (id: number) => boolean };
    if (!(self._timeoutInfo instanceof Map) || typeof self._resetTimeout !== 'function') return;
    for (const id of [...self._timeoutInfo.keys()]) {
      try {
        self._resetTimeout.call(this, id);
      } catch {
        // Past its maximum total time: its own timer still fires.
      }
    }
  }

  /**
   * What the SDK does to a result of `method` it receives on this connection — the era's decoding, then its result
   * schema — for a request sent outside the client (see LeanCalls). The value, or the SDK's own InvalidResult error.
   */
  checkResult(method: string, raw: unknown): unknown {
    const codec = this._wireCodec();
    const decoded = codec.decodeResult(method, raw);
    if (decoded.kind === 'invalid') throw decoded.error;
    if (decoded.kind !== 'complete') {
      throw new SdkError(SdkErrorCode.InvalidResult, `Invalid result for ${method}: unexpected ${decoded.kind}`);
    }
    const outcome = codec.validateResult(method, decoded.result);
    if (outcome.ok) return outcome.value;
    const reason = outcome.reason === 'invalid' ? outcome.message : `not-in-era: ${method}`;
    throw new SdkError(SdkErrorCode.InvalidResult, `Invalid result for ${method}: ${reason}`);
  }

  #defer(step: () => void): void {
    this.#queue.push(step);
    if (this.#queue.length === 1) setImmediate(() => this.#drain());
  }

  #drain(): void {
    // Steps queued while draining (a response to a request sent from a handler) run in the same pass, in order.
    for (let step = this.#queue[0]; step; step = this.#queue[0]) {
      try {
        step();
      } catch (err) {
        this.onerror?.(err instanceof Error ? err : new Error(String(err)));
      }
      this.#queue.shift();
    }
  }
}
