import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CallToolResult,
  ProtocolError,
  ProtocolErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/server';
import { isRecord } from '../../core/index.js';
import type { RegisteredTool } from '../../registry/types.js';
import type { Endpoint } from './endpoint.js';
import type { Session } from './sessions.js';
import { serialisedToolList } from './tool-names.js';
import { type ToolServerOptions, callTool, currentView } from './tool-server.js';

/**
 * The lean path of the two hot methods of an open 2025-era session: `tools/list` and `tools/call` are answered here
 * as one JSON body, without the SDK transport's web-stream adaptation, its per-message schema parsing or an SSE
 * stream. The work done is the SDK handler's (the same view, validation, call and result projection of
 * tool-server.ts); only the framing is leaner. Anything else — another method, a batch, a progress token, a cursor,
 * an unusual header — returns false and goes to the SDK, which stays the reference for every edge case.
 *
 * A call answered here has no stream: nothing can reach the client before its result. So a progress token, and
 * every tool of an upstream MCP server (which may log, sample, elicit or ask for roots while it runs), go to the SDK.
 */
export function serveFast(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  session: Session,
  options: Omit<ToolServerOptions, 'endpoint'>,
): boolean {
  if (req.method !== 'POST' || session.kind !== 'streamable' || !isRecord(body)) return false;
  const { id, method, params } = body;
  if (method === 'notifications/cancelled') {
    // A cancel of a call running here: abort it, and let the SDK answer the notification as usual.
    const requestId = isRecord(params) ? params.requestId : undefined;
    if (typeof requestId === 'string' || typeof requestId === 'number') running.get(session)?.get(requestId)?.abort();
    return false;
  }
  if (body.jsonrpc !== '2.0' || (typeof id !== 'string' && typeof id !== 'number')) return false;
  if (method !== 'tools/list' && method !== 'tools/call') return false;
  if (params !== undefined && !isRecord(params)) return false;
  if (!acceptsBoth(req.headers.accept) || !knownVersion(req.headers['mcp-protocol-version'])) return false;
  if (params?._meta !== undefined && (!isRecord(params._meta) || params._meta.progressToken !== undefined)) {
    return false;
  }
  const endpoint = session.endpoint;
  if (method === 'tools/list') {
    if (params?.cursor !== undefined) return false;
    const view = currentView(options.provider, endpoint);
    const tools = view ? serialisedToolList(view) : EMPTY_LIST;
    send(res, session.id, `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"tools":`, tools, '}}');
    return true;
  }
  const name = params?.name;
  const args = params?.arguments;
  if (typeof name !== 'string' || (args !== undefined && !isRecord(args))) return false;
  const tool = currentView(options.provider, endpoint)?.byName.get(name);
  if (mayRelay(options, endpoint, tool, session.server.getClientCapabilities())) return false;
  const frame = (result: unknown): string =>
    `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${JSON.stringify(result)}}`;
  const project = (r: CallToolResult, tool: RegisteredTool): unknown =>
    session.server.projectCallToolResult(r, tool.definition.outputSchema);
  void answerCall(res, session.id, running.get(session) ?? newRunning(session), id, name, tool, args ?? {}, {
    options: { ...options, endpoint },
    project,
    frame,
  });
  return true;
}

const MODERN = '2026-07-28';
const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_CLIENT = 'io.modelcontextprotocol/clientInfo';
const META_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
const META_SERVER = 'io.modelcontextprotocol/serverInfo';

/**
 * The same lean path for 2026-07-28 sessionless `tools/list` and `tools/call`: taken only for a request the SDK's
 * `createMcpHandler` would accept as it is (protocol version in header and envelope, `Mcp-Method`/`Mcp-Name`
 * matching the body, a plain envelope with client info and capabilities and nothing else), answered with the
 * result decoration that handler adds (`resultType`, server info, and for lists `ttlMs`/`cacheScope`). The SDK
 * handler builds a server per request; this does not.
 */
