import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

import { createError, isToolportError, silentLogger } from '../../../core/index.js';
import type { CheckResult, InvokeContext, Logger, SourceInfo, ToolCallResult } from '../../../core/index.js';
import type { ToolDefinition, ToolSource, Trust } from '../../../core/index.js';
import type { ConnectorManifest, PythonConnectorSpec } from '../../../manifest/types.js';

import { cgroupManager, type TreeLimits } from '../../../sandbox/index.js';
import { type EgressProxy, startEgressProxy } from './egress-proxy.js';
import { DEFAULT_TREE_LIMITS, decideLaunch, effectiveLimits } from './launch-policy.js';
import { WorkerPool, type PoolTuning } from './pool.js';
import { runnerPath } from './runner-path.js';
import { detectBwrap, resolvePython } from './sandbox.js';
import { configEnv, createSpawnSpec, EGRESS_SOCKET, type NetworkMode, serveArgs } from './spawn-plan.js';
import { callOnWorker } from './tool-call.js';
import { PythonWorker, RpcError, type SpawnSpec } from './worker.js';

/** Options of {@link createPythonSource}. */
export interface PythonSourceOptions {
  manifest: ConnectorManifest;
  config: Record<string, string>;
  logger?: Logger;
  /** Interpreter command or path; `python3` by default. */
  python?: string;
  /** `auto` uses bubblewrap when it works here; `required` fails without it; `off` never uses it. */
  sandbox?: 'auto' | 'off' | 'required';
  /** Who the code was installed by (`operator` by default): tenant code runs sandboxed or not at all. */
  trust?: Trust;
  /** The bubblewrap command (`TOOLPORT_BWRAP_PATH`; `bwrap` on PATH by default). */
  bwrap?: string;
  /** The operator's opt-out: tenant code may run unsandboxed when bubblewrap cannot be used. */
  allowUnsandboxed?: boolean;
  /** Whether tenant code may have (proxied, public-only) network access (`TOOLPORT_TENANT_NETWORK`). */
  tenantNetwork?: boolean;
  /** How operator code with `allow_network` reaches the network: the host's (`shared`, default) or the proxy. */
  operatorNetwork?: 'shared' | 'proxy';
  /** Lets the egress proxy reach loopback/private addresses; honoured for operator code only. */
  allowPrivateNetworks?: boolean;
  /** Caps on each worker's tree (processes, memory, scratch); the manifest may only lower them. */
  limits?: Partial<TreeLimits>;
  /** Whether to use cgroups for the limits when writable here (default true; false = per-process rlimits). */
  cgroups?: boolean;
  /** Bind the script's folder (not only the file) so it can import its siblings: scripts from file roots. */
  bindScriptDir?: boolean;
  /** Parent directory of the per-source scratch directories (the OS temp dir by default). */
  scratchRoot?: string;
  /** Pool tuning (tests and operators); defaults suit production. */
  pool?: PoolTuning;
  /** How long a worker may take to import the script and answer `initialize`. */
  startTimeoutMs?: number;
}

const SAFE_NAME = /[^A-Za-z0-9_-]/g;

/** The python ToolSource: a warm, bounded pool of runner processes per connector version. */
export class PythonSource implements ToolSource {
  readonly kind = 'python';
  #options: PythonSourceOptions;
  #spec: PythonConnectorSpec;
  #logger: Logger;
  #started: Promise<WorkerPool> | undefined;
  #pool: WorkerPool | undefined;
  #scratch: string | undefined;
  #privateDir: string | undefined;
  #egress: EgressProxy | undefined;
  #sandboxed = false;
  #network: NetworkMode = 'none';
  #limits: { tree: TreeLimits; mode: string } | undefined;
  #tools: ToolDefinition[] | undefined;
  #closed = false;

