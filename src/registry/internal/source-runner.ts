import {
  createError,
  isToolportError,
  type Logger,
  type PeerNotification,
  type ToolDefinition,
} from '../../core/index.js';
import type { SourceFactories } from '../source-factory.js';
import type { RegisteredTool } from '../types.js';
import type { LiveConnector } from './live.js';
import { whenIdle } from './source-calls.js';
import type { ValidatorCache } from './validators.js';

/**
 * Starts and stops the ToolSource of a live connector: builds it through the factory of its kind, loads its
 * tools within a deadline, registers them with precompiled validators, and turns any failure into status `error`
 * with the reason (never an exception: a broken connector must not break an install or a restart).
 */
export class SourceRunner {
  readonly #sources: SourceFactories;
  readonly #validators: ValidatorCache;
  readonly #logger: Logger;
  readonly #loadTimeoutMs: number;
  readonly #onUpstream: (live: LiveConnector, notification: PeerNotification) => void;

  constructor(options: {
    sources: SourceFactories;
    validators: ValidatorCache;
    logger: Logger;
    loadTimeoutMs: number;
    /** An upstream MCP source sent a notification for clients (resources, prompts, logging). */
    onUpstream?: (live: LiveConnector, notification: PeerNotification) => void;
  }) {
    this.#onUpstream = options.onUpstream ?? (() => undefined);
    this.#sources = options.sources;
    this.#validators = options.validators;
    this.#logger = options.logger;
    this.#loadTimeoutMs = options.loadTimeoutMs;
  }

  /** Starts the source of `live` (config defaults applied). `onToolsChanged` fires on upstream list changes. */
  async start(live: LiveConnector, onToolsChanged: (live: LiveConnector) => void): Promise<void> {
    const factory = this.#sources[live.record.kind];
    const manifest = live.version.manifest;
    const config: Record<string, string> = {};
    for (const [key, spec] of Object.entries(manifest.config))
      if (spec.default !== undefined) config[key] = spec.default;
    Object.assign(config, live.record.config);
    if (!factory) {
      this.#markLoadFailure(live, `no runtime for connector kind ${live.record.kind} on this node`);
      return;
    }
    let source;
    try {
      source = await factory({
        tenantId: live.record.tenant_id,
        projectId: live.record.project_id,
        connector: live.record.name,
        manifest,
        config,
        trust: live.record.trust,
      });
      const definitions = await withTimeout(source.load(), this.#loadTimeoutMs, `loading ${live.record.name}`);
      live.source = source;
      live.tools = definitions.map((d) => this.register(live.record.name, d));
      live.loadedAt = new Date().toISOString();
      const unwatch: (() => void)[] = [];
      if (source.onToolsChanged) unwatch.push(source.onToolsChanged(() => onToolsChanged(live)));
      if (source.peer) unwatch.push(source.peer.onNotification((n) => this.#onUpstream(live, n)));
      if (unwatch.length > 0) live.unwatchSource = () => unwatch.forEach((stop) => stop());
      if (live.record.status === 'error' && /^failed to load/.test(live.record.status_reason ?? '')) {
        live.record = { ...live.record, status: 'active', status_reason: null };
      }
    } catch (err) {
      await source?.close().catch(() => undefined);
      this.#markLoadFailure(live, `failed to load: ${isToolportError(err) ? err.message : (err as Error).message}`);
    }
  }

  /** Stops the source of `live` (idempotent); a failing close is logged, not thrown. */
  async stop(live: LiveConnector): Promise<void> {
    live.unwatchSource?.();
    live.unwatchSource = undefined;
    const source = live.source;
    live.source = undefined;
    if (source) await whenIdle(source, DRAIN_CAP_MS);
    await source?.close().catch((err: unknown) => {
      this.#logger.warn({ connector: live.record.name, err: (err as Error).message }, 'source close failed');
    });
  }

  /** A served tool: definition plus its validator, compiled once per distinct schema. */
  register(connector: string, definition: ToolDefinition): RegisteredTool {
    return Object.freeze({
      connector,
      name: definition.name,
      qualifiedName: `${connector}__${definition.name}`,
      definition,
      validate: this.#validators.compile(definition.inputSchema),
    });
  }

  #markLoadFailure(live: LiveConnector, reason: string): void {
    live.source = undefined;
    live.tools = [];
    live.record = { ...live.record, status: 'error', status_reason: reason };
    this.#logger.warn(
      { connector: live.record.name, project: live.record.project_id, reason },
      'connector failed to load',
    );
  }
}

/** Longest a stopping source waits for the calls running on it before it is closed under them. */
const DRAIN_CAP_MS = 10_000;

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(createError('tool_timeout', `${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
