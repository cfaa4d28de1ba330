import { ProtocolError, type Server, type ServerContext } from '@modelcontextprotocol/server';
import type { Logger, UpstreamPeer } from '../../core/index.js';
import type { ToolProvider } from '../../registry/types.js';
import type { Endpoint } from './endpoint.js';
import { callerFor, type FederationPlan, forwardParams, toProtocolError } from './federation-plan.js';
import { progressReporter } from './progress-relay.js';
import type { SubscriptionBook } from './subscription-book.js';

/** What the federation handlers of one server need. */
export interface FederationContext {
  provider: ToolProvider;
  endpoint: Endpoint;
  subscriptions: SubscriptionBook;
  logger: Logger;
}

type Handler = (request: { params?: Record<string, unknown> }, ctx: ServerContext) => Promise<unknown>;
type SetHandler = (method: string, handler: Handler) => void;

/** Registers a handler for a method the SDK types by name; the result is the upstream's, passed on as it is. */
export function handle(server: Server, method: string, handler: Handler): void {
  (server.setRequestHandler.bind(server) as unknown as SetHandler)(method, handler);
}

/** The connector's upstream as it is now (a reload replaces it), or a clear error when it stopped serving. */
export function peerOf(fx: FederationContext, connector: string): UpstreamPeer {
  const peer = fx.provider.peer?.(fx.endpoint.tenantId, fx.endpoint.projectId, connector);
  if (!peer) {
    const shown = connector.length > 64 ? `${connector.slice(0, 64)}…` : connector;
    throw new ProtocolError(-32603, `connector ${shown} is not serving (disabled, not loaded, or not an MCP upstream)`);
  }
  return peer;
}

/**
 * The per-connector endpoint as a faithful proxy: every resources, prompts and completion request goes to the
 * upstream with its params (cursors included) and the upstream's result or JSON-RPC error comes back as it is.
 * Subscriptions are shared (one upstream subscription per resource, see SubscriptionBook); `logging/setLevel` is the
 * SDK's per-session level, applied to the upstream's messages when they are relayed.
 */
export function installConnectorHandlers(server: Server, plan: FederationPlan, fx: FederationContext): void {
  const connector = fx.endpoint.connector!;
  const caps = plan.capabilities;
  const forward =
    (method: string): Handler =>
    async (request, ctx) => {
      const progress = progressReporter(ctx, fx.logger);
      try {
        return await peerOf(fx, connector).request(method, forwardParams(request.params), {
          signal: ctx.mcpReq.signal,
          caller: callerFor(server, ctx),
          ...progress.context,
        });
      } catch (err) {
        throw toProtocolError(err);
      } finally {
        // The result leaves only after every progress notification was handed to the transport.
        await progress.finish();
      }
    };
  if (caps.resources) {
    for (const method of ['resources/list', 'resources/templates/list', 'resources/read']) {
      handle(server, method, forward(method));
    }
    if ((caps.resources as { subscribe?: boolean }).subscribe) {
      const scope = { ...fx.endpoint, connector };
      for (const action of ['subscribe', 'unsubscribe'] as const) {
        handle(server, `resources/${action}`, async (request, ctx) => {
          const uri = requireUri(request.params);
          try {
            await fx.subscriptions[action](server, scope, peerOf(fx, connector), uri, ctx.mcpReq.signal);
          } catch (err) {
            throw toProtocolError(err);
          }
          return {};
        });
      }
    }
  }
  if (caps.prompts) {
    handle(server, 'prompts/list', forward('prompts/list'));
    handle(server, 'prompts/get', forward('prompts/get'));
  }
  if (caps.completions) handle(server, 'completion/complete', forward('completion/complete'));
}

/** The `uri` param of a subscribe/unsubscribe request (the SDK validated the shape already). */
export function requireUri(params: Record<string, unknown> | undefined): string {
  const uri = params?.uri;
  if (typeof uri !== 'string') throw new ProtocolError(-32602, 'params.uri must be a string');
  return uri;
}
