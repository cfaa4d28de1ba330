import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { FetchLike } from '@modelcontextprotocol/client';

/** A fetch for one upstream plus the means to release its pooled sockets. */
export interface GuardedFetch {
  fetch: FetchLike;
  close(): void;
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

function toHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

async function bodyOf(body: RequestInit['body']): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(await new Response(body).arrayBuffer());
}

/**
 * A fetch over `node:http(s)` whose every new socket resolves its host through `lookup` — the address policy's
 * guarded lookup, which checks every answer and hands the socket only checked addresses. The check and the connect
 * use one resolution, so a DNS answer that changes in between (rebinding) cannot reach a private address; pooled
 * keep-alive sockets stay pinned to the address they were checked for. Redirects are returned, not followed (the
 * SDK's same-origin policy follows them through this fetch again).
 */
export function createGuardedFetch(lookup: LookupFunction): GuardedFetch {
  const agents = {
    http: new HttpAgent({ keepAlive: true, lookup }),
    https: new HttpsAgent({ keepAlive: true, lookup }),
  };
  const fetch: FetchLike = async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input.href);
    const body = await bodyOf(init.body);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    if (body) headers['content-length'] = String(body.length);
    const secure = url.protocol === 'https:';
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: init.method ?? 'GET',
        headers,
        agent: secure ? agents.https : agents.http,
        ...(init.signal ? { signal: init.signal } : {}),
      });
      req.once('error', reject);
      req.once('response', (res) => {
        const status = res.statusCode ?? 502;
        const stream = NULL_BODY_STATUS.has(status)
          ? null
          : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
        if (!stream) res.resume();
        resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers: toHeaders(res) }));
      });
      req.end(body);
    });
  };
  return {
    fetch,
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
