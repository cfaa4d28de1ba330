import { ProtocolError as ClientProtocolError, type RequestOptions } from '@modelcontextprotocol/client';
import { ProtocolError, type Server, type ServerContext } from '@modelcontextprotocol/server';
import type { OrderedClient } from '../sources/mcp/index.js';

/** What the desktop relay's client towards Toolport declares: server→client requests go on to the desktop client. */
export const RELAY_CLIENT_CAPABILITIES = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

const FEDERATED = ['resources', 'prompts', 'completions', 'logging'] as const;
const FORWARDED: Record<(typeof FEDERATED)[number], string[]> = {
  resources: [
    'resources/list',
    'resources/templates/list',
    'resources/read',
    'resources/subscribe',
    'resources/unsubscribe',
  ],
  prompts: ['prompts/list', 'prompts/get'],
  completions: ['completion/complete'],
  logging: ['logging/setLevel'],
};
/** A relayed sampling or elicitation may wait for a human. */
const ASK_TIMEOUT_MS = 10 * 60_000;

type Raw = (
  request: { method: string; params?: Record<string, unknown> },
  options?: RequestOptions,
) => Promise<unknown>;
type Handle = (
  method: string,
  handler: (request: { params?: Record<string, unknown> }, ctx: ServerContext) => unknown,
) => void;

/** The server capabilities the relay advertises: tools, plus what the Toolport endpoint offers beyond them. */
export function relayCapabilities(client: OrderedClient): Record<string, unknown> {
  const remote = (client.getServerCapabilities() ?? {}) as Record<string, unknown>;
  const capabilities: Record<string, unknown> = { tools: { listChanged: true } };
  for (const feature of FEDERATED) if (remote[feature] !== undefined) capabilities[feature] = remote[feature];
  return capabilities;
}

/**
 * Makes the desktop relay (`toolport stdio --url`) pass through everything the Toolport endpoint offers beyond tools:
 * resources, prompts, completions and logging requests go to the server as they are (logging/setLevel too, so the
 * server filters for this one client); its resources/prompts notifications and log messages come back; and its
 * sampling, elicitation and roots requests go on to the desktop client, whose answers (or errors) go back.
 */
export function federateRelay(server: Server, client: OrderedClient, timeoutMs: number): void {
  const caps = server.getCapabilities() as Record<string, unknown>;
  const send = client.request.bind(client) as unknown as Raw;
  const handle = server.setRequestHandler.bind(server) as unknown as Handle;
  for (const feature of FEDERATED) {
    if (caps[feature] === undefined) continue;
    for (const method of FORWARDED[feature]) {
      handle(method, async (request, ctx) => {
        const { _meta: _ignored, ...params } = request.params ?? {};
        try {
          return await send({ method, params }, { signal: ctx.mcpReq.signal, timeout: timeoutMs });
        } catch (err) {
          if (err instanceof ClientProtocolError) throw new ProtocolError(err.code, err.message, err.data);
          throw err;
        }
      });
    }
  }
  const quietly = (sent: Promise<void>): void => void sent.catch(() => undefined);
  client.setNotificationHandler('notifications/resources/list_changed', () =>
    quietly(server.sendResourceListChanged()),
  );
  client.setNotificationHandler('notifications/prompts/list_changed', () => quietly(server.sendPromptListChanged()));
  client.setNotificationHandler('notifications/resources/updated', (n) =>
    quietly(server.sendResourceUpdated(n.params)),
  );
  client.setNotificationHandler('notifications/message', (n) => quietly(server.sendLoggingMessage(n.params)));

  const ask = async (run: () => Promise<unknown>): Promise<never> => {
    try {
      return (await run()) as never;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const message = err instanceof Error ? err.message : String(err);
      // The desktop client's own JSON-RPC error goes back as it is; a missing capability is an invalid request.
      throw new ClientProtocolError(typeof code === 'number' && Number.isInteger(code) ? code : -32600, message);
    }
  };
  const options = (ctx: { mcpReq: { signal: AbortSignal } }): RequestOptions => ({
    signal: ctx.mcpReq.signal,
    timeout: ASK_TIMEOUT_MS,
  });
  client.setRequestHandler('sampling/createMessage', (request, ctx) =>
    ask(() => server.createMessage(request.params, options(ctx))),
  );
  client.setRequestHandler('elicitation/create', (request, ctx) =>
    ask(() => server.elicitInput(request.params, options(ctx))),
  );
  client.setRequestHandler('roots/list', (request, ctx) => ask(() => server.listRoots(request.params, options(ctx))));
}
