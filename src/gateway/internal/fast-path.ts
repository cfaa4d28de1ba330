import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CallToolResult,
  ProtocolError,
  ProtocolErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Session } from './sessions.js';
import { serialisedToolList } from './tool-names.js';
import { type ToolServerOptions, callTool, currentView } from './tool-server.js';

/**
 * The lean path of the two hot methods of an open 2025-era session: `tools/list` and `tools/call` are answered here
 * as one JSON body, without the SDK transport's web-stream adaptation, its per-message schema parsing or an SSE
 * stream. The work done is the SDK handler's (the same view, validation, call and result projection of
 * tool-server.ts); only the framing is leaner. Anything else — another method, a batch, a progress token, a cursor,
 * an unusual header — returns false and goes to the SDK, which stays the reference for every edge case.
 */
export function serveFast(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  session: Session,
  options: Omit<ToolServerOptions, 'endpoint'>,
): boolean {
  if (req.method !== 'POST' || session.kind !== 'streamable' || !isPlainObject(body)) return false;
  const { id, method, params } = body;
  if (method === 'notifications/cancelled') {
    // A cancel of a call running here: abort it, and let the SDK answer the notification as usual.
    const requestId = isPlainObject(params) ? params.requestId : undefined;
    if (typeof requestId === 'string' || typeof requestId === 'number') running.get(session)?.get(requestId)?.abort();
    return false;
  }
  if (body.jsonrpc !== '2.0' || (typeof id !== 'string' && typeof id !== 'number')) return false;
  if (method !== 'tools/list' && method !== 'tools/call') return false;
  if (params !== undefined && !isPlainObject(params)) return false;
  if (!acceptsBoth(req.headers.accept) || !knownVersion(req.headers['mcp-protocol-version'])) return false;
  if (params?._meta !== undefined && (!isPlainObject(params._meta) || params._meta.progressToken !== undefined)) {
    return false;
  }
  const endpoint = session.endpoint;
  if (method === 'tools/list') {
    if (params?.cursor !== undefined) return false;
    const view = currentView(options.provider, endpoint);
    const tools = view ? serialisedToolList(view) : '[]';
    send(res, session, `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"tools":${tools}}}`);
    return true;
  }
  const name = params?.name;
  const args = params?.arguments;
  if (typeof name !== 'string' || (args !== undefined && !isPlainObject(args))) return false;
  void answerCall(res, session, id, name, args ?? {}, { ...options, endpoint });
  return true;
}

/** Calls in flight on the fast path, per session, by request id (for `notifications/cancelled`). */
const running = new WeakMap<Session, Map<string | number, AbortController>>();

async function answerCall(
  res: ServerResponse,
  session: Session,
  id: string | number,
  name: string,
  args: Record<string, unknown>,
  options: ToolServerOptions,
): Promise<void> {
  const abort = new AbortController();
  let calls = running.get(session);
  if (!calls) running.set(session, (calls = new Map()));
  calls.set(id, abort);
  // A client that goes away cancels its call, as it does on the SDK path.
  const onClose = (): void => abort.abort();
  res.once('close', onClose);
  try {
    const tool = currentView(options.provider, options.endpoint)?.byName.get(name);
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${shorten(name)}`);
    const ctx = { mcpReq: { id, signal: abort.signal, _meta: undefined } } as unknown as ServerContext;
    const result: CallToolResult = await callTool(options, tool, args, ctx);
    const projected = session.server.projectCallToolResult(result, tool.definition.outputSchema);
    send(res, session, `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${JSON.stringify(projected)}}`);
  } catch (err) {
    const error =
      err instanceof ProtocolError
        ? { code: err.code, message: err.message }
        : { code: ProtocolErrorCode.InternalError, message: 'Internal error' };
    if (!(err instanceof ProtocolError)) {
      options.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'fast tools/call failed');
    }
    send(res, session, JSON.stringify({ jsonrpc: '2.0', id, error }));
  } finally {
    res.off('close', onClose);
    calls.delete(id);
  }
}

function send(res: ServerResponse, session: Session, json: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
    'mcp-session-id': session.id,
  });
  res.end(json);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The SDK refuses POSTs that do not accept both answer forms (406); such requests go to it. */
function acceptsBoth(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/json') && accept.includes('text/event-stream');
}

function knownVersion(header: string | string[] | undefined): boolean {
  return header === undefined || (typeof header === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(header));
}

function shorten(name: string): string {
  return name.length > 100 ? `${name.slice(0, 100)}…` : name;
}
