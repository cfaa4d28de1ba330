import { ProtocolError, type Server, type ServerContext } from '@modelcontextprotocol/server';
import type { PeerRequestOptions, UpstreamPeer } from '../../core/index.js';
import { type FederationContext, handle, peerOf, requireUri } from './federation-connector.js';
import { callerFor, currentMembers, type FederationPlan, type Member, toProtocolError } from './federation-plan.js';
import { progressReporter } from './progress-relay.js';

/**
 * Resource URIs of the project endpoint: `toolport://{connector}/{original URI}` — the original follows the connector
 * verbatim, so templates keep working (`toolport://notes/memo://item/{id}` expands to a URI that maps back).
 */
const URI_PREFIX = 'toolport://';
const AGGREGATE_URI = /^toolport:\/\/([^/]+)\/(.*)$/s;
/** Prompts are named like tools: `{connector}__{name}`. */
const SEPARATOR = '__';

export function aggregateUri(connector: string, uri: string): string {
  return `${URI_PREFIX}${connector}/${uri}`;
}

type Feature = 'resources' | 'prompts' | 'completions';
type Json = Record<string, unknown>;

/**
 * The project endpoint's resources, templates, prompts and completions: merged over every upstream MCP connector
 * that offers them, one upstream page per merged page (the cursor names the connector and its own cursor), URIs and
 * prompt names made collision-free, and every request routed to the connector that owns the name.
 */
export function installAggregateHandlers(server: Server, plan: FederationPlan, fx: FederationContext): void {
  const caps = plan.capabilities;
  const members = (feature: Feature): Member[] =>
    currentMembers(fx.provider, fx.endpoint).filter((m) => m.peer.describe()?.capabilities[feature] !== undefined);
  // A name or URI naming no upstream MCP member of this project is the client's mistake (-32602).
  const owner = (connector: string): UpstreamPeer => {
    if (!fx.provider.peer?.(fx.endpoint.tenantId, fx.endpoint.projectId, connector)) {
      const shown = connector.length > 64 ? `${connector.slice(0, 64)}…` : connector;
      throw new ProtocolError(-32602, `no upstream MCP connector ${shown} in this project`);
    }
    return peerOf(fx, connector);
  };
  const options = (ctx: ServerContext, connector?: string): PeerRequestOptions => ({
    signal: ctx.mcpReq.signal,
    caller: callerFor(server, ctx, connector),
  });
  const call = async (connector: string, method: string, params: Json, ctx: ServerContext): Promise<Json> => {
    const progress = progressReporter(ctx, fx.logger);
    try {
      return (await owner(connector).request(method, params, {
        ...options(ctx, connector),
        ...progress.context,
      })) as Json;
    } catch (err) {
      throw toProtocolError(err);
    } finally {
      await progress.finish();
    }
  };

  if (caps.resources) {
    handle(server, 'resources/list', (request, ctx) =>
      mergedList(members('resources'), 'resources/list', 'resources', request.params, options(ctx), (c, item) => ({
        ...item,
        uri: aggregateUri(c, String(item.uri)),
      })),
    );
    handle(server, 'resources/templates/list', (request, ctx) =>
      mergedList(
        members('resources'),
        'resources/templates/list',
        'resourceTemplates',
        request.params,
        options(ctx),
        (c, item) => ({ ...item, uriTemplate: aggregateUri(c, String(item.uriTemplate)) }),
      ),
    );
    handle(server, 'resources/read', async (request, ctx) => {
      const { connector, uri } = splitUri(requireUri(request.params));
      const result = await call(connector, 'resources/read', { uri }, ctx);
      const contents = Array.isArray(result.contents) ? (result.contents as Json[]) : [];
      return { ...result, contents: contents.map((c) => ({ ...c, uri: aggregateUri(connector, String(c.uri)) })) };
    });
    if ((caps.resources as { subscribe?: boolean }).subscribe) {
      for (const [method, act] of [
        ['resources/subscribe', fx.subscriptions.subscribe.bind(fx.subscriptions)],
        ['resources/unsubscribe', fx.subscriptions.unsubscribe.bind(fx.subscriptions)],
      ] as const) {
        handle(server, method, async (request, ctx) => {
          const { connector, uri } = splitUri(requireUri(request.params));
          try {
            await act(server, { ...fx.endpoint, connector }, owner(connector), uri, ctx.mcpReq.signal);
          } catch (err) {
            throw toProtocolError(err);
          }
          return {};
        });
      }
    }
  }
  if (caps.prompts) {
    handle(server, 'prompts/list', (request, ctx) =>
      mergedList(members('prompts'), 'prompts/list', 'prompts', request.params, options(ctx), (c, item) => ({
        ...item,
        name: `${c}${SEPARATOR}${String(item.name)}`,
      })),
    );
    handle(server, 'prompts/get', async (request, ctx) => {
      const { connector, name } = splitName(members('prompts'), String(request.params?.name ?? ''));
      const args = request.params?.arguments;
      const result = await call(
        connector,
        'prompts/get',
        args === undefined ? { name } : { name, arguments: args },
        ctx,
      );
      const messages = Array.isArray(result.messages) ? (result.messages as Json[]) : [];
      return { ...result, messages: messages.map((m) => ({ ...m, content: rewriteContent(connector, m.content) })) };
    });
  }
  if (caps.completions) {
    handle(server, 'completion/complete', async (request, ctx) => {
      const params = request.params ?? {};
      const ref = (params.ref ?? {}) as Json;
      let connector: string;
      let upstreamRef: Json;
      if (ref.type === 'ref/prompt') {
        const split = splitName(members('completions'), String(ref.name ?? ''));
        connector = split.connector;
        upstreamRef = { ...ref, name: split.name };
      } else {
        const split = splitUri(String(ref.uri ?? ''));
        connector = split.connector;
        upstreamRef = { ...ref, uri: split.uri };
      }
      const { _meta: _ignored, ...rest } = params;
      return call(connector, 'completion/complete', { ...rest, ref: upstreamRef }, ctx);
    });
  }
}

