import { type CallToolResult, ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import {
  type InvokeContext,
  type Logger,
  type ToolCallResult,
  type ValidationIssue,
  isToolportError,
} from '../../core/index.js';
import type { RegisteredTool, ToolProvider } from '../../registry/types.js';
import type { Endpoint } from './endpoint.js';
import { installAggregateHandlers, rewriteToolResult } from './federation-aggregate.js';
import { installConnectorHandlers } from './federation-connector.js';
import { callerFor, currentMembers, planFederation, sessionCaller } from './federation-plan.js';
import type { InputRounds } from './input-rounds.js';
import { progressReporter } from './progress-relay.js';
import { SubscriptionBook } from './subscription-book.js';
import { type ToolView, getSnapshotViews } from './tool-names.js';

export type { Endpoint } from './endpoint.js';

/** Inputs of {@link createToolServer}. */
export interface ToolServerOptions {
  provider: ToolProvider;
  endpoint: Endpoint;
  serverInfo: { name: string; version: string };
  logger: Logger;
  /** Resource subscriptions of the gateway's sessions (shared upstream subscriptions); one per server when absent. */
  subscriptions?: SubscriptionBook;
  /** Parked calls of 2026-07-28 clients answering an upstream's sampling/elicitation/roots (see InputRounds). */
  inputRounds?: InputRounds;
}

const MAX_ISSUES_IN_MESSAGE = 10;

/** The current view of an endpoint, read from the provider's snapshot on every request (no caching of tools). */
export function currentView(provider: ToolProvider, endpoint: Endpoint): ToolView | undefined {
  const snapshot = provider.getSnapshot(endpoint.tenantId, endpoint.projectId);
  if (!snapshot) return undefined;
  const views = getSnapshotViews(snapshot);
  return endpoint.connector === undefined ? views.project : views.connector(endpoint.connector);
}

/**
 * A low-level MCP server for one endpoint. It holds no tool state: each `tools/list` and `tools/call` reads the
 * provider's current snapshot, so registry changes apply to connected sessions without re-registration. Where the
 * endpoint federates upstream MCP connectors, their capabilities, instructions, resources, prompts, completions and
 * logging are served too (fixed per server: a 2025 session or one 2026-07-28 request).
 */
export function createToolServer(options: ToolServerOptions): Server {
  const { provider, endpoint } = options;
  const plan = planFederation(provider, endpoint);
  const server = new Server(options.serverInfo, {
    capabilities: plan.capabilities,
    ...(plan.instructions !== undefined ? { instructions: plan.instructions } : {}),
  });
  if (plan.members.length > 0) {
    const subscriptions = options.subscriptions ?? new SubscriptionBook(options.logger);
    const fx = { provider, endpoint, subscriptions, logger: options.logger };
    if (endpoint.connector !== undefined) installConnectorHandlers(server, plan, fx);
    else installAggregateHandlers(server, plan, fx);
    // A client's roots changed: every upstream it reaches through this endpoint hears of it (a notification is
    // harmless to a shared upstream; its roots/list outside a call is answered by this client).
    server.setNotificationHandler('notifications/roots/list_changed', () => {
      for (const { connector, peer } of currentMembers(provider, endpoint)) {
        peer.rootsChanged(sessionCaller(server)).catch((err: unknown) => {
          options.logger.debug(
            { connector, err: err instanceof Error ? err.message : String(err) },
            'roots/list_changed not passed to the upstream',
          );
        });
      }
    });
  }
  server.setRequestHandler('tools/list', () => ({ tools: currentView(provider, endpoint)?.list ?? [] }));
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args } = request.params;
    const tool = currentView(provider, endpoint)?.byName.get(name);
    if (!tool) throw unknownTool(name);
    // The upstream MCP server behind the tool, if any (HTTP and Python tools have none).
    const peer = provider.peer?.(endpoint.tenantId, endpoint.projectId, tool.connector);
    // On the project endpoint, a member's resource links point at this endpoint's URIs (readable here).
    const rewrite = endpoint.connector === undefined && peer?.describe()?.capabilities.resources !== undefined;
    const project = (result: CallToolResult): CallToolResult =>
      server.projectCallToolResult(
        rewrite ? rewriteToolResult(tool.connector, result) : result,
        tool.definition.outputSchema,
      );
    const progress = progressReporter(ctx, options.logger);
    const rounds = options.inputRounds;
    // A 2026-07-28 client has no server→client channel: an upstream's questions become input_required rounds.
    if (rounds && ctx.mcpReq.envelope !== undefined && peer) {
      const round = rounds.isRetry(ctx)
        ? rounds.resume(endpoint, name, ctx)
        : rounds.begin(
            endpoint,
            name,
            ctx,
            (caller, signal, onProgress) =>
              callTool(options, tool, args ?? {}, {
                signal,
                requestId: String(ctx.mcpReq.id),
                caller,
                onProgress,
              }).then(project),
            endpoint.connector === undefined ? tool.connector : undefined,
          );
      try {
        return await rounds.wait(round, ctx, progress.context.onProgress);
      } finally {
        await progress.finish();
      }
    }
    try {
      const result = await callTool(options, tool, args ?? {}, {
        signal: ctx.mcpReq.signal,
        requestId: String(ctx.mcpReq.id),
        caller: callerFor(server, ctx, endpoint.connector === undefined ? tool.connector : undefined),
        ...progress.context,
      });
      return project(result);
    } finally {
      // The result leaves only after every progress notification was handed to the transport.
      await progress.finish();
    }
  });
  return server;
}

