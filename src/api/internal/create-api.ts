import Fastify, { type FastifyInstance } from 'fastify';
import {
  createError,
  screenedJsonParser,
  silentLogger,
  systemClock,
  type Authenticate,
  type Clock,
  type Logger,
} from '../../core/index.js';
import { createOffThreadImporter, type OffThreadImporter } from '../../openapi/index.js';
import { canonicalPath } from '../../registry/index.js';
import type { RegistryApi } from '../../registry/registry-api.js';
import type { ScriptService } from '../../registry/scripts.js';
import type { Store } from '../../store/store.js';
import { createAuthenticate, createAuthHook } from './auth.js';
import { registerConsole } from './console.js';
import type { ApiContext } from './context.js';
import { installErrorHandling } from './errors.js';
import { createMetricsRegistry, registerProcessMetrics, type MetricsRegistry } from './metrics.js';
import { installObservability, requestIdFor } from './observability.js';
import { createOpenApiCollector } from './openapi.js';
import { registerConnectorRoutes } from './routes/connectors.js';
import { registerDiscoveryRoutes, type ClientConfigBuilder } from './routes/discovery.js';
import { registerEventStream } from './routes/event-stream.js';
import { registerImportOpenApiRoute } from './routes/import-openapi.js';
import { registerProjectRoutes } from './routes/projects.js';
import { registerScriptRoutes } from './routes/scripts.js';
import { registerServiceRoutes } from './routes/services.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerTenantRoutes } from './routes/tenants.js';
import { registerToolRoutes } from './routes/tools.js';
import { registerWebhookRoutes, type WebhookAdmin } from './routes/webhooks.js';
import { installValidators } from './validation.js';

/** Options of `createApi`. */
export interface ApiOptions {
  store: Store;
  registry: RegistryApi;
  /** The operator's admin token (compared in constant time). */
  adminToken: string;
  logger?: Logger;
  /** Largest accepted request body; default 1 MiB (larger → 413). */
  bodyLimitBytes?: number;
  /** Reported by /health and in /openapi.json. */
  version: string;
  /** Shared registry other layers add series to; a new one (with process metrics) when absent. */
  metrics?: MetricsRegistry;
  /** False when the bundled samples are not shipped (install-samples → 422). Default true. */
  samplesAvailable?: boolean;
  /**
   * Directories under which tenant API keys may use install-from-file (the operator token may use any
   * path). Default: none — a tenant key cannot make the server read its files.
   */
  fileRoots?: readonly string[];
  /** Time source (tests). */
  clock?: Clock;
  /** Uploaded Python scripts and services built from them (`/api/v1/upload_script`, `/api/v1/scripts`). */
  scripts?: ScriptService;
  /** Largest accepted script upload; default 512 KiB. */
  scriptMaxBytes?: number;
  /** Webhook subscriptions (`/v1/projects/{id}/webhooks`); the routes are absent without it. */
  webhooks?: WebhookAdmin;
  /** Builds `client-config` snippets (the gateway's builder). */
  clientConfig?: ClientConfigBuilder;
  /**
   * Runs `import-openapi` documents in a worker thread; default one created (and closed with the app) with
   * its default limits (8 MiB document, 60 s).
   */
  openapiImporter?: OffThreadImporter;
  /** Folder of the built web console, served without auth at `/` and `/assets/*`; absent → no console routes. */
  consoleDir?: string;
  /** True once the server is shutting down: `/health/ready` then answers 503 so balancers stop routing here. */
  draining?: () => boolean;
}

/** A revoked API key (`keyId`) or a deleted tenant (no `keyId`). */
export interface Revocation {
  tenantId: string;
  keyId?: string;
}

