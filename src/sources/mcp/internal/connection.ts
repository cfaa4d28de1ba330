import {
  type Client,
  SdkError,
  SdkErrorCode,
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
import { LeanCalls } from './lean-calls.js';
import { OrderedClient } from './ordered-client.js';
import { ProcessTransport } from './process-transport.js';
import { planStdioProcess, type StdioSandboxOptions } from './stdio-plan.js';
import { assertPublicUrl, refusingLookup } from './url-guard.js';

/** One live session with the upstream: a connected SDK client and, for stdio, its child process. */
export interface UpstreamConnection {
  readonly client: Client;
  readonly transport: 'stdio' | 'http' | 'sse';
  readonly pid?: number;
  /** `tools/call` past the SDK client's request machinery: stdio connections of the 2025 era only. */
  readonly lean?: LeanCalls;
  /** Closes the session; a stdio child's whole process group gets SIGTERM, then SIGKILL after `graceMs`. */
  close(graceMs: number): Promise<void>;
  /** Once a stdio child has ended: the limits (processes, memory) its tree had hit, as one message. */
  exitReason?(): string | undefined;
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
  /**
   * The connection ended (child exit, transport closed) without {@link UpstreamConnection.close}; `reason` names
   * the limits a stdio child's tree had hit.
   */
  onClose: (reason?: string) => void;
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
/** The first sessionless protocol revision. */
const MODERN_ERA = '2026-07-28';
/** How long a stdio upstream may take to answer the era probe (`server/discover`) before it is taken for 2025. */
const PROBE_TIMEOUT_MS = 10_000;
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
    let transport = new ProcessTransport(spec);
    forwardStderr(transport, options.logger);
    let client: OrderedClient;
    try {
      // 2026-07-28 where the upstream offers it: its questions (sampling, elicitation, roots) then come back as
      // input_required results of the very request that caused them, so they reach exactly that request's client.
      client = await connectClient(transport, options, true);
    } catch (err) {
      if (!(err instanceof SdkError) || err.code !== SdkErrorCode.EraNegotiationFailed) throw err;
      // A 2025 server that exits on a request before `initialize` (the probe): start it again, 2025 at once.
      options.logger.debug({ err: err.message }, 'upstream closed on the protocol probe; connecting 2025-era');
      transport = new ProcessTransport(spec);
      forwardStderr(transport, options.logger);
      client = await connectClient(transport, options, false);
    }
    const pid = transport.pid;
    return {
      client,
      transport: 'stdio',
      ...(pid ? { pid } : {}),
      ...(isModernConnection(client) ? {} : { lean: new LeanCalls(transport, client) }),
      close: async (grace) => {
        transport.setGrace(grace);
        await client.close().catch(() => undefined);
        await transport.close();
      },
      exitReason: () => exitReason(transport),
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

async function connectClient(transport: Transport, options: OpenOptions, negotiate = false): Promise<OrderedClient> {
  const client = new OrderedClient(CLIENT_INFO, {
    capabilities: CLIENT_CAPABILITIES,
    ...(negotiate
      ? {
          versionNegotiation: {
            mode: 'auto',
            probe: { timeoutMs: Math.min(PROBE_TIMEOUT_MS, options.connectTimeoutMs) },
          } as const,
        }
      : {}),
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
    if (connected) options.onClose(transport instanceof ProcessTransport ? exitReason(transport) : undefined);
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
  if (isModernConnection(client)) {
    // 2026-07-28: change notifications arrive on a subscriptions/listen stream (to the same handlers); the log
    // level travels with every request (see McpPeer), there is no logging/setLevel.
    await listenForListChanges(client, options);
    return client;
  }
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

/** The limits a stdio child's tree had hit when it ended, as one message (undefined: none, or still running). */
function exitReason(transport: ProcessTransport): string | undefined {
  const hits = transport.exitLimits;
  return hits.length ? hits.map((hit) => hit.message).join('; ') : undefined;
}

/** Whether the connection negotiated the 2026-07-28 era (or later): sessionless, questions as input_required. */
export function isModernConnection(client: Client): boolean {
  const version = client.getNegotiatedProtocolVersion();
  return version !== undefined && version >= MODERN_ERA;
}

async function listenForListChanges(client: Client, options: OpenOptions): Promise<void> {
  const caps = client.getServerCapabilities() as Record<string, { listChanged?: boolean } | undefined> | undefined;
  const filter = {
    ...(caps?.tools?.listChanged ? { toolsListChanged: true } : {}),
    ...(caps?.prompts?.listChanged ? { promptsListChanged: true } : {}),
    ...(caps?.resources?.listChanged ? { resourcesListChanged: true } : {}),
  };
  if (Object.keys(filter).length === 0) return;
  // The stream lives as long as the connection (closing the client ends it).
  await client.listen(filter, { timeout: options.connectTimeoutMs }).catch((err: unknown) => {
    options.logger.debug(
      { err: err instanceof Error ? err.message : String(err) },
      'upstream subscriptions/listen for list changes failed',
    );
  });
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
