import { resolve } from 'node:path';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server, type ServerContext } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { loadConfig } from '../config/index.js';
import { createError, createJsonLogger } from '../core/index.js';
import { Registry } from '../registry/index.js';
import { OrderedClient } from '../sources/mcp/index.js';
import { createSecretBox, openStore } from '../store/index.js';
import { packageVersion } from './paths.js';
import { federateRelay, RELAY_CLIENT_CAPABILITIES, relayCapabilities } from './relay-federation.js';
import { createSourceFactories } from './sources.js';
import { runStdio } from './stdio.js';

/** Options of `toolport stdio`. */
export interface StdioCommandOptions {
  project: string;
  connector?: string;
  tenant: string;
  data?: string;
  databaseUrl?: string;
  url?: string;
  token?: string;
  /** With `url`: a relayed call fails after this long with neither an answer nor progress (default 60 s). */
  idleTimeoutMs?: number;
}

/**
 * `toolport stdio`: serves one project over stdio, either from a local store (`--data`/`--database-url`; the
 * tools run in this process) or by relaying to a running server (`--url` + `--token`). Logs go to stderr only:
 * stdout is the protocol channel.
 */
export async function runStdioCommand(opts: StdioCommandOptions): Promise<void> {
  if (opts.url) return relayToServer(opts);
  const config = loadConfig({
    flags: {
      ...(opts.data ? { dataDir: opts.data } : {}),
      ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      hotReload: false,
    },
  });
  const logger = createJsonLogger({ level: 'warn', stream: process.stderr });
  const dataDir = resolve(config.dataDir);
  const store = await openStore({
    ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
    dataDir,
    secretBox: createSecretBox({
      ...(config.secretKey ? { key: config.secretKey } : {}),
      keyFile: `${dataDir}/secret.key`,
    }),
    logger,
  });
  const registry = new Registry({
    store,
    sources: createSourceFactories({ config, store, dataDir, logger }),
    logger,
    nodeId: `stdio-${process.pid}`,
  });
  await registry.start();
  if (!registry.getSnapshot(opts.tenant, opts.project)) {
    await registry.close();
    await store.close();
    throw createError('not_found', `project ${opts.project} not found in tenant ${opts.tenant}`);
  }
  const shutdown = async (): Promise<void> => {
    await registry.close();
    await store.close();
    process.exit(0);
  };
  process.stdin.on('end', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  await runStdio({
    provider: registry,
    tenantId: opts.tenant,
    projectId: opts.project,
    ...(opts.connector ? { connector: opts.connector } : {}),
  });
}

/** Relays a stdio client to `/mcp/{project}[/{connector}]` of a running Toolport server. */
async function relayToServer(opts: StdioCommandOptions): Promise<void> {
  const base = opts.url!.replace(/\/+$/, '');
  const path = `/mcp/${encodeURIComponent(opts.project)}${opts.connector ? `/${encodeURIComponent(opts.connector)}` : ''}`;
  const client = new OrderedClient(
    { name: 'toolport-stdio', version: packageVersion() },
    { capabilities: RELAY_CLIENT_CAPABILITIES },
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${base}${path}`), {
    requestInit: { headers: opts.token ? { Authorization: `Bearer ${opts.token}` } : {} },
  });
  await client.connect(transport);
  const instructions = client.getInstructions();
  const server = new Server(
    { name: 'toolport', version: packageVersion() },
    { capabilities: relayCapabilities(client), ...(instructions ? { instructions } : {}) },
  );
  federateRelay(server, client, opts.idleTimeoutMs ?? DEFAULT_RELAY_IDLE_TIMEOUT_MS);
  server.setRequestHandler('tools/list', (request) => client.listTools(request.params));
  server.setRequestHandler('tools/call', (request, ctx) => {
    // The client's own progress token stays here; the server gets the relay's, mapped back in onprogress.
    const { _meta, ...params } = request.params;
    const { progressToken: _clientToken, ...meta } = _meta ?? {};
    return client.callTool(
      { ...params, ...(Object.keys(meta).length ? { _meta: meta } : {}) },
      relayOptions(ctx, opts.idleTimeoutMs ?? DEFAULT_RELAY_IDLE_TIMEOUT_MS),
    );
  });
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    void server.sendToolListChanged().catch(() => undefined);
  });
  await server.connect(new StdioServerTransport());
  process.stdin.on('end', () => {
    void client.close().finally(() => process.exit(0));
  });
}

const DEFAULT_RELAY_IDLE_TIMEOUT_MS = 60_000;

/** A relayed call lives while the server answers or reports progress; the client's cancellation reaches it. */
function relayOptions(ctx: ServerContext, idleTimeoutMs: number): Parameters<OrderedClient['callTool']>[1] {
  const token = ctx.mcpReq._meta?.progressToken;
  return {
    signal: ctx.mcpReq.signal,
    timeout: idleTimeoutMs,
    resetTimeoutOnProgress: true,
    // Progress is always asked for, so a long call stays alive even when the client wants no reports.
    onprogress: (p) => {
      if (token === undefined) return;
      void ctx.mcpReq
        .notify({ method: 'notifications/progress', params: { ...p, progressToken: token } })
        .catch(() => undefined);
    },
  };
}
