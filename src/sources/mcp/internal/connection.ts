import {
  Client,
  SdkHttpError,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createLinearSchemaValidator, type Logger } from '../../../core/index.js';
import type { LaunchSpec } from './launch-spec.js';
import { assertPublicUrl } from './url-guard.js';

/** One live session with the upstream: a connected SDK client and, for stdio, its child process. */
export interface UpstreamConnection {
  readonly client: Client;
  readonly transport: 'stdio' | 'http' | 'sse';
  readonly pid?: number;
  /** Closes the session; a stdio child gets SIGTERM, then SIGKILL after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

/** Inputs of {@link openConnection}. */
export interface OpenOptions {
  launch: LaunchSpec;
  allowPrivateNetworks: boolean;
  logger: Logger;
  connectTimeoutMs: number;
  /** The connection ended (child exit, transport closed) without {@link UpstreamConnection.close}. */
  onClose: () => void;
  /** The upstream sent `notifications/tools/list_changed`. */
  onToolsChanged: () => void;
}

const CLIENT_INFO = { name: 'toolport-upstream', version: '0.1.0' };
/** A list walk stops here: a server whose cursors never converge must not hang a load. */
const LIST_MAX_PAGES = 1000;
const STDERR_LINE_CAP = 500;

/** Connects to the upstream described by `launch`; throws when it cannot be started or does not initialise. */
export async function openConnection(options: OpenOptions): Promise<UpstreamConnection> {
  const { launch } = options;
  if (launch.transport === 'stdio') {
    const transport = new StdioClientTransport({
      command: launch.command,
      args: launch.args,
      env: launch.env,
      ...(launch.cwd !== undefined ? { cwd: launch.cwd } : {}),
      stderr: 'pipe',
    });
    forwardStderr(transport, options.logger);
    const client = await connectClient(transport, options);
    const pid = transport.pid ?? undefined;
    return { client, transport: 'stdio', ...(pid ? { pid } : {}), close: (grace) => closeStdio(client, pid, grace) };
  }
  if (!options.allowPrivateNetworks) await assertPublicUrl(launch.url);
  const requestInit = { headers: launch.headers };
  try {
    const client = await connectClient(new StreamableHTTPClientTransport(launch.url, { requestInit }), options);
    return { client, transport: 'http', close: () => client.close() };
  } catch (err) {
    // A 2024-11-05 server answers the Streamable HTTP POST with 404/405 (or 400): retry as legacy HTTP+SSE.
    if (!(err instanceof SdkHttpError) || ![400, 404, 405].includes(err.status)) throw err;
    options.logger.debug({ status: err.status }, 'upstream is not Streamable HTTP; trying legacy SSE');
  }
  const client = await connectClient(new SSEClientTransport(launch.url, { requestInit }), options);
  return { client, transport: 'sse', close: () => client.close() };
}

async function connectClient(transport: Transport, options: OpenOptions): Promise<Client> {
  const client = new Client(CLIENT_INFO, {
    capabilities: {},
    listMaxPages: LIST_MAX_PAGES,
    // The upstream's outputSchema patterns run on the linear-time engine, never on V8's RegExp.
    jsonSchemaValidator: createLinearSchemaValidator(),
  });
  client.setNotificationHandler('notifications/tools/list_changed', () => options.onToolsChanged());
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
  return client;
}

/** Upstream stderr goes to the debug log, line by line and capped: it is diagnostics, not protocol. */
function forwardStderr(transport: StdioClientTransport, logger: Logger): void {
  let pending = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
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

async function closeStdio(client: Client, pid: number | undefined, graceMs: number): Promise<void> {
  const closing = client.close().catch(() => undefined);
  if (pid === undefined || !isAlive(pid)) return closing;
  signal(pid, 'SIGTERM');
  const exited = await Promise.race([closing.then(() => true), delay(graceMs).then(() => false)]);
  if (!exited && isAlive(pid)) signal(pid, 'SIGKILL');
  await closing;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing to do.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
