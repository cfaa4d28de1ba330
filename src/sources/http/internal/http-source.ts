import { performance } from 'node:perf_hooks';
import { createError, isToolportError, isSafeToProbe, NO_SAFE_TOOL, silentLogger } from '../../../core/index.js';
import { systemClock, textResult, unavailableResult } from '../../../core/index.js';
import type { CheckResult, Clock, InvokeContext, Logger, SourceInfo, ToolCallResult } from '../../../core/index.js';
import type { ToolDefinition, ToolSource } from '../../../core/index.js';
import type { ConnectorManifest, HttpConnectorSpec } from '../../../manifest/types.js';
import { createAuthenticator, type Authenticator } from './auth.js';
import { OAuthTokenCache, TokenError } from './oauth-token-cache.js';
import { Redactor } from './redactor.js';
import { ArgumentError, buildRequest } from './request-plan.js';
import { toToolResult } from './response.js';
import {
  DEFAULT_BACKOFF,
  backoffDelay,
  isRetryableNetworkError,
  isRetryableStatus,
  parseRetryAfter,
  sleep,
  type BackoffOptions,
} from './retry-policy.js';
import {
  collectSecretValues,
  compileTemplate,
  createConfigResolver,
  MissingConfigError,
  type Template,
} from './templates.js';
import { compileToolPlans, type ToolPlan } from './tool-plan.js';
import { NetworkError, Transport, type WireResponse } from './transport.js';

/** Options of an HTTP tool source. */
export interface HttpSourceOptions {
  manifest: ConnectorManifest;
  /** Install-time config values (secrets included); templates read them per call. */
  config: Record<string, string>;
  /** Lets connectors reach loopback/private/link-local addresses (operator switch, off by default). */
  allowPrivateNetworks: boolean;
  logger?: Logger;
  /** Time source for token expiry and Retry-After dates. */
  clock?: Clock;
  /** Retry timing; tests shorten it. */
  backoff?: Partial<BackoffOptions>;
  /** Sockets per origin in the keep-alive pool (default 32). */
  maxSockets?: number;
  /** Not supported on purpose: the address check and pinning live in this source's own transport. */
  fetchImpl?: never;
}

const DEFAULT_HEADERS: readonly [string, string][] = [
  ['accept', 'application/json, */*;q=0.5'],
  ['user-agent', 'toolport-http/0.1'],
];
/** A health check never waits longer than this, whatever the connector's call timeout. */
const CHECK_TIMEOUT_CAP_MS = 10_000;

/** The first tool (by name) that a health check may run: read-only and callable without arguments. */
function pickSafeTool(tools: ReadonlyMap<string, ToolPlan>): ToolPlan | undefined {
  return [...tools.values()]
    .filter((plan) => isSafeToProbe(plan.definition, plan.request.method === 'GET' || plan.request.method === 'HEAD'))
    .sort((a, b) => a.definition.name.localeCompare(b.definition.name))[0];
}

/** The HTTP runtime: each manifest tool is one HTTP call. */
export class HttpSource implements ToolSource {
  readonly kind = 'http';
  readonly #spec: HttpConnectorSpec;
  readonly #tools: Map<string, ToolPlan>;
  readonly #definitions: ToolDefinition[];
  readonly #baseUrl: Template;
  readonly #resolve: (t: Template) => string;
  readonly #auth: Authenticator;
  readonly #transport: Transport;
  readonly #redactor: Redactor;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #backoff: BackoffOptions;
  #parsedBase: { text: string; url: URL } | undefined;
  #closed = false;
  #closing: Promise<void> = Promise.resolve();

