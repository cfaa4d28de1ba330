import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, type RegistryEvent, type RegistryOptions } from '../../src/registry/index.js';
import { createHttpSource } from '../../src/sources/http/index.js';
import { createMcpSource } from '../../src/sources/mcp/index.js';
import { createSecretBox, openStore, type Store } from '../../src/store/index.js';

/** A registry over a real SQLite file and the real HTTP runtime, as the server wires it. */
export interface RegistryHarness {
  registry: Registry;
  store: Store;
  dir: string;
  events: RegistryEvent[];
  close(): Promise<void>;
}

/** Sources for a harness of upstream MCP servers (the real mcp runtime, default options). */
export const MCP_SOURCES: RegistryOptions['sources'] = {
  mcp: ({ manifest, config }) => createMcpSource({ manifest, config }),
};

export async function createRegistryHarness(options: Partial<RegistryOptions> = {}): Promise<RegistryHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'toolport-registry-'));
  const store = await openStore({ dataDir: dir, secretBox: createSecretBox({ keyFile: join(dir, 'secret.key') }) });
  await store.createTenant({ id: 'default', name: 'Default', created_at: new Date().toISOString() });
  const registry = new Registry({
    store,
    sources: {
      http: ({ manifest, config }) => createHttpSource({ manifest, config, allowPrivateNetworks: true }),
    },
    nodeId: 'test-node',
    usageFlushMs: 50,
    ...options,
  });
  await registry.start();
  await registry.ensureTenantDefaults('default');
  const events: RegistryEvent[] = [];
  registry.subscribe((e) => events.push(e));
  return {
    registry,
    store,
    dir,
    events,
    close: async () => {
      await registry.close();
      await store.close();
    },
  };
}

/** A loopback JSON API that echoes what it received: `{method, path, query, body}`. */
export async function startEchoApi(): Promise<{
  url: string;
  server: Server;
  hits: () => number;
  close(): Promise<void>;
}> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname.startsWith('/fail')) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          method: req.method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          body: body ? JSON.parse(body) : null,
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    hits: () => hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A manifest of one `echo` connector against `baseUrl`, with tools named in `tools`. */
export function echoManifest(baseUrl: string, version = '1.0.0', tools = ['get_item'], name = 'echo'): string {
  const toolYaml = tools
    .map(
      (t) => `  - name: ${t}
    description: ${t} tool
    input_schema:
      type: object
      properties:
        id: { type: string }
      required: [id]
    http: { method: GET, path: "/items/{id}" }`,
    )
    .join('\n');
  return `name: ${name}
version: ${version}
kind: http
description: Echo API
http:
  base_url: ${baseUrl}
  retries: 0
tools:
${toolYaml}
`;
}

/**
 * Resolves when `pred` holds: checked now and after every event of `registry` (changes, remote notices and
 * resyncs all publish one), so tests wait on what happens instead of sleeping. Rejects after `ms`.
 */
export function waitUntil(
  registry: Pick<Registry, 'subscribe'>,
  pred: () => boolean,
  what: string,
  ms = 10_000,
): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`not within ${ms} ms: ${what}`));
    }, ms);
    const off = registry.subscribe(() => {
      if (!pred()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Resolves after the store's next usage batch is written (the registry flushes usage on a timer). */
export function nextUsageFlush(store: Store): Promise<void> {
  const original = store.addToolUsage.bind(store);
  return new Promise((resolve) => {
    store.addToolUsage = async (batch) => {
      await original(batch);
      store.addToolUsage = original;
      resolve();
    };
  });
}
