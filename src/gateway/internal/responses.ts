import type { ServerResponse } from 'node:http';

/** JSON-RPC error codes the gateway answers at the HTTP edge. */
export const RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  internalError: -32603,
  /** Implementation-defined server error (auth, sessions, limits). */
  serverError: -32000,
  sessionNotFound: -32001,
} as const;

/** The JSON-RPC error body used for every refusal at the HTTP edge (clients parse it like any MCP error). */
export function rpcErrorBody(code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** Writes a JSON-RPC error response on a raw (hijacked) response, unless headers already went out. */
export function writeRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(rpcErrorBody(code, message));
}

/** 429 for an open past a session cap: a JSON-RPC error naming the cap, with Retry-After. */
export function writeSessionCapError(
  res: ServerResponse,
  refusal: { refused: 'key' | 'tenant'; limit: number },
  retryAfterSeconds: number,
): void {
  const scope = refusal.refused === 'key' ? 'per API key' : 'per tenant';
  writeRpcError(
    res,
    429,
    RPC.serverError,
    `Too many open MCP sessions ${scope} (limit ${refusal.limit}): close one (DELETE with its Mcp-Session-Id, ` +
      'or end the SSE stream) or let idle sessions expire',
    { 'Retry-After': String(retryAfterSeconds) },
  );
}
