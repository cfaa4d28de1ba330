import {
  type CallToolResult,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import {
  type Logger,
  type ToolCallResult,
  type ToolProgress,
  type ValidationIssue,
  isToolportError,
} from '../../core/index.js';
import type { RegisteredTool, ToolProvider } from '../../registry/types.js';
import { type ToolView, getSnapshotViews } from './tool-names.js';

/** What an MCP endpoint serves: one project, or one connector of it. */
export interface Endpoint {
  readonly tenantId: string;
  readonly projectId: string;
  readonly connector?: string;
}

/** Inputs of {@link createToolServer}. */
export interface ToolServerOptions {
  provider: ToolProvider;
  endpoint: Endpoint;
  serverInfo: { name: string; version: string };
  logger: Logger;
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
 * provider's current snapshot, so registry changes apply to connected sessions without re-registration.
 */
export function createToolServer(options: ToolServerOptions): Server {
  const { provider, endpoint } = options;
  const server = new Server(options.serverInfo, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler('tools/list', () => ({ tools: currentView(provider, endpoint)?.list ?? [] }));
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args } = request.params;
    const tool = currentView(provider, endpoint)?.byName.get(name);
    if (!tool) throw unknownTool(name);
    const result = await callTool(options, tool, args ?? {}, ctx);
    return server.projectCallToolResult(result, tool.definition.outputSchema);
  });
  return server;
}

export async function callTool(
  options: ToolServerOptions,
  tool: RegisteredTool,
  args: Record<string, unknown>,
  ctx: ServerContext,
): Promise<CallToolResult> {
  const issues = tool.validate(args);
  if (issues) return invalidArguments(tool, issues);
  const { tenantId, projectId } = options.endpoint;
  const progress = progressReporter(ctx, options.logger);
  try {
    const result = await options.provider.callTool(tenantId, projectId, tool.connector, tool.name, args, {
      signal: ctx.mcpReq.signal,
      requestId: String(ctx.mcpReq.id),
      ...progress.context,
    });
    // The result leaves only after every progress notification was handed to the transport.
    await progress.finish();
    return withTextContent(result);
  } catch (err) {
    await progress.finish();
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

/** Relays progress when the client asked for it (`_meta.progressToken`); nothing is sent after `finish`. */
function progressReporter(
  ctx: ServerContext,
  logger: Logger,
): { context: { onProgress?: (p: ToolProgress) => void }; finish(): Promise<void> } {
  const token = ctx.mcpReq._meta?.progressToken;
  let last: Promise<void> = Promise.resolve();
  let finished = false;
  const finish = (): Promise<void> => {
    finished = true;
    return last;
  };
  if (token === undefined) return { context: {}, finish };
  const onProgress = (p: ToolProgress): void => {
    if (finished) return;
    const params: Record<string, unknown> = { progressToken: token, progress: p.progress };
    if (p.total !== undefined) params.total = p.total;
    if (p.message !== undefined) params.message = p.message;
    last = ctx.mcpReq.notify({ method: 'notifications/progress', params }).catch((err: unknown) => {
      logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'progress notification dropped');
    });
  };
  return { context: { onProgress }, finish };
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
