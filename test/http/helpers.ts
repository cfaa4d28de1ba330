import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, ToolSource } from '../../src/core/index.js';
import type { ConnectorManifest, HttpConnectorSpec, ManifestTool } from '../../src/manifest/types.js';
import { createHttpSource, type HttpSourceOptions } from '../../src/sources/http/index.js';

/** One request as a test server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A real loopback HTTP server recording what it receives. */
export interface TestServer {
  url: string;
  port: number;
  requests: SeenRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export type Handler = (req: SeenRequest, res: http.ServerResponse, raw: http.IncomingMessage) => void;

/** Starts a `node:http` server on 127.0.0.1 with a random port. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  let connections = 0;
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const seen = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString(),
        at: Date.now(),
      };
      requests.push(seen);
      handler(seen, res, raw);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends `value` as a JSON response. */
export function sendJson(
  res: http.ServerResponse,
  value: unknown,
  status = 200,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A tool with a permissive input schema and the given HTTP mapping. */
export function tool(
  name: string,
  http: Partial<NonNullable<ManifestTool['http']>>,
  extra: Partial<ManifestTool> = {},
): ManifestTool {
  return {
    name,
    input_schema: { type: 'object' },
    http: { method: 'GET', path: '/', args: {}, body_format: 'json', ...http },
    ...extra,
  };
}

/** A normalised HTTP connector manifest, written out as an object (no parser involved). */
export function manifest(
  http: Partial<HttpConnectorSpec>,
  tools: ManifestTool[],
  config: ConnectorManifest['config'] = {},
): ConnectorManifest {
  return {
    name: 'test-api',
    version: '1.0.0',
    kind: 'http',
    config,
    http: {
      base_url: 'http://127.0.0.1:1',
      timeout_ms: 5_000,
      retries: 0,
      headers: {},
      auth: { type: 'none' },
      max_response_bytes: 1_000_000,
      ...http,
    },
    tools,
  };
}

const open: ToolSource[] = [];

/** Creates a source with fast backoff (loopback allowed unless said otherwise); closed by `closeSources`. */
export function source(options: Partial<HttpSourceOptions> & Pick<HttpSourceOptions, 'manifest'>): ToolSource {
  const created = createHttpSource({
    config: {},
    allowPrivateNetworks: true,
    backoff: { baseDelayMs: 5, maxDelayMs: 20 },
    ...options,
  });
  open.push(created);
  return created;
}

/** Closes every source created by `source`. */
export async function closeSources(): Promise<void> {
  await Promise.all(open.splice(0).map((s) => s.close()));
}

/** A logger that keeps every line as JSON text, to check that secrets never reach logs. */
export function captureLogger(lines: string[]): Logger {
  const write = (level: string) => (obj: Record<string, unknown>, msg?: string) => {
    lines.push(JSON.stringify({ level, ...obj, msg }));
  };
  const logger: Logger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: () => logger,
  };
  return logger;
}

/** The text of a result's first content block. */
export function text(result: { content: { type: string }[] }): string {
  const first = result.content[0] as { type: string; text?: string } | undefined;
  return first?.text ?? '';
}