/** The cursor of a merged list: the connector whose page comes next and that connector's own cursor. */
interface MergedCursor {
  c: string;
  u?: string;
}

function encodeCursor(cursor: MergedCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(cursor: unknown): MergedCursor {
  try {
    const value = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8')) as MergedCursor;
    if (typeof value.c === 'string' && (value.u === undefined || typeof value.u === 'string')) return value;
  } catch {
    // falls through to the error below
  }
  throw new ProtocolError(-32602, 'params.cursor is not a cursor this endpoint issued');
}

/** One page of a merged list: the next non-empty upstream page, from the connector the cursor names onwards. */
async function mergedList(
  members: Member[],
  method: string,
  key: string,
  params: Json | undefined,
  options: PeerRequestOptions,
  map: (connector: string, item: Json) => Json,
): Promise<Json> {
  let start = 0;
  let upstreamCursor: string | undefined;
  if (params?.cursor !== undefined) {
    const cursor = decodeCursor(params.cursor);
    start = members.findIndex((m) => m.connector === cursor.c);
    if (start < 0) return { [key]: [] };
    upstreamCursor = cursor.u;
  }
  for (let i = start; i < members.length; i++) {
    const { connector, peer } = members[i]!;
    let result: Json;
    try {
      result = (await peer.request(
        method,
        upstreamCursor === undefined ? undefined : { cursor: upstreamCursor },
        options,
      )) as Json;
    } catch (err) {
      // One failing upstream must not hide the others' items; a cursor of that upstream ends there.
      if (options.signal?.aborted) throw toProtocolError(err);
      upstreamCursor = undefined;
      continue;
    }
    upstreamCursor = undefined;
    const items = (Array.isArray(result[key]) ? (result[key] as Json[]) : []).map((item) => map(connector, item));
    if (typeof result.nextCursor === 'string')
      return { [key]: items, nextCursor: encodeCursor({ c: connector, u: result.nextCursor }) };
    const next = members[i + 1];
    if (items.length > 0)
      return next ? { [key]: items, nextCursor: encodeCursor({ c: next.connector }) } : { [key]: items };
  }
  return { [key]: [] };
}

/** The connector and original URI of a project-endpoint resource URI; throws -32602 for any other URI. */
export function splitUri(uri: string): { connector: string; uri: string } {
  const match = AGGREGATE_URI.exec(uri);
  if (!match)
    throw new ProtocolError(-32602, `resource URIs of this endpoint look like ${URI_PREFIX}{connector}/{uri}`);
  return { connector: match[1]!, uri: match[2]! };
}

/** `{connector}__{name}` → its parts; connector names may hold `__` too, so the known connectors decide. */
function splitName(members: Member[], qualified: string): { connector: string; name: string } {
  for (const { connector } of members) {
    if (qualified.startsWith(`${connector}${SEPARATOR}`) && qualified.length > connector.length + SEPARATOR.length) {
      return { connector, name: qualified.slice(connector.length + SEPARATOR.length) };
    }
  }
  const shown = qualified.length > 100 ? `${qualified.slice(0, 100)}…` : qualified;
  throw new ProtocolError(-32602, `Unknown prompt: ${shown}`);
}

/** A member's tool result on the project endpoint: its resource links and embedded resources under this endpoint's URIs. */
export function rewriteToolResult<T extends { content?: unknown }>(connector: string, result: T): T {
  if (!Array.isArray(result.content)) return result;
  return { ...result, content: result.content.map((block) => rewriteContent(connector, block)) };
}

/** Embedded resources and resource links (prompt messages, tool results) get the endpoint's URIs, so they can be read here. */
function rewriteContent(connector: string, content: unknown): unknown {
  if (!content || typeof content !== 'object') return content;
  const block = content as Json;
  if (block.type === 'resource_link' && typeof block.uri === 'string') {
    return { ...block, uri: aggregateUri(connector, block.uri) };
  }
  if (block.type === 'resource' && block.resource && typeof block.resource === 'object') {
    const resource = block.resource as Json;
    return { ...block, resource: { ...resource, uri: aggregateUri(connector, String(resource.uri)) } };
  }
  return content;
}
