/** Raw MCP exchanges over fetch, for tests that compare the gateway's answers byte for byte across its paths. */

/** An open 2025-11-25 session: its endpoint and the headers every request of it carries. */
export interface RawSession {
  url: string;
  headers: Record<string, string>;
}

/** The headers of a raw MCP POST with `token`. */
export function rawHeaders(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
}

/** Initializes a 2025-11-25 session at `url` (and sends `notifications/initialized`). */
export async function openRawSession(url: string, token: string, clientName: string): Promise<RawSession> {
  const headers = rawHeaders(token);
  const init = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: clientName, version: '1' } },
    }),
  });
  await init.text();
  const session: RawSession = {
    url,
    headers: {
      ...headers,
      'mcp-session-id': init.headers.get('mcp-session-id')!,
      'mcp-protocol-version': '2025-11-25',
    },
  };
  await (await postRaw(session, { jsonrpc: '2.0', method: 'notifications/initialized' })).text();
  return session;
}

/** One POST of `body` in `session`. */
export function postRaw(session: RawSession, body: unknown): Promise<Response> {
  return fetch(session.url, { method: 'POST', headers: session.headers, body: JSON.stringify(body) });
}

/** The JSON-RPC answer of a response (plain JSON or the answer event of an SSE stream) and how it came. */
export async function rpcAnswer(
  res: Response,
): Promise<{ type: 'json' | 'sse'; message: Record<string, unknown>; sized: boolean }> {
  const type = res.headers.get('content-type') ?? '';
  // The lean path writes one sized body; the SDK's web-stream responses are chunked.
  const sized = res.headers.get('content-length') !== null;
  const text = await res.text();
  if (type.includes('text/event-stream')) {
    const messages = text
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => JSON.parse(l.slice(5)) as Record<string, unknown>);
    return { type: 'sse', message: messages.find((m) => 'result' in m || 'error' in m)!, sized };
  }
  return { type: 'json', message: JSON.parse(text) as Record<string, unknown>, sized };
}