  constructor(options: HttpSourceOptions) {
    const { http, tools } = compileToolPlans(options.manifest);
    this.#spec = http;
    this.#tools = tools;
    this.#definitions = [...tools.values()].map((plan) => plan.definition);
    this.#baseUrl = compileTemplate(http.base_url);
    this.#resolve = createConfigResolver(options.config, options.manifest.config);
    this.#logger = (options.logger ?? silentLogger).child({ source: 'http', connector: options.manifest.name });
    this.#clock = options.clock ?? systemClock;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#transport = new Transport({
      allowPrivateNetworks: options.allowPrivateNetworks,
      maxSockets: options.maxSockets ?? 32,
    });
    this.#redactor = new Redactor();
    const tokens = new OAuthTokenCache({
      transport: this.#transport,
      clock: this.#clock,
      timeoutMs: http.timeout_ms,
      redactor: this.#redactor,
    });
    this.#auth = createAuthenticator(http.auth, tokens);
    for (const secret of collectSecretValues(options.config, options.manifest.config, this.#auth.templates))
      this.#redactor.add(secret);
    try {
      for (const derived of this.#auth.derivedSecrets(this.#resolve)) this.#redactor.add(derived);
    } catch {
      // Missing config: reported per call, nothing to redact yet.
    }
  }

  load(): Promise<ToolDefinition[]> {
    if (this.#closed) return Promise.reject(createError('upstream_unavailable', 'the HTTP source is closed'));
    return Promise.resolve([...this.#definitions]);
  }

  async invoke(name: string, args: Record<string, unknown>, ctx: InvokeContext = {}): Promise<ToolCallResult> {
    if (this.#closed) throw createError('upstream_unavailable', 'the HTTP source is closed');
    const plan = this.#tools.get(name);
    if (!plan) throw createError('tool_not_found', `no tool '${name}' in this HTTP connector`, { tool: name });

    // One deadline for the whole call, retries and backoff included: the caller waits at most timeout_ms.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(createError('tool_timeout', 'timeout')), plan.timeoutMs);
    const onCancel = (): void => controller.abort(ctx.signal?.reason);
    if (ctx.signal?.aborted) onCancel();
    else ctx.signal?.addEventListener('abort', onCancel, { once: true });
    const deadline = this.#clock.now() + plan.timeoutMs;
    try {
      return await this.#call(plan, args ?? {}, controller.signal, deadline);
    } catch (err) {
      return this.#failure(err, plan, controller.signal, ctx.signal);
    } finally {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onCancel);
    }
  }

  async #call(
    plan: ToolPlan,
    args: Record<string, unknown>,
    signal: AbortSignal,
    deadline: number,
  ): Promise<ToolCallResult> {
    return toToolResult(await this.#exchange(plan, args, signal, deadline), {
      maxBytes: this.#spec.max_response_bytes,
      redactor: this.#redactor,
      ...(plan.validate === undefined ? {} : { validate: plan.validate }),
    });
  }

  /** Sends one tool's request (auth, retries, token refresh included) and returns the final HTTP response. */
  async #exchange(
    plan: ToolPlan,
    args: Record<string, unknown>,
    signal: AbortSignal,
    deadline: number,
  ): Promise<WireResponse> {
    const built = buildRequest(plan.request, args);
    const base = this.#base();
    const basePath = base.pathname.replace(/\/+$/, '');
    const method = plan.request.method;
    let retriesLeft = plan.retries;
    let refreshedToken = false;

    for (let attempt = 0; ; attempt++) {
      const target = {
        headers: this.#headers(plan, built.headers),
        query: [] as string[],
        cookies: [...built.cookies],
      };
      const token = await this.#auth.apply(target, this.#resolve, signal);
      if (target.cookies.length > 0) {
        target.headers.cookie = target.cookies.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
      }
      const [pathOnly = '', builtQuery = ''] = built.pathAndQuery.split(/\?(.*)/s, 2);
      const query = [base.search.slice(1), builtQuery, ...target.query].filter((q) => q !== '').join('&');
      const path = `${basePath}${pathOnly.startsWith('/') || pathOnly === '' ? '' : '/'}${pathOnly}` || '/';

      let res: WireResponse;
      try {
        res = await this.#transport.send({
          url: base,
          path: query === '' ? path : `${path}?${query}`,
          method,
          headers: target.headers,
          ...(built.body === undefined ? {} : { body: built.body }),
          signal,
          maxBytes: this.#spec.max_response_bytes,
        });
      } catch (err) {
        if (
          err instanceof NetworkError &&
          retriesLeft > 0 &&
          !signal.aborted &&
          isRetryableNetworkError(method, err.code, err.reusedSocket)
        ) {
          retriesLeft--;
          const delay = backoffDelay(attempt, this.#backoff);
          this.#logger.debug(
            { tool: plan.definition.name, attempt, code: err.code, delayMs: delay },
            'retrying after network error',
          );
          if (this.#clock.now() + delay >= deadline) throw err;
          await sleep(delay, signal);
          continue;
        }
        throw err;
      }

      // A rejected OAuth token may simply have been revoked early: fetch a fresh one and try once more.
      if (res.status === 401 && token !== undefined && !refreshedToken) {
        refreshedToken = true;
        this.#auth.invalidate(this.#resolve, token);
        continue;
      }
      if (retriesLeft > 0 && isRetryableStatus(method, res.status)) {
        const delay = this.#retryDelay(res, attempt);
        if (delay !== undefined && this.#clock.now() + delay < deadline) {
          retriesLeft--;
          this.#logger.debug(
            { tool: plan.definition.name, attempt, status: res.status, delayMs: delay },
            'retrying after HTTP status',
          );
          await sleep(delay, signal);
          continue;
        }
      }
      return res;
    }
  }

  /** The wait before retrying `res`, or undefined when the server asks for longer than we are willing to wait. */
  #retryDelay(res: WireResponse, attempt: number): number | undefined {
    if (res.status === 429 || res.status === 503) {
      const asked = parseRetryAfter(res.headers['retry-after'], this.#clock.now());
      if (asked !== undefined) return asked <= this.#backoff.maxRetryAfterMs ? asked : undefined;
    }
    return backoffDelay(attempt, this.#backoff);
  }

  /** Default, connector and tool headers (templates resolved), then argument headers on top. */
  #headers(plan: ToolPlan, fromArgs: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of DEFAULT_HEADERS) headers[name] = value;
    for (const [name, template] of plan.headers) headers[name] = this.#resolve(template);
    return Object.assign(headers, fromArgs);
  }

  /** The resolved base URL, parsed once per distinct value. */
  #base(): URL {
    const text = this.#resolve(this.#baseUrl);
    if (this.#parsedBase?.text === text) return this.#parsedBase.url;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ArgumentError('base_url is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ArgumentError('base_url must use http or https');
    this.#parsedBase = { text, url };
    return url;
  }

  /** Maps a failed call to an error result; unexpected failures are logged and rethrown as `internal`. */
  #failure(err: unknown, plan: ToolPlan, signal: AbortSignal, callerSignal: AbortSignal | undefined): ToolCallResult {
    const tool = plan.definition.name;
    if (signal.aborted) {
      if (callerSignal?.aborted) return textResult('the call was cancelled', true);
      return unavailableResult(`timed out after ${plan.timeoutMs} ms`);
    }
    if (isToolportError(err, 'target_refused')) return textResult(err.message, true);
    if (err instanceof MissingConfigError || err instanceof ArgumentError || err instanceof TokenError) {
      return textResult(this.#redactor.text(err.message), true);
    }
    if (err instanceof NetworkError) {
      this.#logger.warn({ tool, code: err.code }, 'HTTP call failed');
      return unavailableResult(`network error (${err.code}): ${this.#redactor.text(err.message)}`);
    }
    this.#logger.error({ tool, err: err instanceof Error ? err.name : typeof err }, 'unexpected failure in HTTP call');
    throw isToolportError(err)
      ? err
      : createError('internal', `the HTTP call of tool '${tool}' failed unexpectedly`, {}, err);
  }

  async check(): Promise<CheckResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 100) / 100;
    let base: URL;
    try {
      base = this.#base();
    } catch (err) {
      return {
        ok: false,
        latencyMs: 0,
        message: err instanceof Error ? this.#redactor.text(err.message) : 'invalid base_url',
      };
    }
    const timeoutMs = Math.min(this.#spec.timeout_ms, CHECK_TIMEOUT_CAP_MS);
    // Health by real execution: run a tool that is safe to call (read-only, no required arguments). Only when
    // there is none does the check fall back to a HEAD of the base URL — and says so.
    const safe = pickSafeTool(this.#tools);
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      const res = safe
        ? await this.#exchange(safe, {}, signal, this.#clock.now() + timeoutMs)
        : await this.#transport.send({
            url: base,
            method: 'HEAD',
            headers: Object.fromEntries(DEFAULT_HEADERS),
            signal,
            maxBytes: 0,
          });
      const details = safe
        ? { status: res.status, tool: safe.definition.name }
        : { status: res.status, tool: null, reason: NO_SAFE_TOOL };
      const what = safe ? `tool ${safe.definition.name}` : 'HEAD of the base URL';
      // A 4xx answer shows the service is up (the arguments or the key may simply not suit a check); 5xx is down.
      if (res.status >= 500)
        return { ok: false, latencyMs: elapsed(), message: `${what}: HTTP ${res.status}`, details };
      return { ok: true, latencyMs: elapsed(), message: `${what}: HTTP ${res.status}`, details };
    } catch (err) {
      const message = isToolportError(err, 'target_refused')
        ? err.message
        : err instanceof NetworkError
          ? `unreachable (${err.code}): ${this.#redactor.text(err.message)}`
          : err instanceof Error && err.name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : 'unreachable';
      return { ok: false, latencyMs: elapsed(), message };
    }
  }

  info(): SourceInfo {
    let baseUrl: string;
    try {
      const url = new URL(this.#base().href);
      url.username = '';
      url.password = '';
      baseUrl = this.#redactor.text(url.href);
    } catch {
      baseUrl = this.#spec.base_url;
    }
    const sockets = this.#transport.socketCounts();
    return {
      baseUrl,
      pooledSockets: sockets.active + sockets.idle,
      activeSockets: sockets.active,
      idleSockets: sockets.idle,
    };
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#closing = this.#transport.close();
    }
    return this.#closing;
  }
}
