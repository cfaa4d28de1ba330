import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isToolportError } from '../../core/index.js';
import { checkWebhookUrl, createPublicOnlyLookup } from './target-policy.js';

/** The outcome of one POST: `ok` for a 2xx answer. `error` is a short reason, never the body sent. */
export interface PostOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
}

const publicOnly = createPublicOnlyLookup();
/** Receivers' answers are read and dropped; a bounded read keeps a chatty receiver from holding memory. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** POSTs a webhook body; resolves (never rejects) with the outcome. */
export function postWebhook(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivateNetworks: boolean },
): Promise<PostOutcome> {
  let url: URL;
  try {
    // Checked again at delivery: the policy may have changed since the webhook was registered.
    url = checkWebhookUrl(target, options.allowPrivateNetworks);
  } catch (err) {
    return Promise.resolve({ ok: false, status: null, error: isToolportError(err) ? err.message : 'invalid target' });
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: PostOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      timeout: options.timeoutMs,
      ...(options.allowPrivateNetworks ? {} : { lookup: publicOnly }),
    });
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      const done = (): void => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        finish({ ok, status, error: ok ? null : `receiver answered HTTP ${status}` });
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('timeout', () => {
      req.destroy();
      finish({ ok: false, status: null, error: `no answer within ${options.timeoutMs} ms` });
    });
    req.on('error', (err: Error & { code?: string }) => {
      finish({
        ok: false,
        status: null,
        error: isToolportError(err) ? err.message : `connection failed: ${err.code ?? err.message}`,
      });
    });
    req.end(body);
  });
}
