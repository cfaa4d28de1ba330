import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { stdioManifestYaml } from '../mcp/helpers.js';
import { type ClientKind, type Endpoint, type Handlers, type TestClient, connectClient } from './federation-clients.js';

/** The everything upstream (SDK v2 server): every fixture the conformance suite's server scenarios expect. */
export const EVERYTHING = fileURLToPath(new URL('../fixtures/mcp/everything-server.mjs', import.meta.url));
export const PROJECT = 'fed';
export const CONNECTOR = 'everything';

/** The manifest an operator installs: the fixture as a stdio upstream MCP connector. */
export function everythingManifest(name = CONNECTOR, env: Record<string, string> = {}): string {
  return stdioManifestYaml(name, EVERYTHING, env);
}

export interface FederatedToolport {
  server: ServerProcess;
  /** An `invoke` API key for the MCP endpoints. */
  key: string;
  admin: ReturnType<typeof createRestClient>;
}

/**
 * A started Toolport (`dist/cli.js serve`) with project `fed` holding the everything fixture as the stdio upstream
 * connector `everything`, installed by the operator (admin token: operator installs may run commands).
 */
export async function startFederatedToolport(
  options: { env?: Record<string, string>; upstreamEnv?: Record<string, string> } = {},
): Promise<FederatedToolport> {
  const server = await startServerProcess({ env: options.env });
  const admin = createRestClient(server.url, server.adminToken);
  expect((await admin('POST', '/v1/projects', { id: PROJECT })).status).toBe(201);
  const installed = await admin('POST', `/v1/projects/${PROJECT}/connectors/install-from-manifest`, {
    manifest: everythingManifest(CONNECTOR, options.upstreamEnv),
  });
  expect(installed.status, installed.text).toBe(201);
  const created = await admin('POST', '/v1/api-keys', { name: 'federation', scopes: ['invoke'] });
  expect(created.status, created.text).toBe(201);
  return { server, key: created.body.key as string, admin };
}

/** The fixture served directly over Streamable HTTP on loopback (both protocol eras). */
export async function startDirectEverything(
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [EVERYTHING, '--http', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`everything fixture exited with ${code}:\n${out}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The everything fixture, served directly and behind a Toolport server, for one test file: both start before its
 * tests, every client opened with `connect` is closed after each test, and both stop after the last one.
 * `direct` and `upstream` are the environments of the direct fixture and of the one Toolport launches.
 */
export function federationWorld(env: { direct?: Record<string, string>; upstream?: Record<string, string> } = {}): {
  connect(endpoint: Endpoint, kind: ClientKind, handlers?: Handlers): Promise<TestClient>;
} {
  let direct: Awaited<ReturnType<typeof startDirectEverything>> | undefined;
  let toolport: FederatedToolport | undefined;
  const open: TestClient[] = [];
  beforeAll(async () => {
    [direct, toolport] = await Promise.all([
      startDirectEverything(env.direct),
      startFederatedToolport(env.upstream ? { upstreamEnv: env.upstream } : {}),
    ]);
  }, 60_000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
  });
  afterAll(async () => {
    await toolport?.server.stop();
    await direct?.stop();
  });
  return {
    async connect(endpoint, kind, handlers = {}) {
      const url =
        endpoint === 'direct'
          ? direct!.url
          : `${toolport!.server.url}/mcp/${PROJECT}${endpoint === 'connector' ? `/${CONNECTOR}` : ''}`;
      const client = await connectClient(kind, url, endpoint === 'direct' ? undefined : toolport!.key, handlers);
      open.push(client);
      return client;
    },
  };
}