  constructor(options: PythonSourceOptions) {
    const spec = options.manifest.python;
    if (options.manifest.kind !== 'python' || !spec) {
      throw createError('validation_failed', 'a python source needs a manifest of kind python with a python section');
    }
    if (!spec.script || !isAbsolute(spec.script)) {
      throw createError('validation_failed', 'python.script must be an absolute path (resolved by the registry)');
    }
    this.#options = options;
    this.#spec = spec;
    this.#logger = (options.logger ?? silentLogger).child({ source: 'python', connector: options.manifest.name });
  }

  async load(): Promise<ToolDefinition[]> {
    const pool = await this.#start();
    const worker = await pool.acquire();
    try {
      const result = await worker.request('tools/list', {}).promise;
      pool.release(worker, { healthy: true });
      this.#tools = mergeTools(result.tools, this.#options.manifest);
      return this.#tools;
    } catch (err) {
      pool.release(worker);
      throw toSourceError(err, 'listing the python tools failed');
    }
  }

  async invoke(tool: string, args: Record<string, unknown>, ctx: InvokeContext = {}): Promise<ToolCallResult> {
    if (this.#tools && !this.#tools.some((t) => t.name === tool)) {
      throw createError('tool_not_found', `no tool '${tool}' in python connector '${this.#options.manifest.name}'`);
    }
    const pool = await this.#start();
    if (ctx.signal?.aborted) return { content: [{ type: 'text', text: 'cancelled' }], isError: true };
    const worker = await pool.acquire();
    return callOnWorker({
      pool,
      worker,
      tool,
      args,
      signal: ctx.signal,
      timeoutMs: this.#spec.timeout_ms,
      memoryMb: this.#spec.memory_mb,
      connector: this.#options.manifest.name,
      limits: this.#limits && { tree: this.#limits.tree, scratch: this.#sandboxed },
    });
  }

