import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { createApi, createMetricsRegistry } from '../api/index.js';
import type { Config } from '../config/index.js';
import {
  createError,
  createJsonLogger,
  createId,
  ensurePrivateDir,
  isToolportError,
  isoTime,
  silentLogger,
  type Logger,
} from '../core/index.js';
import { DEMO_API_PREFIX, DEMO_QUOTES_KEY, registerDemoApi } from '../demo/index.js';
import { buildClientConfig, createGateway } from '../gateway/index.js';
import { Registry, ScriptService, createAdmissionPolicy, createHealthMonitor } from '../registry/index.js';
import { detectBwrap } from '../sandbox/index.js';
import { analyzeScript, buildStandaloneWrapper } from '../sources/python/index.js';
import { createSecretBox, openStore, type Store } from '../store/index.js';
import { OtlpExporter, createToolTracing, registerToolMetrics } from '../telemetry/index.js';
import { WebhookDispatcher, WebhookService } from '../webhooks/index.js';
import { logRegistryEvents } from './event-log.js';
import { packageRoot, packageVersion } from './paths.js';
import { resolveAdminToken } from './secrets-files.js';
import { createSourceFactories, pythonLimits } from './sources.js';
import { shareSqliteNotices, type WorkerRole } from './workers.js';

/** A running Toolport server. */
export interface RunningServer {
  url: string;
  host: string;
  port: number;
  adminToken: string;
  adminTokenFile?: string;
  store: Store;
  registry: Registry;
  /** Graceful stop: stop accepting, finish in-flight requests, close sources and the store. */
  close(): Promise<void>;
}

/**
 * Wires every part together and starts listening. The only place where concrete drivers, sources, the API and
 * the gateway meet (the composition root).
 */
