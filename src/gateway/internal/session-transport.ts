import type { IncomingMessage, ServerResponse } from 'node:http';
import { type NodeMcpRequestHandler, toNodeHandler } from '@modelcontextprotocol/node';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { SessionState } from './session-token.js';

/** The HTTP side of one 2025-era session: the SDK's web-standard transport behind the SDK's Node adapter. */
export interface SessionTransport {
  /** What the session's server connects to. */
  readonly web: WebStandardStreamableHTTPServerTransport;
  /** Serves one Node request of the session (body already parsed). */
  handleRequest(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void>;
}

/** Inputs of {@link createSessionTransport}. */
export interface SessionTransportOptions {
  sessionIdGenerator: () => string;
  onsessioninitialized: (id: string) => void;
  onsessionclosed: (id: string) => void | Promise<void>;
  maxBodyBytes: number;
}

/**
 * A sessionful Streamable HTTP transport. The web-standard transport (rather than the Node one) is used because it
 * takes a `Request`, which lets a node rebuild a session another node opened ({@link replayInitialize}) through the
 * SDK's public API only.
 */
export function createSessionTransport(options: SessionTransportOptions): SessionTransport {
  const web = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: options.sessionIdGenerator,
    onsessioninitialized: options.onsessioninitialized,
    onsessionclosed: options.onsessionclosed,
  });
  const node: NodeMcpRequestHandler = toNodeHandler(
    { fetch: (request, init) => web.handleRequest(request, init) },
    { maxRequestBodySize: options.maxBodyBytes },
  );
  return {
    web,
    handleRequest: (req, res, body) => {
      if (req.method === 'GET') flushHeadersOnWrite(res);
      return node(req, res, body);
    },
  };
}

/**
 * Sends the head of a GET (standalone SSE) response as soon as it is written. Node holds a head back until the
 * first body byte, and this stream may carry nothing for a long time: a client waiting for the response to open
 * its stream would wait until the first keep-alive or notification.
 */
function flushHeadersOnWrite(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    const out = writeHead(...args);
    res.flushHeaders();
    return out;
  }) as ServerResponse['writeHead'];
}

/** The JSON-RPC id of the replayed `initialize` (its answer goes nowhere). */
const REPLAY_ID = 'toolport-session-restore';

/**
 * Rebuilds on this node a session opened on another: the transport (created with a generator returning `id`) and
 * its connected server are sent the client's original `initialize` and `notifications/initialized`, exactly as
 * the client sent them, so the server negotiates the same protocol version and records the same client
 * capabilities and info. Resolves true when the session is initialized under `id`.
 */
export async function replayInitialize(
  web: WebStandardStreamableHTTPServerTransport,
  id: string,
  state: SessionState,
): Promise<boolean> {
  const post = (body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    postInternally(web, body, headers);
  const init = await post({
    jsonrpc: '2.0',
    id: REPLAY_ID,
    method: 'initialize',
    params: { protocolVersion: state.protocolVersion, capabilities: state.capabilities, clientInfo: state.clientInfo },
  });
  if (!init.ok || web.sessionId !== id) return false;
  const initialized = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': id });
  return initialized.ok;
}

/**
 * Hands messages to an open session as if its client had POSTed them (a request's answer is drained and dropped):
 * how a node re-applies another node's `logging/setLevel` or `resources/subscribe` to its copy of a session, and
 * injects a client's answer that reached another node. Resolves once the session handled them.
 */
export async function postToSession(
  web: WebStandardStreamableHTTPServerTransport,
  id: string,
  body: unknown,
): Promise<Response> {
  return postInternally(web, body, { 'mcp-session-id': id });
}

async function postInternally(
  web: WebStandardStreamableHTTPServerTransport,
  body: unknown,
  headers: Record<string, string>,
): Promise<Response> {
  const request = new Request('http://toolport.invalid/mcp', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
  const response = await web.handleRequest(request, { parsedBody: body });
  // Drain it: a request's answer is an SSE stream that ends once the result is written.
  await response.arrayBuffer();
  return response;
}
