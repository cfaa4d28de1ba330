import { randomUUID } from 'node:crypto';
import { ProtocolError, type Server, type ServerContext } from '@modelcontextprotocol/server';
import {
  type ClientRequestMethod,
  isToolportError,
  type PeerCaller,
  PeerError,
  type UpstreamPeer,
} from '../../core/index.js';
import type { ToolProvider } from '../../registry/types.js';
import type { Endpoint } from './endpoint.js';

/** Server capabilities an upstream's are copied from, per feature (tools are always Toolport's own). */
const FEDERATED = ['resources', 'prompts', 'completions', 'logging'] as const;
/** How long a relayed sampling/elicitation request may wait for the client (a human may be answering). */
const RELAY_TIMEOUT_MS = 10 * 60_000;

/** One upstream MCP connector an endpoint federates. */
export interface Member {
  readonly connector: string;
  readonly peer: UpstreamPeer;
}

/** What an endpoint advertises beyond tools, fixed when its server is created (a session, or one 2026 request). */
export interface FederationPlan {
  capabilities: Record<string, unknown>;
  instructions?: string;
  /** The connectors whose upstream offers more than tools (sorted by name). */
  members: Member[];
}

/** The upstream MCP connectors an endpoint serves right now (one for a connector endpoint). */
export function currentMembers(provider: ToolProvider, endpoint: Endpoint): Member[] {
  if (!provider.peer) return [];
  const names =
    endpoint.connector !== undefined
      ? [endpoint.connector]
      : [...(provider.getSnapshot(endpoint.tenantId, endpoint.projectId)?.connectors.keys() ?? [])].sort();
  const members: Member[] = [];
  for (const connector of names) {
    const peer = provider.peer(endpoint.tenantId, endpoint.projectId, connector);
    if (peer?.describe()) members.push({ connector, peer });
  }
  return members;
}

/**
 * The capabilities and instructions of an endpoint. A connector endpoint advertises its upstream's as they are; the
 * project endpoint the union of its members' (list_changed always on: membership changes too), and their instructions
 * under a heading per connector.
 */
export function planFederation(provider: ToolProvider, endpoint: Endpoint): FederationPlan {
  const members = currentMembers(provider, endpoint);
  const capabilities: Record<string, unknown> = { tools: { listChanged: true } };
  if (endpoint.connector !== undefined) {
    const described = members[0]?.peer.describe();
    if (!described) return { capabilities, members: [] };
    for (const feature of FEDERATED) {
      const value = described.capabilities[feature];
      if (value !== undefined) capabilities[feature] = value;
    }
    return { capabilities, ...(described.instructions ? { instructions: described.instructions } : {}), members };
  }
  const parts: string[] = [];
  for (const { connector, peer } of members) {
    const described = peer.describe()!;
    const caps = described.capabilities;
    if (caps.resources) {
      const own = caps.resources as { subscribe?: boolean };
      const merged = (capabilities.resources ?? { listChanged: true }) as { subscribe?: boolean; listChanged: boolean };
      capabilities.resources = { ...merged, ...(own.subscribe ? { subscribe: true } : {}) };
    }
    if (caps.prompts) capabilities.prompts = { listChanged: true };
    if (caps.completions) capabilities.completions = {};
    if (caps.logging) capabilities.logging = {};
    if (described.instructions) parts.push(`## ${connector}\n\n${described.instructions}`);
  }
  return { capabilities, ...(parts.length > 0 ? { instructions: parts.join('\n\n') } : {}), members };
}

/**
 * The client of the request being served, lent to the upstream for sampling, elicitation and roots, and for the log
 * messages it sends meanwhile (`logger` prefixed with `prefix/` on the project endpoint).
 */
export function callerFor(server: Server, ctx: ServerContext, prefix?: string): PeerCaller {
  // 2026-07-28 requests carry their envelope; that era has no server→client request channel.
  const modern = ctx.mcpReq.envelope !== undefined;
  return {
    session: ctx.sessionId ?? server.transport?.sessionId ?? connectionId(server),
    canAnswer: (method, params) => !modern && clientCanAnswer(server.getClientCapabilities(), method, params),
    request: (method, params, signal) =>
      ctx.mcpReq.send(params === undefined ? { method } : { method, params }, { signal, timeout: RELAY_TIMEOUT_MS }),
    log: (params) => relayLog(ctx, params, prefix),
  };
}

/**
 * A client session outside any call, lent to the upstreams when it announces `notifications/roots/list_changed`: the
 * `roots/list` an upstream sends in reply goes to it as an unrelated request (2025 sessions have a channel for that).
 */
export function sessionCaller(server: Server): PeerCaller {
  return {
    session: server.transport?.sessionId ?? connectionId(server),
    canAnswer: (method, params) => clientCanAnswer(server.getClientCapabilities(), method, params),
    request: (method, params, signal) =>
      server.request(params === undefined ? { method } : { method, params }, { signal, timeout: RELAY_TIMEOUT_MS }),
  };
}

/**
 * Sends an upstream log message on the request's stream, at or above the client's level (its session's, or the
 * 2026-07-28 request's own).
 */
export function relayLog(ctx: ServerContext, params: Record<string, unknown>, prefix?: string): void {
  const level = params.level as Parameters<ServerContext['mcpReq']['log']>[0];
  const logger = typeof params.logger === 'string' ? params.logger : undefined;
  const shown = prefix === undefined ? logger : logger ? `${prefix}/${logger}` : prefix;
  ctx.mcpReq.log(level, params.data, shown).catch(() => undefined);
}

/**
 * Whether a client that declared `caps` can answer this request: sampling needs `sampling` (and `sampling.tools` when
 * the request offers tools), elicitation `elicitation` (and `elicitation.url` for URL mode), roots `roots`.
 */
export function clientCanAnswer(
  caps: Record<string, unknown> | undefined,
  method: ClientRequestMethod,
  params?: Record<string, unknown>,
): boolean {
  const declared = (key: string): Record<string, unknown> | undefined => {
    const value = caps?.[key];
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  };
  if (method === 'sampling/createMessage') {
    const sampling = declared('sampling');
    return sampling !== undefined && (params?.tools === undefined || sampling.tools !== undefined);
  }
  if (method === 'elicitation/create') {
    const elicitation = declared('elicitation');
    return elicitation !== undefined && (params?.mode !== 'url' || elicitation.url !== undefined);
  }
  return declared('roots') !== undefined;
}

/** A stable id per server instance: one stdio connection, or one 2026-07-28 request. */
const connectionIds = new WeakMap<Server, string>();
function connectionId(server: Server): string {
  let id = connectionIds.get(server);
  if (!id) connectionIds.set(server, (id = `connection-${randomUUID()}`));
  return id;
}

/** Params to send upstream: as the client sent them, minus its `_meta` (its progress token means nothing there). */
export function forwardParams(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!params) return undefined;
  const { _meta: _ignored, ...rest } = params;
  return rest;
}

/** An upstream failure as the client sees it: the upstream's own JSON-RPC error as it is, else a clear one. */
export function toProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  if (err instanceof PeerError) return new ProtocolError(err.code, err.message, err.data);
  if (isToolportError(err)) return new ProtocolError(-32603, err.message);
  return new ProtocolError(-32603, 'Internal error');
}