export async function startServer(
  config: Config,
  options: {
    samples?: boolean;
    logger?: Logger;
    quiet?: boolean;
    /** Set in the workers of `serve --workers N`: they share the port, the store and (SQLite) change notices. */
    worker?: WorkerRole;
  } = {},
): Promise<RunningServer> {
  const logger = options.logger ?? (options.quiet ? silentLogger : createJsonLogger({ level: config.logLevel }));
  const dataDir = resolve(config.dataDir);
  ensurePrivateDir(dataDir, logger);
  const version = packageVersion();
  const secretBox = createSecretBox({
    ...(config.secretKey ? { key: config.secretKey } : {}),
    keyFile: join(dataDir, 'secret.key'),
  });
  const store = await openStore({
    ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
    dataDir,
    secretBox,
    logger,
  });
  if (options.worker) shareSqliteNotices(store, options.worker);
  const cleanup: (() => Promise<unknown>)[] = [() => store.close()];
  const fail = async (err: unknown): Promise<never> => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    throw err;
  };
  try {
    if (!(await store.getTenant('default'))) {
      await store
        .createTenant({ id: 'default', name: 'Default tenant', created_at: isoTime() })
        .catch((err: unknown) => {
          if (!isToolportError(err, 'conflict')) throw err;
        });
    }
    const registry = new Registry({
      store,
      sources: createSourceFactories({ config, store, dataDir, logger }),
      logger,
      nodeId: config.nodeId ?? `${hostname()}-${process.pid}-${createId('n').slice(2, 8)}`,
      maxConnectorsPerProject: config.maxConcurrentConnectors,
      usageFlushMs: config.usageFlushMs,
      // One watcher per machine: the other workers learn of a reload from its change notice.
      hotReload: config.hotReload && (options.worker?.index ?? 1) === 1,
      samplesDir: join(packageRoot(), 'samples'),
      health: { failures: config.healthFailureThreshold, successes: config.healthSuccessThreshold },
      admit: createAdmissionPolicy({
        mcpCommands: config.mcpCommands,
        fileRoots: config.fileRoots,
        tenantNetwork: config.tenantNetwork,
      }),
    });
    const stopEventLog = logRegistryEvents((listener) => registry.subscribe(listener), logger);
    const bwrap = await detectBwrap(config.bwrapPath);
    if (!bwrap.available) {
      logger.warn(
        { reason: bwrap.reason, allowUnsandboxed: config.allowUnsandboxed },
        config.allowUnsandboxed
          ? 'bubblewrap is unavailable: tenant code and stdio upstreams run UNSANDBOXED (TOOLPORT_ALLOW_UNSANDBOXED=1)'
          : 'bubblewrap is unavailable: tenant stdio upstreams are refused (set TOOLPORT_ALLOW_UNSANDBOXED=1 to run them unsandboxed)',
      );
    }
    await registry.start();
    cleanup.push(() => registry.close());
    cleanup.push(async () => stopEventLog());
    const metrics = createMetricsRegistry();
    cleanup.push(async () => metrics.close());
    registerToolMetrics({ metrics, registry });
    const exporter = config.otlpEndpoint
      ? new OtlpExporter({ endpoint: config.otlpEndpoint, serviceVersion: version, logger })
      : undefined;
    if (exporter) {
      registry.addInterceptor(
        createToolTracing({ sink: exporter, currentContext: () => registry.currentCallContext() }),
      );
      cleanup.push(() => exporter.close());
    }
    const webhooks = new WebhookService({ store, allowPrivateNetworks: config.allowPrivateNetworks });
    const dispatcher = new WebhookDispatcher({
      store,
      events: registry,
      allowPrivateNetworks: config.allowPrivateNetworks,
      logger,
    });
    cleanup.push(() => dispatcher.close());
    for (const tenant of await store.listTenants()) await registry.ensureTenantDefaults(tenant.id);

    const scripts = new ScriptService({
      registry,
      store,
      maxBytes: config.scriptMaxBytes,
      analyze: (content, filename, trust) =>
        analyzeScript({
          content,
          filename,
          trust,
          python: config.python,
          sandbox: config.sandbox,
          bwrap: config.bwrapPath,
          allowUnsandboxed: config.allowUnsandboxed,
          limits: pythonLimits(config),
        }),
      buildWrapper: buildStandaloneWrapper,
    });
    // While shutting down: readiness answers 503, and responses to requests still in flight close their
    // connection, so a keep-alive client cannot hold the server open after its last answer.
    let shuttingDown = false;
    const admin = resolveAdminToken(dataDir, config.adminToken);
    const { app, authenticate, onRevoke } = await createApi({
      store,
      registry,
      adminToken: admin.token,
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      version,
      samplesAvailable: true,
      scripts,
      scriptMaxBytes: config.scriptMaxBytes,
      // The stdio entry runs this very installation by absolute paths, so it works from any directory.
      clientConfig: (options) => ({
        ...buildClientConfig({ ...options, cli: [process.execPath, join(packageRoot(), 'dist', 'cli.js')] }),
      }),
      metrics,
      webhooks,
      fileRoots: config.fileRoots,
      consoleDir: join(packageRoot(), 'dist', 'console'),
      draining: () => shuttingDown,
    });
    cleanup.push(() => app.close());
    app.addHook('onSend', async (_request, reply) => {
      if (shuttingDown) reply.header('connection', 'close');
    });
    const gateway = createGateway({
      provider: registry,
      authenticate,
      logger,
      serverInfo: { name: 'toolport', version },
      sessionIdleMs: config.sessionIdleMs,
      maxSessionsPerKey: config.maxSessionsPerKey,
      maxSessionsPerTenant: config.maxSessionsPerTenant,
      revalidateMs: config.sessionRevalidateMs,
      // Every node sharing the secret key (TOOLPORT_SECRET_KEY) serves every node's 2025 sessions.
      sessionKey: secretBox.deriveKey('toolport mcp session ids v1'),
      // Nodes (or workers) sharing the store share the rest of a session too; one process alone has nothing to share.
      ...(store.driver === 'postgres' || (options.worker?.count ?? 1) > 1 ? { sharedSessions: store } : {}),
      ownerActive: async (tenantId, keyId) => {
        if (keyId === undefined) return (await store.getTenant(tenantId)) !== null;
        const key = (await store.listApiKeys(tenantId)).find((k) => k.id === keyId);
        return key !== undefined && key.revoked_at === null;
      },
      maxBodyBytes: config.bodyLimitBytes * 4,
      ...(config.allowedHosts.length ? { allowedHosts: config.allowedHosts } : {}),
      ...(config.allowedOrigins.length ? { allowedOrigins: config.allowedOrigins } : {}),
    });
    await gateway.register(app);
    // A revoked key or a deleted tenant loses its open MCP sessions and streams on this node at once.
    onRevoke((revocation) => {
      gateway.closeSessions(revocation).catch((err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'closing revoked sessions failed');
      });
    });
    cleanup.push(() => gateway.close());

    const monitor = createHealthMonitor({
      host: registry,
      store,
      intervalMs: config.healthIntervalMs,
      concurrency: config.healthConcurrency,
      logger,
    });
    cleanup.push(() => monitor.stop());

    if (options.samples) registerDemoApi(app);
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    // After listen: the demo's HTTP samples call this server's own /demo-api.
    if (options.samples) await installDemo(registry, store, logger, localUrl(config.host, port), dataDir);
    monitor.start();
    let closing: Promise<void> | undefined;
    return {
      url,
      host: config.host,
      port,
      adminToken: admin.token,
      ...(admin.file ? { adminTokenFile: admin.file } : {}),
      store,
      registry,
      close: () =>
        (closing ??= (async () => {
          shuttingDown = true;
          // Balancers see "not ready" and stop routing here while this node still serves (TOOLPORT_DRAIN_MS).
          if (config.drainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.drainMs));
          // Fastify's close stops accepting and waits for in-flight requests before resolving; the gateway's
          // preClose ends SSE streams (clients reconnect elsewhere) and lets MCP calls in flight finish first.
          await app.close();
          await gateway.close();
          await monitor.stop();
          await dispatcher.close();
          await exporter?.close();
          await registry.close();
          metrics.close();
          await store.close();
        })()),
    };
  } catch (err) {
    return fail(err);
  }
}