/** The built (not listening) app and the token resolver the gateway shares. */
export interface Api {
  app: FastifyInstance;
  authenticate: Authenticate;
  metrics: MetricsRegistry;
  /** Subscribes to key revocations and tenant deletions (the gateway closes their sessions); returns unsubscribe. */
  onRevoke(listener: (revocation: Revocation) => void): () => void;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * Builds the Fastify app with the REST routes, auth, errors, metrics and OpenAPI; does not listen.
 * @example
 * const { app, authenticate, metrics } = await createApi({ store, registry, adminToken, version });
 * // other layers mount their routes on `app` (they keep their own auth, e.g. via `authenticate`)
 * await app.listen({ host: '127.0.0.1', port: 8090 });
 */
export async function createApi(options: ApiOptions): Promise<Api> {
  if (options.adminToken.trim() === '') throw createError('config_invalid', 'The admin token must not be empty.');
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const ownsMetrics = options.metrics === undefined;
  const metrics = options.metrics ?? createMetricsRegistry();
  registerProcessMetrics(metrics);

  const app = Fastify({
    logger: false,
    bodyLimit,
    requestIdHeader: false,
    genReqId: requestIdFor,
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
  });
  if (ownsMetrics) app.addHook('onClose', async () => metrics.close());
  const openapiImporter = options.openapiImporter ?? createOffThreadImporter();
  if (!options.openapiImporter) app.addHook('onClose', async () => openapiImporter.close());

  const openapi = createOpenApiCollector({
    title: 'Toolport',
    version: options.version,
    description: 'MCP tool gateway: tenants, projects, connectors, tools.',
  });
  app.addHook('onRoute', (route) => openapi.onRoute(route));

  installValidators(app);
  // Responses go out as plain JSON: response schemas document, they never filter or coerce.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installErrorHandling(app, logger, bodyLimit);
  installObservability(app, logger, metrics);
  installJsonParser(app);

  const authenticate = createAuthenticate({ store: options.store, adminToken: options.adminToken, logger, clock });
  const revokeListeners = new Set<(revocation: Revocation) => void>();
  const ctx: ApiContext = {
    store: options.store,
    registry: options.registry,
    logger,
    clock,
    metrics,
    openapi,
    version: options.version,
    samplesAvailable: options.samplesAvailable ?? true,
    forgetKeys: authenticate.forgetKeys,
    draining: options.draining ?? (() => false),
    revoked: (revocation) => {
      authenticate.forgetKeys();
      for (const listener of revokeListeners) listener(revocation);
    },
    maxFileBytes: Math.max(bodyLimit, DEFAULT_BODY_LIMIT),
    fileRoots: (options.fileRoots ?? []).map(canonicalPath),
    openapiImporter,
    ...(options.scripts ? { scripts: options.scripts } : {}),
  };

  // Authentication lives in this encapsulated scope: routes other layers mount on `app` keep their own.
  await app.register(async (scope) => {
    scope.addHook('onRequest', createAuthHook(authenticate, options.store));
    registerSystemRoutes(scope, ctx);
    registerTenantRoutes(scope, ctx);
    registerProjectRoutes(scope, ctx);
    registerConnectorRoutes(scope, ctx);
    registerImportOpenApiRoute(scope, ctx);
    registerToolRoutes(scope, ctx);
    registerEventStream(scope, ctx);
    if (options.webhooks) registerWebhookRoutes(scope, options.webhooks);
    registerDiscoveryRoutes(scope, ctx, options.clientConfig);
    registerServiceRoutes(scope, ctx);
    await registerScriptRoutes(scope, ctx, options.scriptMaxBytes ?? 512 * 1024);
  });

  // Outside the authenticated scope: the page and its assets are public, the API it calls is not.
  if (options.consoleDir !== undefined) registerConsole(app, options.consoleDir);

  const onRevoke = (listener: (revocation: Revocation) => void): (() => void) => {
    revokeListeners.add(listener);
    return () => revokeListeners.delete(listener);
  };
  return { app, authenticate, metrics, onRevoke };
}

/** JSON bodies through the default parser, screened (empty → absent, too deep → 400): see screenedJsonParser. */
function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, screenedJsonParser(parse));
}
