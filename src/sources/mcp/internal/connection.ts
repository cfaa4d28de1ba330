import {
  type Client,
  SdkHttpError,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client';
import {
  type ClientRequestMethod,
  createLinearSchemaValidator,
  type Logger,
  type PeerNotification,
  type Trust,
} from '../../../core/index.js';
import { createGuardedFetch } from './guarded-fetch.js';
import type { LaunchSpec } from './launch-spec.js';
import { OrderedClient } from './ordered-client.js';
import { ProcessTransport } from './process-transport.js';
import { planStdioProcess, type StdioSandboxOptions } from './stdio-plan.js';
import { assertPublicUrl, refusingLookup } from './url-guard.js';

/** One live session with the upstream: a connected SDK client and, for stdio, its child process. */
export interface UpstreamConnection {
  readonly client: Client;
  readonly transport: 'stdio' | 'http' | 'sse';
  readonly pid?: number;
  /** Closes the session; a stdio child's whole process group gets SIGTERM, then SIGKILL after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

/** Inputs of {@link openConnection}. */
export interface OpenOptions {
  launch: LaunchSpec;
  /** Who the connector was admitted for: `tenant` stdio upstreams run sandboxed. */
  trust: Trust;
  sandbox?: StdioSandboxOptions;
  allowPrivateNetworks: boolean;
  logger: Logger;
  connectTimeoutMs: number;
  /** The connection ended (child exit, transport closed) without {@link UpstreamConnection.close}. */
  onClose: () => void;
  /** The upstream sent `notifications/tools/list_changed`. */
  onToolsChanged: () => void;
  /** The upstream sent another notification a client may want (resources, prompts, logging). */
  onNotification: (notification: PeerNotification) => void;
  /** The upstream asks the client something (sampling, elicitation, roots): answered by the relay, or an error. */
  onClientRequest: (method: ClientRequestMethod, params: unknown, signal: AbortSignal) => Promise<unknown>;
}

/**
 * What the upstream client declares: sampling, elicitation and roots are relayed to the client session whose call
 * caused them, so servers list the tools that need them.
 */
const CLIENT_CAPABILITIES = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};
/** Upstream notifications relayed to clients (tools/list_changed has its own path: it reloads the connector). */
const RELAYED_NOTIFICATIONS = [
  'notifications/resources/list_changed',
  'notifications/resources/updated',
  'notifications/prompts/list_changed',
  'notifications/message',
] as const;
const CLIENT_REQUESTS: readonly ClientRequestMethod[] = ['sampling/createMessage', 'elicitation/create', 'roots/list'];

const CLIENT_INFO = { name: 'toolport-upstream', version: '0.1.0' };
/** A list walk stops here: a server whose cursors never converge must not hang a load. */
const LIST_MAX_PAGES = 1000;
const STDERR_LINE_CAP = 500;

/** Connects to the upstream described by `launch`; throws when it cannot be started or does not initialise. */
export async function openConnection(options: OpenOptions): Promise<UpstreamConnection> {
  const { launch } = options;
  if (launch.transport === 'stdio') {
    const spec = await planStdioProcess({
      launch,
      trust: options.trust,
      ...(options.sandbox ? { sandbox: options.sandbox } : {}),
      logger: options.logger,
    });
    const transport = new ProcessTransport(spec);
    forwardStderr(transport, options.logger);
    const client = await connectClient(transport, options);
    const pid = transport.pid;
    return {
      client,
      transport: 'stdio',
      ...(pid ? { pid } : {}),
      close: async (grace) => {
        transport.setGrace(grace);
        await client.close().catch(() => undefined);
        await transport.close();
      },
    };
  }
  // Every socket resolves through the guarded lookup: the address checked is the address connected to.
  const guarded = options.allowPrivateNetworks ? undefined : createGuardedFetch(refusingLookup);
  if (!options.allowPrivateNetworks) await assertPublicUrl(launch.url);
  const transportOptions = { requestInit: { headers: launch.headers }, ...(guarded ? { fetch: guarded.fetch } : {}) };
  const closeHttp = async (client: Client): Promise<void> => {
    await client.close();
    guarded?.close();
  };
  try {
    try {
      const client = await connectClient(new StreamableHTTPClientTransport(launch.url, transportOptions), options);
      return { client, transport: 'http', close: () => closeHttp(client) };
    } catch (err) {
      // A 2024-11-05 server answers the Streamable HTTP POST with 404/405 (or 400): retry as legacy HTTP+SSE.
      if (!(err instanceof SdkHttpError) || ![400, 404, 405].includes(err.status)) throw err;
      options.logger.debug({ status: err.status }, 'upstream is not Streamable HTTP; trying legacy SSE');
    }
    const client = await connectClient(new SSEClientTransport(launch.url, transportOptions), options);
    return { client, transport: 'sse', close: () => closeHttp(client) };
  } catch (err) {
    guarded?.close();
    throw err;
  }
}

async function connectClient(transport: Transport, options: OpenOptions): Promise<Client> {
  const client = new OrderedClient(CLIENT_INFO, {
    capabilities: CLIENT_CAPABILITIES,
    listMaxPages: LIST_MAX_PAGES,
    // The upstream's outputSchema patterns run on the linear-time engine, never on V8's RegExp.
    jsonSchemaValidator: createLinearSchemaValidator(),
  });
  client.setNotificationHandler('notifications/tools/list_changed', () => options.onToolsChanged());
  for (const method of RELAYED_NOTIFICATIONS) {
    client.setNotificationHandler(method, (notification) => {
      const params = notification.params as Record<string, unknown> | undefined;
      options.onNotification(params === undefined ? { method } : { method, params });
    });
  }
  for (const method of CLIENT_REQUESTS) {
    client.setRequestHandler(
      method,
      (request, ctx) => options.onClientRequest(method, request.params, ctx.mcpReq.signal) as never,
    );
  }
  let connected = false;
  client.onclose = () => {
    if (connected) options.onClose();
  };
  try {
    await client.connect(transport, { timeout: options.connectTimeoutMs });
  } catch (err) {
    // A child that started but failed the handshake must not outlive the attempt.
    await client.close().catch(() => undefined);
    await transport.close().catch(() => undefined);
    throw err;
  }
  connected = true;
  // The upstream is shared: it logs everything to Toolport, which filters per client session (logging/setLevel).
  if (client.getServerCapabilities()?.logging) {
    await client.setLoggingLevel('debug', { timeout: options.connectTimeoutMs }).catch((err: unknown) => {
      options.logger.debug(
        { err: err instanceof Error ? err.message : String(err) },
        'upstream logging/setLevel failed',
      );
    });
  }
  return client;
}

/** Upstream stderr goes to the debug log, line by line and capped: it is diagnostics, not protocol. */
function forwardStderr(transport: ProcessTransport, logger: Logger): void {
  let pending = '';
  transport.stderr.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trimEnd();
      pending = pending.slice(newline + 1);
      if (line) logger.debug({ stderr: line.slice(0, STDERR_LINE_CAP) }, 'upstream stderr');
      newline = pending.indexOf('\n');
    }
    if (pending.length > STDERR_LINE_CAP * 4) pending = pending.slice(-STDERR_LINE_CAP);
  });
}