export function serveModernFast(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  options: ToolServerOptions,
): boolean {
  if (req.method !== 'POST' || !isRecord(body) || req.headers['mcp-protocol-version'] !== MODERN) return false;
  const { id, method, params } = body;
  if (body.jsonrpc !== '2.0' || (typeof id !== 'string' && typeof id !== 'number')) return false;
  if ((method !== 'tools/list' && method !== 'tools/call') || req.headers['mcp-method'] !== method) return false;
  if (!isRecord(params) || !acceptsBoth(req.headers.accept) || !plainEnvelope(params._meta)) return false;
  const serverInfo = JSON.stringify(options.serverInfo);
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{`;
  const tail = (extra = ''): string => `,"resultType":"complete"${extra},"_meta":{"${META_SERVER}":${serverInfo}}}}`;
  if (method === 'tools/list') {
    if (params.cursor !== undefined || req.headers['mcp-name'] !== undefined) return false;
    const view = currentView(options.provider, options.endpoint);
    const tools = view ? serialisedToolList(view) : EMPTY_LIST;
    send(res, undefined, `${head}"tools":`, tools, tail(',"ttlMs":0,"cacheScope":"private"'));
    return true;
  }
  const { name, arguments: args } = params;
  if (typeof name !== 'string' || req.headers['mcp-name'] !== name) return false;
  if (args !== undefined && !isRecord(args)) return false;
  const capabilities = (params._meta as Record<string, unknown>)[META_CAPABILITIES] as Record<string, unknown>;
  const tool = currentView(options.provider, options.endpoint)?.byName.get(name);
  if (mayRelay(options, options.endpoint, tool, capabilities)) return false;
  const frame = (result: unknown): string => {
    // The result's own _meta (if any) is kept next to the server info, as the SDK's decoration does.
    const r = result as Record<string, unknown>;
    const meta = isRecord(r._meta) ? r._meta : {};
    return JSON.stringify({
      jsonrpc: '2.0',
      id,
      result: { ...r, resultType: 'complete', _meta: { ...meta, [META_SERVER]: options.serverInfo } },
    });
  };
  void answerCall(res, undefined, undefined, id, name, tool, args ?? {}, { options, project: (r) => r, frame });
  return true;
}

/** A 2026-07-28 request envelope with exactly the three standard keys, each well formed. */
function plainEnvelope(meta: unknown): boolean {
  if (!isRecord(meta) || meta[META_VERSION] !== MODERN) return false;
  const client = meta[META_CLIENT];
  if (!isRecord(client) || typeof client.name !== 'string' || typeof client.version !== 'string') return false;
  if (!Object.values(client).every((v) => typeof v === 'string')) return false;
  if (!isRecord(meta[META_CAPABILITIES])) return false;
  return Object.keys(meta).length === 3;
}

/** Client capabilities that let an upstream's server→client requests reach the client during a call. */
const RELAYED_REQUESTS = ['sampling', 'elicitation', 'roots'] as const;

/**
 * Whether a call must take the SDK path because something may reach its client while it runs: a tool of an upstream
 * MCP server whose client can answer its sampling, elicitation or roots requests, or whose upstream sends log
 * messages (they go out on the call's stream, before the result), or — on the project endpoint — whose resource
 * links are rewritten. Tools of other connectors, and upstream tools of clients that can answer nothing, stay here.
 */
function mayRelay(
  options: Omit<ToolServerOptions, 'endpoint'>,
  endpoint: Endpoint,
  tool: RegisteredTool | undefined,
  clientCapabilities: Record<string, unknown> | undefined,
): boolean {
  if (!tool) return false;
  const peer = options.provider.peer?.(endpoint.tenantId, endpoint.projectId, tool.connector);
  if (!peer) return false;
  const upstream = peer.describe()?.capabilities;
  if (!upstream || upstream.logging !== undefined) return true;
  if (endpoint.connector === undefined && upstream.resources !== undefined) return true;
  return RELAYED_REQUESTS.some((c) => clientCapabilities?.[c] !== undefined);
}

function newRunning(session: Session): Map<string | number, AbortController> {
  const calls = new Map<string | number, AbortController>();
  running.set(session, calls);
  return calls;
}

/** Calls in flight on the fast path, per session, by request id (for `notifications/cancelled`). */
const running = new WeakMap<Session, Map<string | number, AbortController>>();

interface CallFraming {
  options: ToolServerOptions;
  /** The era's projection of a tool result (the session server's codec, or none). */
  project(result: CallToolResult, tool: RegisteredTool): unknown;
  /** The response body around the result's JSON. */
  frame(result: unknown): string;
}

async function answerCall(
  res: ServerResponse,
  sessionId: string | undefined,
  calls: Map<string | number, AbortController> | undefined,
  id: string | number,
  name: string,
  /** The tool as the request found it (looked up once, when the request was read); undefined when unknown. */
  tool: RegisteredTool | undefined,
  args: Record<string, unknown>,
  { options, project, frame }: CallFraming,
): Promise<void> {
  const abort = new AbortController();
  calls?.set(id, abort);
  // A client that goes away cancels its call, as it does on the SDK path.
  const onClose = (): void => abort.abort();
  res.once('close', onClose);
  try {
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${shorten(name)}`);
    const result: CallToolResult = await callTool(options, tool, args, {
      signal: abort.signal,
      requestId: String(id),
    });
    send(res, sessionId, frame(project(result, tool)));
  } catch (err) {
    const error =
      err instanceof ProtocolError
        ? { code: err.code, message: err.message }
        : { code: ProtocolErrorCode.InternalError, message: 'Internal error' };
    if (!(err instanceof ProtocolError)) {
      options.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'fast tools/call failed');
    }
    send(res, sessionId, JSON.stringify({ jsonrpc: '2.0', id, error }));
  } finally {
    res.off('close', onClose);
    calls?.delete(id);
  }
}

const EMPTY_LIST = Buffer.from('[]');

/**
 * Writes a JSON body. A list's cached bytes go between a small head and tail, corked into one write: the 40 KB of a
 * 200-tool list are neither copied into a new string nor encoded again per request.
 */
function send(res: ServerResponse, sessionId: string | undefined, json: string, middle?: Buffer, end = ''): void {
  if (res.writableEnded || res.destroyed) return;
  const length = Buffer.byteLength(json) + (middle ? middle.length + Buffer.byteLength(end) : 0);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': length };
  if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
  res.writeHead(200, headers);
  if (!middle) {
    res.end(json);
    return;
  }
  res.cork();
  res.write(json);
  res.write(middle);
  res.end(end); // end() uncorks
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
