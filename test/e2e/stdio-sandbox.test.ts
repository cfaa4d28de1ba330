import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupManager, detectBwrap } from '../../src/sandbox/index.js';
import { pidsWithMarker } from '../helpers/processes.js';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const PROBE = fileURLToPath(new URL('../mcp/fixtures/probe-upstream.mjs', import.meta.url));
const LIMITS = fileURLToPath(new URL('../mcp/fixtures/limits-upstream.py', import.meta.url));
const PYTHON = '/usr/bin/python3';
const NODE = process.execPath;
const ALLOWLIST = `${NODE} ${PROBE}`;
const bwrap = await detectBwrap();
if (!bwrap.available) {
  if (process.env.CI === 'true') throw new Error(`bubblewrap is required under CI: ${bwrap.reason}`);
  console.warn(`SKIPPED sandboxed stdio upstream tests: bubblewrap unavailable (${bwrap.reason})`);
}

const manifest = (name: string, command = NODE, script = PROBE): string =>
  `name: ${name}\nversion: 1.0.0\nkind: mcp\nmcp:\n  command: ${JSON.stringify(command)}\n  args: [${JSON.stringify(script)}]\n`;

type Rest = ReturnType<typeof createRestClient>;

async function withClient<T>(url: string, token: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ name: 'sandbox-e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  );
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Calls one probe tool through the gateway and returns its text answer. */
async function probe(url: string, token: string, tool: string, args: Record<string, unknown> = {}): Promise<string> {
  return withClient(url, token, async (client) => {
    const result = await client.callTool({ name: tool, arguments: args });
    expect(result.isError).toBeFalsy();
    return (result.content as { type: string; text: string }[])[0]!.text;
  });
}

/** Installs the probe (or another manifest) into project p1 of tenant acme and expects it active. */
async function installProbe(
  rest: Rest,
  name: string,
  headers: Record<string, string> = {},
  yaml = manifest(name),
): Promise<void> {
  const res = await rest('POST', '/v1/projects/p1/connectors/install-from-manifest', { manifest: yaml }, headers);
  expect(res.status, res.text).toBe(201);
  const got = await rest('GET', `/v1/projects/p1/connectors/${name}`, undefined, headers);
  expect(got.body.status, got.text).toBe('active');
}

async function startWithTenant(
  env: Record<string, string>,
): Promise<{ server: ServerProcess; admin: Rest; tenant: Rest; key: string }> {
  const server = await startServerProcess({ env: { TOOLPORT_MCP_COMMANDS: ALLOWLIST, ...env } });
  const admin = createRestClient(server.url, server.adminToken);
  expect((await admin('POST', '/v1/tenants', { id: 'acme' })).status).toBe(201);
  const created = await admin('POST', '/v1/tenants/acme/api-keys', { name: 'acme', scopes: ['admin', 'invoke'] });
  const key = created.body.key as string;
  const tenant = createRestClient(server.url, key);
  expect((await tenant('POST', '/v1/projects', { id: 'p1' })).status).toBe(201);
  return { server, admin, tenant, key };
}

describe.skipIf(!bwrap.available)('a tenant stdio upstream runs in the bubblewrap sandbox', () => {
  let server: ServerProcess;
  let admin: Rest;
  let tenant: Rest;
  let key: string;
  let port: string;
  const asAcme = { 'x-tenant-id': 'acme' };

  beforeAll(async () => {
    ({ server, admin, tenant, key } = await startWithTenant({}));
    port = new URL(server.url).port;
    await installProbe(tenant, 'probe');
    await installProbe(admin, 'opprobe', asAcme);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  const tenantUrl = (): string => `${server.url}/mcp/p1/probe`;
  const operatorUrl = (): string => `${server.url}/mcp/p1/opprobe`;

  it('serves its tools through /mcp/{project}/{connector}', async () => {
    const names = await withClient(tenantUrl(), key, async (c) => (await c.listTools()).tools.map((t) => t.name));
    expect(names).toEqual(['whoami', 'read_file', 'env', 'connect', 'daemon']);
    // Its own pid namespace: the upstream sees itself as a low pid, not the host's.
    expect(JSON.parse(await probe(tenantUrl(), key, 'whoami')).pid).toBeLessThan(10);
  });

  it('cannot read host files: the data folder secret.key, /etc/shadow', async () => {
    const secret = join(server.dataDir, 'secret.key');
    expect(await probe(tenantUrl(), key, 'read_file', { path: secret })).toBe('ERR ENOENT');
    expect(await probe(tenantUrl(), key, 'read_file', { path: '/etc/shadow' })).toBe('ERR ENOENT');
    // Positive control: the operator's upstream runs unsandboxed and can.
    expect(await probe(operatorUrl(), key, 'read_file', { path: secret })).toMatch(/^READ \d+ bytes$/);
  });

  it('sees no TOOLPORT_* variable and no admin token in its environment', async () => {
    const env = JSON.parse(await probe(tenantUrl(), key, 'env')) as Record<string, string>;
    expect(Object.keys(env).filter((k) => k.startsWith('TOOLPORT'))).toEqual([]);
    expect(Object.values(env).some((v) => v.includes(server.adminToken))).toBe(false);
    expect(env.HOME).toContain(join(server.dataDir, 'scratch', 'acme', 'p1'));
  });

  it("cannot connect to the server's own port on 127.0.0.1 (no network, no loopback)", async () => {
    expect(await probe(tenantUrl(), key, 'connect', { host: '127.0.0.1', port: Number(port) })).toMatch(/^ERR /);
    // Positive control: the operator's upstream reaches it.
    expect(await probe(operatorUrl(), key, 'connect', { host: '127.0.0.1', port: Number(port) })).toBe('CONNECTED');
  });

  it('leaves no daemonised grandchild behind once uninstalled through REST', async () => {
    const marker = `toolport-daemon-${process.pid}-${Date.now()}`;
    expect(await probe(tenantUrl(), key, 'daemon', { marker })).toMatch(/^DAEMON \d+$/);
    await waitFor(() => pidsWithMarker(marker).length === 1, 'the grandchild to run');
    expect((await tenant('DELETE', '/v1/projects/p1/connectors/probe')).status).toBe(204);
    await waitFor(() => pidsWithMarker(marker).length === 0, 'the grandchild to be gone');
  });
});

// Process and memory limits are per tree only with writable cgroups; rlimits cannot be checked this way.
const limitsMode = cgroupManager()?.mode ?? 'rlimit';
if (bwrap.available && limitsMode === 'rlimit') {
  console.warn('SKIPPED tenant stdio limit tests: no writable pids+memory cgroups here');
}

describe.skipIf(!bwrap.available || limitsMode === 'rlimit')('a tenant stdio upstream within its limits', () => {
  let server: ServerProcess;
  let tenant: Rest;
  let key: string;
  const url = (): string => `${server.url}/mcp/p1/limits`;

  beforeAll(async () => {
    ({ server, tenant, key } = await startWithTenant({
      TOOLPORT_MCP_COMMANDS: `${PYTHON} ${LIMITS}`,
      TOOLPORT_MCP_MAX_PROCESSES: '16',
      TOOLPORT_MCP_MAX_MEMORY_MB: '64',
    }));
    await installProbe(tenant, 'limits', {}, manifest('limits', PYTHON, LIMITS));
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('gets no more than TOOLPORT_MCP_MAX_PROCESSES processes (bwrap counted) and stays healthy', async () => {
    const answer = await probe(url(), key, 'spawn_children', { count: 40 });
    const started = Number(/^STARTED (\d+) of 40/.exec(answer)?.[1]);
    // bwrap, its init in the pid namespace and the server itself hold 3 of the 16.
    expect(answer).toContain('Resource temporarily unavailable');
    expect(started, answer).toBeGreaterThan(0);
    expect(started, answer).toBeLessThanOrEqual(13);
    expect(await probe(url(), key, 'ping')).toBe('pong');
    const connector = await tenant('GET', '/v1/projects/p1/connectors/limits');
    expect(connector.body.status).toBe('active');
    expect(connector.body.runtime).toMatchObject({
      restarts: 0,
      limits: { mode: limitsMode, maxProcesses: 16, maxMemoryMb: 64 },
    });
  });

  it('is killed past TOOLPORT_MCP_MAX_MEMORY_MB, the call naming the limit, and restarts', async () => {
    const result = await withClient(url(), key, (client) =>
      client.callTool({ name: 'allocate', arguments: { mb: 512 } }),
    );
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/memory limit \(64 MB; TOOLPORT_MCP_MAX_MEMORY_MB\) and was killed/);
    const connector = await tenant('GET', '/v1/projects/p1/connectors/limits');
    expect(connector.body.runtime.lastExit).toMatch(/memory limit \(64 MB; TOOLPORT_MCP_MAX_MEMORY_MB\)/);
    // The supervisor restarts it after its backoff; a small allocation then works.
    await waitFor(async () => {
      const runtime = (await tenant('GET', '/v1/projects/p1/connectors/limits')).body.runtime;
      return runtime.connected === true && runtime.restarts === 1;
    }, 'the upstream to be restarted');
    expect(await probe(url(), key, 'allocate', { mb: 8 })).toBe('ALLOCATED 8 MB');
  });
});

describe('an operator stdio upstream', () => {
  let server: ServerProcess;
  let admin: Rest;
  let key: string;

  beforeAll(async () => {
    ({ server, admin, key } = await startWithTenant({}));
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("has its whole process group killed on uninstall, a daemon's grandchild included", async () => {
    await installProbe(admin, 'opprobe', { 'x-tenant-id': 'acme' });
    const marker = `toolport-daemon-op-${process.pid}-${Date.now()}`;
    expect(await probe(`${server.url}/mcp/p1/opprobe`, key, 'daemon', { marker })).toMatch(/^DAEMON \d+$/);
    await waitFor(() => pidsWithMarker(marker).length === 1, 'the grandchild to run');
    const res = await admin('DELETE', '/v1/projects/p1/connectors/opprobe', undefined, { 'x-tenant-id': 'acme' });
    expect(res.status).toBe(204);
    await waitFor(() => pidsWithMarker(marker).length === 0, 'the grandchild to be gone');
  });
});

describe('without bubblewrap', () => {
  let noBwrapPath: string;

  beforeAll(() => {
    // A PATH holding node alone: the server finds no bwrap, as on a host without bubblewrap.
    noBwrapPath = mkdtempSync(join(tmpdir(), 'toolport-nobwrap-'));
    symlinkSync(NODE, join(noBwrapPath, 'node'));
  });

  it('refuses to start a tenant stdio upstream, naming TOOLPORT_ALLOW_UNSANDBOXED, and warns at start', async () => {
    const { server, tenant } = await startWithTenant({ PATH: noBwrapPath });
    try {
      expect(server.output()).toContain('bubblewrap is unavailable');
      const res = await tenant('POST', '/v1/projects/p1/connectors/install-from-manifest', {
        manifest: manifest('probe'),
      });
      expect(res.status, res.text).toBe(201);
      const got = await tenant('GET', '/v1/projects/p1/connectors/probe');
      expect(got.body.status).toBe('error');
      expect(JSON.stringify(got.body)).toContain('TOOLPORT_ALLOW_UNSANDBOXED');
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('runs it unsandboxed when the operator opted out, with a scrubbed environment', async () => {
    const { server, tenant, key } = await startWithTenant({ PATH: noBwrapPath, TOOLPORT_ALLOW_UNSANDBOXED: '1' });
    try {
      await installProbe(tenant, 'probe');
      const env = JSON.parse(await probe(`${server.url}/mcp/p1/probe`, key, 'env')) as Record<string, string>;
      expect(Object.keys(env).filter((k) => k.startsWith('TOOLPORT'))).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