  async check(): Promise<CheckResult> {
    const startedAt = Date.now();
    const pool = await this.#start();
    pool.assertServing();
    const worker = await pool.acquire();
    const timeoutMs = Math.min(this.#spec.timeout_ms, 10_000);
    const ping = worker.request('ping', {});
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ping.promise,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`ping not answered within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      pool.release(worker, { healthy: true });
      return { ok: true, latencyMs: Date.now() - startedAt, details: this.info() };
    } catch (err) {
      worker.forget(ping.id);
      pool.discard(worker);
      return { ok: false, latencyMs: Date.now() - startedAt, message: (err as Error).message, details: this.info() };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#started?.catch(() => undefined);
    await this.#pool?.close();
    await this.#egress?.close();
    for (const dir of [this.#scratch, this.#privateDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  }

  info(): SourceInfo {
    const stats = this.#pool?.stats() ?? { workers: 0, busy: 0, queued: 0, crashLoop: false };
    const info: SourceInfo = {
      sandboxed: this.#sandboxed,
      trust: this.#options.trust ?? 'operator',
      network: this.#network,
      ...stats,
    };
    if (this.#limits) {
      info.limits = {
        mode: this.#limits.mode,
        maxProcesses: this.#limits.tree.maxProcesses,
        maxMemoryMb: this.#limits.tree.maxMemoryMb,
        // Unsandboxed the scratch is a host folder: nothing bounds its size.
        scratchMb: this.#sandboxed ? this.#limits.tree.scratchMb : null,
      };
    }
    return info;
  }

  #start(): Promise<WorkerPool> {
    if (this.#closed) return Promise.reject(createError('upstream_unavailable', 'the python source is closed'));
    this.#started ??= this.#createPool();
    return this.#started;
  }

  async #createPool(): Promise<WorkerPool> {
    const script = this.#spec.script!;
    let realScript: string;
    try {
      realScript = realpathSync(script);
      if (!statSync(realScript).isFile()) throw new Error('not a file');
    } catch {
      throw createError('upstream_unavailable', `python script not found: ${script}`);
    }
    const install = await resolvePython(this.#options.python ?? 'python3');
    const options = this.#options;
    const trust = options.trust ?? 'operator';
    const mode = options.sandbox ?? 'auto';
    const bwrap = mode === 'off' ? { available: false, reason: 'sandbox off' } : await detectBwrap(options.bwrap);
    const decision = decideLaunch({
      trust,
      sandbox: mode,
      bwrap,
      allowUnsandboxed: options.allowUnsandboxed ?? false,
      allowNetwork: this.#spec.allow_network,
      tenantNetwork: options.tenantNetwork ?? false,
      operatorNetwork: options.operatorNetwork ?? 'shared',
    });
    this.#sandboxed = decision.sandboxed;
    this.#network = decision.network;
    if (!decision.sandboxed && trust === 'tenant') {
      this.#logger.warn({ setting: 'TOOLPORT_ALLOW_UNSANDBOXED' }, 'tenant python code runs UNSANDBOXED');
    }
    const tree = effectiveLimits({ ...DEFAULT_TREE_LIMITS, ...options.limits }, this.#spec);
    const cgroups = options.cgroups === false ? null : cgroupManager();
    this.#limits = { tree, mode: cgroups?.mode ?? 'rlimit' };
    const root = options.scratchRoot ?? join(tmpdir(), 'toolport-python');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    this.#scratch = mkdtempSync(join(root, `${options.manifest.name.replace(SAFE_NAME, '_')}-`));
    // Short and private: env files and the egress socket (a unix socket path must stay under 108 bytes).
    this.#privateDir = mkdtempSync(join(tmpdir(), 'tp-'));
    if (decision.network === 'proxy') {
      this.#egress = await startEgressProxy({
        socketPath: join(this.#privateDir, EGRESS_SOCKET),
        allowPrivateNetworks: trust === 'operator' && (options.allowPrivateNetworks ?? false),
        logger: this.#logger,
      });
    }
    const runner = runnerPath();
    const spawnSpec: SpawnSpec = createSpawnSpec({
      install,
      runner,
      runnerDir: dirname(runner),
      script: realScript,
      scratch: this.#scratch,
      // Under rlimits the launch shell's hard address-space limit is the tree's: the runner may not raise it.
      runnerArgs: serveArgs(
        options.manifest,
        cgroups ? this.#spec : { ...this.#spec, memory_mb: Math.min(this.#spec.memory_mb, tree.maxMemoryMb) },
        realScript,
      ),
      secretsEnv: configEnv(options.manifest, options.config, this.#logger),
      sandboxed: this.#sandboxed,
      network: decision.network,
      ...(options.bwrap ? { bwrap: options.bwrap } : {}),
      privateDir: this.#privateDir,
      scratchMb: tree.scratchMb,
      bindScriptDir: options.bindScriptDir ?? false,
      limits: { tree, cgroups },
    });
    const startTimeoutMs = this.#options.startTimeoutMs ?? Math.max(10_000, this.#spec.timeout_ms);
    this.#pool = new WorkerPool({
      ...this.#options.pool,
      start: () => PythonWorker.start(spawnSpec, startTimeoutMs),
      maxWorkers: this.#spec.max_workers,
      logger: this.#logger,
    });
    return this.#pool;
  }
}

/** Discovered tools, with title/description/annotations from the manifest when it lists the tool. */
function mergeTools(raw: unknown, manifest: ConnectorManifest): ToolDefinition[] {
  const list = Array.isArray(raw) ? (raw as ToolDefinition[]) : [];
  return list.map((tool) => {
    const declared = manifest.tools.find((t) => t.name === tool.name);
    const merged: ToolDefinition = { name: tool.name, inputSchema: tool.inputSchema ?? { type: 'object' } };
    const description = declared?.description ?? tool.description;
    if (description) merged.description = description;
    if (declared?.title) merged.title = declared.title;
    if (tool.outputSchema) merged.outputSchema = tool.outputSchema;
    if (declared?.annotations) merged.annotations = declared.annotations;
    return merged;
  });
}

function toSourceError(err: unknown, message: string): Error {
  if (isToolportError(err)) return err;
  if (err instanceof RpcError) return createError('upstream_unavailable', `${message}: ${err.message}`);
  return createError('upstream_unavailable', `${message}: ${(err as Error).message}`, {}, err);
}
