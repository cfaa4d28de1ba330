import { performance } from 'node:perf_hooks';
import { ProtocolError, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { createError, isSafeToProbe, isToolportError, NO_SAFE_TOOL, silentLogger } from '../../../core/index.js';
import { textResult, unavailableResult } from '../../../core/index.js';
import type { CheckResult, InvokeContext, Logger, SourceInfo, ToolCallResult } from '../../../core/index.js';
import type { ToolDefinition, ToolSource, Trust } from '../../../core/index.js';
import type { ConnectorManifest } from '../../../manifest/types.js';
import { cgroupManager, type LimitMode, type ProcessLimits } from '../../../sandbox/index.js';
import { openConnection, type UpstreamConnection } from './connection.js';
import { describeLaunch, resolveLaunchSpec, type LaunchSpec } from './launch-spec.js';
import { toToolCallResult, toToolDefinition } from './mapping.js';
import { McpPeer } from './peer.js';
import type { StdioSandboxOptions } from './stdio-plan.js';
import { Supervisor, type RestartPolicy } from './supervisor.js';

/** Options of an upstream MCP tool source. */
export interface McpSourceOptions {
  manifest: ConnectorManifest;
  /** Install-time config values (secrets included) for `${config.KEY}` in command, args, env, url, headers. */
  config: Record<string, string>;
  logger?: Logger;
  /** Who the connector was admitted for (default `operator`): `tenant` stdio upstreams run sandboxed. */
  trust?: Trust;
  /** How tenant stdio upstreams are confined; required for them to start. */
  sandbox?: StdioSandboxOptions;
  /** Lets a URL upstream be a loopback/private address (operator switch, off by default). */
  allowPrivateNetworks?: boolean;
  /** Reconnect backoff after the upstream is lost: `baseMs` (default 500) doubling up to `maxMs` (default 30 s). */
  restart?: Partial<RestartPolicy>;
  /** Time allowed for spawn + `initialize` (default 30 s). */
  connectTimeoutMs?: number;
  /** Time a call may go without an answer or a progress notification (default 60 s). */
  callTimeoutMs?: number;
  /** On close, time between SIGTERM and SIGKILL for a stdio child (default 2 s). */
  killGraceMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_CALL_TIMEOUT_MS = 60_000;
const DEFAULT_KILL_GRACE_MS = 2_000;
const CHECK_TIMEOUT_MS = 10_000;

/** The upstream MCP runtime: one supervised session per source, shared by every caller. */
export class McpSource implements ToolSource {
  readonly kind = 'mcp';
  readonly #launch: LaunchSpec;
  readonly #logger: Logger;
  readonly #supervisor: Supervisor;
  readonly #callTimeoutMs: number;
  readonly #listeners = new Set<() => void>();
  /** Resources, prompts, completions, logging and server→client requests of the shared connection. */
  readonly peer: McpPeer;
  /** The last tool list seen, to tell whether a reconnected upstream changed its tools. */
  #toolsKey: string | undefined;
  /** Tools of the last list without an output schema: their results need no check beyond the SDK's result schema. */
  #unchecked = new Set<string>();
  /** The process and memory limits of a tenant stdio upstream's tree, and how they are enforced here. */
  readonly #limits: (ProcessLimits & { mode: LimitMode }) | undefined;

  constructor(options: McpSourceOptions) {
    this.#launch = resolveLaunchSpec(options.manifest, options.config);
    this.#logger = (options.logger ?? silentLogger).child({ upstream: describeLaunch(this.#launch) });
    this.#callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const limits = options.sandbox?.limits;
    if (limits && options.trust === 'tenant' && this.#launch.transport === 'stdio') {
      this.#limits = { mode: cgroupManager()?.mode ?? 'rlimit', ...limits };
    }
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.peer = new McpPeer({
      connect: async () => {
        const conn = await this.#supervisor.connect();
        this.peer.adopt(conn);
        return conn;
      },
      failed: (conn, err) => {
        if (isTransportFailure(err)) this.#supervisor.markLost(conn);
      },
      timeoutMs: this.#callTimeoutMs,
      logger: this.#logger,
    });
    this.#supervisor = new Supervisor({
      open: (hooks) =>
        openConnection({
          launch: this.#launch,
          trust: options.trust ?? 'operator',
          ...(options.sandbox ? { sandbox: options.sandbox } : {}),
          allowPrivateNetworks: options.allowPrivateNetworks ?? false,
          logger: this.#logger,
          connectTimeoutMs,
          ...hooks,
        }),
      restart: options.restart ?? {},
      killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      logger: this.#logger,
      onToolsChanged: () => this.#emitToolsChanged(),
      onNotification: (notification) => this.peer.emit(notification),
      onClientRequest: (method, params, signal) => this.peer.answer(method, params, signal),
      onReconnected: (conn) => {
        this.peer.adopt(conn);
        void this.#compareTools(conn);
      },
    });
  }

  async load(): Promise<ToolDefinition[]> {
    let conn: UpstreamConnection;
    try {
      conn = await this.#supervisor.connect();
    } catch (err) {
      throw asUnavailable(err);
    }
    this.peer.adopt(conn);
    try {
      const tools = await this.#listTools(conn, this.#callTimeoutMs);
      this.#toolsKey = JSON.stringify(tools);
      return tools;
    } catch (err) {
      if (isTransportFailure(err)) this.#supervisor.markLost(conn);
      throw createError('upstream_unavailable', `upstream tools/list failed: ${errorMessage(err)}`, {}, err);
    }
  }

  async invoke(tool: string, args: Record<string, unknown>, ctx: InvokeContext = {}): Promise<ToolCallResult> {
    const down = this.#supervisor.downReason();
    if (down) return unavailableResult(down);
    let conn: UpstreamConnection;
    try {
      conn = await this.#supervisor.connect();
    } catch (err) {
      return unavailableResult(`upstream not connected: ${errorMessage(err)}`);
    }
    const onProgress = ctx.onProgress;
    try {
      const result = await this.peer.callTool(
        conn,
        { name: tool, arguments: args },
        {
          timeout: this.#callTimeoutMs,
          resetTimeoutOnProgress: true,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          ...(onProgress
            ? {
                onprogress: (p: { progress: number; total?: number; message?: string }) =>
                  onProgress({
                    progress: p.progress,
                    ...(p.total !== undefined ? { total: p.total } : {}),
                    ...(p.message !== undefined ? { message: p.message } : {}),
                  }),
              }
            : {}),
        },
        ctx.caller,
        // Nothing to relay or order around the result, nothing to check but its shape: the lean path will do.
        !onProgress && !ctx.caller && this.#unchecked.has(tool),
      );
      return toToolCallResult(result as Record<string, unknown>);
    } catch (err) {
      return this.#callFailure(err, conn, ctx.signal);
    }
  }

  async check(): Promise<CheckResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 1000) / 1000;
    const down = this.#supervisor.downReason();
    if (down) return { ok: false, latencyMs: 0, message: down, details: this.info() };
    let conn: UpstreamConnection | undefined;
    try {
      conn = await this.#supervisor.connect();
      await conn.client.ping({ timeout: CHECK_TIMEOUT_MS });
      const tools = await this.#listTools(conn, CHECK_TIMEOUT_MS);
      // Health by real execution: run the first tool the upstream marks read-only that needs no arguments.
      const safe = tools.filter((t) => isSafeToProbe(t)).sort((a, b) => a.name.localeCompare(b.name))[0];
      const details = { ...this.info(), tools: tools.length, tool: safe?.name ?? null };
      if (!safe) return { ok: true, latencyMs: elapsed(), details: { ...details, reason: NO_SAFE_TOOL } };
      const result = toToolCallResult(
        (await conn.client.callTool({ name: safe.name, arguments: {} }, { timeout: CHECK_TIMEOUT_MS })) as Record<
          string,
          unknown
        >,
      );
      if (result.isError)
        return { ok: false, latencyMs: elapsed(), message: `tool ${safe.name} answered an error`, details };
      return { ok: true, latencyMs: elapsed(), message: `tool ${safe.name} answered`, details };
    } catch (err) {
      if (conn && isTransportFailure(err)) this.#supervisor.markLost(conn);
      return { ok: false, latencyMs: elapsed(), message: `upstream check failed: ${errorMessage(err)}` };
    }
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#supervisor.close();
  }

  info(): SourceInfo {
    return {
      transport: this.#launch.transport,
      ...this.#supervisor.info(),
      ...(this.#limits ? { limits: this.#limits } : {}),
    };
  }

  onToolsChanged(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #listTools(conn: UpstreamConnection, timeout: number): Promise<ToolDefinition[]> {
    // `refresh` always asks the upstream (its list may have changed) and keeps the SDK's tool index current.
    const { tools } = await conn.client.listTools(undefined, { timeout, cacheMode: 'refresh' });
    this.#unchecked = new Set(tools.filter((t) => t.outputSchema === undefined).map((t) => t.name));
    return tools.map(toToolDefinition);
  }

  #emitToolsChanged(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (err) {
        this.#logger.warn({ err: errorMessage(err) }, 'tools-changed listener failed');
      }
    }
  }

  /** After a restart the upstream may serve other tools (e.g. it was upgraded): announce only a real change. */
  async #compareTools(conn: UpstreamConnection): Promise<void> {
    try {
      const key = JSON.stringify(await this.#listTools(conn, this.#callTimeoutMs));
      if (this.#toolsKey !== undefined && key !== this.#toolsKey) this.#emitToolsChanged();
      this.#toolsKey = key;
    } catch (err) {
      this.#logger.warn({ err: errorMessage(err) }, 'tools/list after reconnect failed');
    }
  }

  #callFailure(err: unknown, conn: UpstreamConnection, signal: AbortSignal | undefined): ToolCallResult {
    if (signal?.aborted) return textResult('call cancelled', true);
    if (err instanceof ProtocolError) {
      // A JSON-RPC error is the upstream's own answer (unknown tool, invalid params): no reconnect needed.
      return textResult(`upstream error ${err.code}: ${err.message}`, true);
    }
    if (err instanceof SdkError && err.code === SdkErrorCode.RequestTimeout) {
      return unavailableResult(`upstream did not answer within ${this.#callTimeoutMs} ms`);
    }
    if (isTransportFailure(err)) {
      this.#supervisor.markLost(conn);
      // An upstream killed for its memory (or failing after its process limit) says so, naming the setting.
      const limit = conn.exitReason?.();
      return unavailableResult(`upstream connection failed: ${errorMessage(err)}${limit ? ` — ${limit}` : ''}`);
    }
    return textResult(`upstream call failed: ${errorMessage(err)}`, true);
  }
}

/** True for failures of the channel itself (closed pipe, refused socket, HTTP status), not of the call. */
function isTransportFailure(err: unknown): boolean {
  if (err instanceof ProtocolError) return false;
  if (err instanceof SdkError) {
    return ![SdkErrorCode.RequestTimeout, SdkErrorCode.InvalidResult, SdkErrorCode.CapabilityNotSupported].includes(
      err.code as SdkErrorCode,
    );
  }
  return err instanceof Error && (err.name === 'TypeError' || 'code' in err);
}

function asUnavailable(err: unknown): Error {
  if (isToolportError(err)) return err;
  return createError('upstream_unavailable', `upstream did not start: ${errorMessage(err)}`, {}, err);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