export async function callTool(
  options: ToolServerOptions,
  tool: RegisteredTool,
  args: Record<string, unknown>,
  invoke: InvokeContext,
): Promise<CallToolResult> {
  const issues = tool.validate(args);
  if (issues) return invalidArguments(tool, issues);
  const { tenantId, projectId } = options.endpoint;
  try {
    const result = await options.provider.callTool(tenantId, projectId, tool.connector, tool.name, args, invoke);
    return withTextContent(result);
  } catch (err) {
    if (isToolportError(err, 'validation_failed')) return invalidArguments(tool, err.details.issues ?? []);
    if (isToolportError(err, 'tool_not_found') || isToolportError(err, 'not_found')) throw unknownTool(tool.name);
    if (isToolportError(err) && !['internal', 'store_failed', 'config_invalid'].includes(err.code)) {
      // ToolportError messages are safe to show by contract: they carry no secrets or argument values.
      return { content: [{ type: 'text', text: err.message }], isError: true };
    }
    options.logger.error(
      { err: err instanceof Error ? err.message : String(err), connector: tool.connector, tool: tool.name },
      'tool call failed inside the gateway',
    );
    throw new ProtocolError(ProtocolErrorCode.InternalError, 'Internal error');
  }
}

/** Structured results also carry their JSON as text, for clients that only read `content`. */
function withTextContent(result: ToolCallResult): CallToolResult {
  if (result.structuredContent !== undefined && !result.content.some((c) => c.type === 'text')) {
    return {
      ...result,
      content: [...result.content, { type: 'text', text: JSON.stringify(result.structuredContent) }],
    } as CallToolResult;
  }
  return result as CallToolResult;
}

/** Invalid arguments are a tool error the model can correct (MCP guidance), naming each JSON pointer. */
function invalidArguments(tool: RegisteredTool, issues: readonly ValidationIssue[]): CallToolResult {
  const listed = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => `${i.pointer || '/'}: ${i.message}`);
  if (issues.length > MAX_ISSUES_IN_MESSAGE) listed.push(`… and ${issues.length - MAX_ISSUES_IN_MESSAGE} more`);
  return {
    content: [{ type: 'text', text: `Invalid arguments for tool ${tool.name}: ${listed.join('; ')}` }],
    isError: true,
  };
}

function unknownTool(name: string): ProtocolError {
  const shown = name.length > 100 ? `${name.slice(0, 100)}…` : name;
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${shown}`);
}
