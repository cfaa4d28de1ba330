import { ProtocolError, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { isRecord } from '../../../core/index.js';
import type { OrderedClient } from './ordered-client.js';
import type { ProcessTransport } from './process-transport.js';

/** What a lean call honours of the SDK's request options. */
export interface LeanCallOptions {
  timeout: number;
  signal?: AbortSignal;
}

const METHOD = 'tools/call';

/**
 * `tools/call` on a 2025-era stdio connection without the SDK client's request machinery (its per-request
 * promise chain, result cache look-up and zod parse of the whole message). The request is written as one line; its
 * answer is taken off the pipe by its string id, parsed once by the transport's reader. A result made only of plain
 * text blocks is taken as it is — exactly what the SDK's schemas return for it; any other result goes through the
 * SDK's own decoding and schema ({@link OrderedClient.checkResult}). Failures take the SDK's shapes (ProtocolError,
 * SdkError, the same messages, the same `notifications/cancelled` on abort and timeout), so the caller handles both
 * paths alike. Unlike the SDK client, an answer that is not a JSON-RPC response, or one over the size limit, fails
 * its call at once instead of leaving it to time out.
 *
 * Only for calls where nothing may arrive for the call before its result that the SDK client would order around it:
 * no progress token, no caller to relay to, no output schema to check (the source decides).
 */
export class LeanCalls {
  readonly #transport: ProcessTransport;
  readonly #client: OrderedClient;
  #next = 0;

  constructor(transport: ProcessTransport, client: OrderedClient) {
    this.#transport = transport;
    this.#client = client;
  }

  call(params: { name: string; arguments: Record<string, unknown> }, options: LeanCallOptions): Promise<unknown> {
    const { signal, timeout } = options;
    if (signal?.aborted) return Promise.reject(asSdkError(signal.reason));
    const transport = this.#transport;
    // A string id: the SDK client numbers its own requests, so the two can never meet.
    const id = `toolport:${this.#next++}`;
    return new Promise((resolve, reject) => {
      let settled = false;
      const end = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        transport.release(id);
        return true;
      };
      const cancel = (reason: unknown): void => {
        if (!end()) return;
        const notice = {
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: String(reason) },
        };
        transport.sendLine(`${JSON.stringify(notice)}\n`).catch(() => undefined);
        reject(asSdkError(reason));
      };
      const onAbort = (): void => cancel(signal?.reason);
      const timer = setTimeout(
        () => cancel(new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', { timeout })),
        timeout,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      transport.expect(id, (answer) => {
        if (!end()) return;
        try {
          resolve(this.#result(answer));
        } catch (err) {
          reject(err);
        }
      });
      transport
        .sendLine(`${JSON.stringify({ jsonrpc: '2.0', id, method: METHOD, params })}\n`)
        .catch((err: unknown) => {
          if (end()) reject(err);
        });
    });
  }

  /** The result of an answer, or the error the SDK client would have raised for it. */
  #result(answer: Record<string, unknown> | Error): unknown {
    if (answer instanceof Error) throw answer;
    const { result, error } = answer;
    if (answer.jsonrpc === '2.0' && error !== undefined && result === undefined) {
      if (isRecord(error) && Number.isSafeInteger(error.code) && typeof error.message === 'string') {
        throw ProtocolError.fromError(error.code as number, error.message, error.data);
      }
    } else if (answer.jsonrpc === '2.0' && isRecord(result) && error === undefined) {
      return isPlainTextResult(result) ? result : this.#client.checkResult(METHOD, result);
    }
    throw new SdkError(SdkErrorCode.InvalidResult, `Invalid result for ${METHOD}: not a JSON-RPC response`);
  }
}

function asSdkError(reason: unknown): SdkError {
  return reason instanceof SdkError ? reason : new SdkError(SdkErrorCode.RequestTimeout, String(reason));
}

/**
 * A result the SDK's 2025 schema returns unchanged: `content` of text blocks with nothing but `type` and `text`,
 * `isError` boolean, `structuredContent` a plain object, and no `_meta` or `resultType` (whose keys the SDK checks or
 * strips). Other keys are kept by the SDK's loose schema and dropped by the mapping alike.
 */
function isPlainTextResult(result: Record<string, unknown>): boolean {
  const { content, isError, structuredContent } = result;
  if (!Array.isArray(content) || (isError !== undefined && typeof isError !== 'boolean')) return false;
  if (result._meta !== undefined || result.resultType !== undefined) return false;
  if (
    structuredContent !== undefined &&
    (!isRecord(structuredContent) || Object.hasOwn(structuredContent, '__proto__'))
  ) {
    return false;
  }
  for (const block of content) {
    if (!isRecord(block) || block.type !== 'text' || typeof block.text !== 'string') return false;
    for (const key in block) if (key !== 'type' && key !== 'text') return false;
  }
  return true;
}
