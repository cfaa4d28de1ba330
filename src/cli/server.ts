import { readFileSync } from 'node:fs';
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
import { buildClientConfig, createGateway } from '../gateway/index.js';
import { Registry, ScriptService, createHealthMonitor } from '../registry/index.js';
import { analyzeScript, buildStandaloneWrapper } from '../sources/python/index.js';
import { createSecretBox, openStore, type Store } from '../store/index.js';
import { OtlpExporter, createToolTracing, registerToolMetrics } from '../telemetry/index.js';
import { WebhookDispatcher, WebhookService } from '../webhooks/index.js';
import { packageRoot } from './paths.js';
import { resolveAdminToken } from './secrets-files.js';
import { createSourceFactories } from './sources.js';

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

/** Reads the package version once. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Wires every part together and starts listening. The only place where concrete drivers, sources, the API and
 * the gateway meet (the composition root).
 */
export async function startServer(
  config: Config,
  options: { samples?: boolean; logger?: Logger; quiet?: boolean } = {},
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
      hotReload: config.hotReload,
      samplesDir: join(packageRoot(), 'samples'),
      health: { failures: config.healthFailureThreshold, successes: config.healthSuccessThreshold },
    });
    await registry.start();
    cleanup.push(() => registry.close());
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
    if (options.samples) await installDemo(registry, logger);

    const scripts = new ScriptService({
      registry,
      store,
      maxBytes: config.scriptMaxBytes,
      analyze: (content, filename) =>
        analyzeScript({ content, filename, python: config.python, sandbox: config.sandbox }),
      buildWrapper: buildStandaloneWrapper,
    });
    const admin = resolveAdminToken(dataDir, config.adminToken);
    const { app, authenticate } = await createApi({
      store,
      registry,
      adminToken: admin.token,
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      version,
      samplesAvailable: true,
      scripts,
      scriptMaxBytes: config.scriptMaxBytes,
      clientConfig: (options) => ({ ...buildClientConfig(options) }),
      metrics,
      webhooks,
    });
    cleanup.push(() => app.close());
    // While shutting down, responses to requests still in flight close their connection, so a keep-alive
    // client cannot hold the server open after its last answer.
    let shuttingDown = false;
    app.addHook('onSend', async (_request, reply) => {
      if (shuttingDown) reply.header('connection', 'close');
    });
    const gateway = createGateway({
      provider: registry,
      authenticate,
      logger,
      serverInfo: { name: 'toolport', version },
      sessionIdleMs: config.sessionIdleMs,
      maxBodyBytes: config.bodyLimitBytes * 4,
      ...(config.allowedHosts.length ? { allowedHosts: config.allowedHosts } : {}),
      ...(config.allowedOrigins.length ? { allowedOrigins: config.allowedOrigins } : {}),
    });
    await gateway.register(app);
    cleanup.push(() => gateway.close());

    const monitor = createHealthMonitor({
      host: registry,
      store,
      intervalMs: config.healthIntervalMs,
      concurrency: config.healthConcurrency,
      logger,
    });
    cleanup.push(() => monitor.stop());

    await app.listen({ host: config.host, port: config.port });
    monitor.start();
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
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
          // Fastify's close stops accepting and waits for in-flight requests before resolving.
          shuttingDown = true;
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

async function installDemo(registry: Registry, logger: Logger): Promise<void> {
  try {
    await registry.createProject('default', { id: 'demo', name: 'Demo', description: 'Bundled sample connectors' });
  } catch (err) {
    if (!isToolportError(err, 'conflict')) throw err;
  }
  try {
    const results = await registry.installSamples('default', 'demo');
    logger.info({ connectors: results.map((r) => r.connector.name) }, 'samples installed in project demo');
  } catch (err) {
    logger.warn({ err: isToolportError(err) ? err.message : String(err) }, 'installing samples failed');
    if (!isToolportError(err)) throw createError('internal', 'installing samples failed', {}, err);
  }
}