/** A URL this machine reaches the server at (a wildcard bind address is reached over loopback). */
function localUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
  return `http://${reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * Creates the `demo` project with the bundled samples, once: a marker in the data folder remembers it, so a user's
 * deletions, disables and config changes survive restarts. The demo's HTTP samples point at the small API this
 * server mounts under /demo-api; when the server comes back on another port, only those base URLs are re-pointed.
 */
async function installDemo(
  registry: Registry,
  store: Store,
  logger: Logger,
  url: string,
  dataDir: string,
): Promise<void> {
  const demoApi = `${url}${DEMO_API_PREFIX}`;
  const local: Record<string, Record<string, string>> = {
    'task-manager': { base_url: demoApi },
    quotes: { base_url: demoApi, api_key: DEMO_QUOTES_KEY },
  };
  const marker = join(dataDir, '.demo-installed');
  if (existsSync(marker)) {
    for (const [name, config] of Object.entries(local)) {
      const storedConfig = (await store.getConnector('default', 'demo', name))?.config ?? {};
      const stored = storedConfig.base_url;
      if (stored && stored !== demoApi && stored.endsWith(DEMO_API_PREFIX)) {
        // The demo API moved with this server (another port, another origin): its stored keys (the quotes key,
        // or the user's own) are re-sent with the new base URL, as the secret-origin rule asks. A failure here is
        // logged, never fatal to the start.
        const patch: Record<string, string> = { base_url: config.base_url! };
        for (const key of Object.keys(config)) {
          const value = storedConfig[key];
          if (key !== 'base_url' && value !== undefined) patch[key] = value;
        }
        await registry.updateConfig('default', 'demo', name, patch).then(
          () => logger.info({ connector: name, base_url: demoApi }, 'demo connector re-pointed at this server'),
          (err: unknown) =>
            logger.warn({ connector: name, err: (err as Error).message }, 'could not re-point a demo connector'),
        );
      }
    }
    return;
  }
  try {
    await registry.createProject('default', { id: 'demo', name: 'Demo', description: 'Bundled sample connectors' });
  } catch (err) {
    if (!isToolportError(err, 'conflict')) throw err;
  }
  try {
    const results = await registry.installSamples('default', 'demo', (name) => local[name]);
    writeFileSync(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
    logger.info({ connectors: results.map((r) => r.connector.name) }, 'samples installed in project demo');
  } catch (err) {
    logger.warn({ err: isToolportError(err) ? err.message : String(err) }, 'installing samples failed');
    if (!isToolportError(err)) throw createError('internal', 'installing samples failed', {}, err);
  }
}
