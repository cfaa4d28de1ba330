/**
 * Reproductions of registry defects (issue 10): each test failed on the registry before the fix.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ToolSource } from '../../src/core/index.js';
import type { SourceFactoryInput } from '../../src/registry/index.js';
import { createHttpSource } from '../../src/sources/http/index.js';
import {
  createRegistryHarness,
  echoManifest,
  startEchoApi,
  type RegistryHarness,
} from '../helpers/registry-harness.js';
import { waitFor } from '../helpers/wait.js';

/** A promise with its resolver. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The real HTTP source, but closing the source of version `gatedVersion` waits for `releaseClose`, and
 * `closing` resolves when that close starts: a test can act while a new version is saved but the old one
 * still serves. Once `failChecks` is called, a health check of that version signals `checking`, waits for
 * `releaseCheck` and fails.
 */
function gatedHttpFactory(gatedVersion: string) {
  const closing = deferred();
  const closeGate = deferred();
  const checking = deferred();
  const checkGate = deferred();
  let failChecks = false;
  const factory = (input: SourceFactoryInput): ToolSource => {
    const source = createHttpSource({ manifest: input.manifest, config: input.config, allowPrivateNetworks: true });
    const gated = input.manifest.version === gatedVersion;
    return {
      kind: source.kind,
      load: () => source.load(),
      invoke: (tool, args, ctx) => source.invoke(tool, args, ctx),
      check: async () => {
        if (!gated || !failChecks) return source.check();
        checking.resolve();
        await checkGate.promise;
        return { ok: false, latencyMs: 0, message: 'down for the test' };
      },
      close: async () => {
        if (gated) {
          closing.resolve();
          await closeGate.promise;
        }
        await source.close();
      },
    };
  };
  return {
    factory,
    closing: closing.promise,
    releaseClose: () => closeGate.resolve(),
    checking: checking.promise,
    releaseCheck: () => checkGate.resolve(),
    failChecks: () => (failChecks = true),
  };
}

describe('registry defects (issue 10)', () => {
  let api: Awaited<ReturnType<typeof startEchoApi>>;
  let h: RegistryHarness | undefined;

  beforeAll(async () => {
    api = await startEchoApi();
  });
  afterAll(async () => {
    await api.close();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** Memory and store agree on the version, enablement and status of a connector. */
  async function expectStoreMatchesMemory(harness: RegistryHarness, project: string, name: string): Promise<void> {
    const memory = await harness.registry.getConnector('default', project, name);
    const stored = await harness.store.getConnector('default', project, name);
    expect({
      current_version: stored?.current_version,
      enabled: stored?.enabled,
      status: stored?.status,
    }).toEqual({ current_version: memory.current_version, enabled: memory.enabled, status: memory.status });
  }

  it('(1) a probe set while a new version is being installed does not roll the stored version back', async () => {
    const gate = gatedHttpFactory('1.0.0');
    h = await createRegistryHarness({ sources: { http: gate.factory } });
    await h.registry.install({ tenantId: 'default', projectId: 'default', manifest: echoManifest(api.url) });
    const installing = h.registry.install({
      tenantId: 'default',
      projectId: 'default',
      manifest: echoManifest(api.url, '2.0.0'),
    });
    // Version 2 is saved; version 1 is still live while its source closes.
    await gate.closing;
    const probing = h.registry.setProbe('default', 'default', 'echo', { tool: 'get_item', arguments: { id: 'x' } });
    await new Promise((r) => setImmediate(r));
    gate.releaseClose();
    await Promise.all([installing, probing]);
    const memory = await h.registry.getConnector('default', 'default', 'echo');
    expect(memory.current_version).toBe(2);
    expect((memory.metadata as { probe?: { tool: string } }).probe?.tool).toBe('get_item');
    await expectStoreMatchesMemory(h, 'default', 'echo');
    const stored = await h.store.getConnector('default', 'default', 'echo');
    expect((stored!.metadata as { probe?: { tool: string } }).probe?.tool).toBe('get_item');
  });

  it('(1) a health status change while a new version is being installed does not roll the stored version back', async () => {
    const gate = gatedHttpFactory('1.0.0');
    const harness = await createRegistryHarness({ sources: { http: gate.factory }, health: { failures: 1 } });
    h = harness;
    await h.registry.install({ tenantId: 'default', projectId: 'default', manifest: echoManifest(api.url) });
    gate.failChecks();
    // A check of version 1 is under way …
    const checking = h.registry.checkHealth('default', 'default', 'echo');
    await gate.checking;
    // … when version 2 is saved (version 1 is still live while its source closes) …
    const installing = h.registry.install({
      tenantId: 'default',
      projectId: 'default',
      manifest: echoManifest(api.url, '2.0.0'),
    });
    await gate.closing;
    // … and the check fails: it is recorded, then its status transition runs.
    gate.releaseCheck();
    await waitFor(
      async () => (await harness.store.listHealthChecks('default', 'default', 'echo', 1)).length > 0,
      'the failed health check to be recorded',
    );
    await new Promise((r) => setImmediate(r));
    gate.releaseClose();
    await Promise.all([installing, checking]);
    expect((await h.registry.getConnector('default', 'default', 'echo')).current_version).toBe(2);
    await expectStoreMatchesMemory(h, 'default', 'echo');
  });

  it('(3) hot reload refuses a file that now names another connector and keeps the old one serving', async () => {
    h = await createRegistryHarness();
    const file = join(h.dir, 'echo.yaml');
    writeFileSync(file, echoManifest(api.url));
    await h.registry.install({ tenantId: 'default', projectId: 'default', filePath: file });
    writeFileSync(file, echoManifest(api.url, '1.0.0', ['get_item'], 'other'));
    const outcomes = await h.registry.hotReload('default', 'default');
    expect(outcomes).toEqual([
      expect.objectContaining({ connector: 'echo', outcome: 'error', message: expect.stringMatching(/other/) }),
    ]);
    const snapshot = h.registry.getSnapshot('default', 'default')!;
    expect([...snapshot.connectors.keys()]).toEqual(['echo']);
    expect(snapshot.tools.map((t) => t.qualifiedName)).toEqual(['echo__get_item']);
    expect(await h.store.getConnector('default', 'default', 'other')).toBeNull();
    const echo = await h.registry.getConnector('default', 'default', 'echo');
    expect(echo.status).toBe('error');
    expect(echo.status_reason).toMatch(/names connector other/);
    expect(h.events.filter((e) => e.connector === 'other')).toEqual([]);
  });
});

/** A loopback API: `/missing/*` answers 404, `/fail/*` 503, everything else 200 JSON. */
async function startStatusApi(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const status = req.url?.startsWith('/missing') ? 404 : req.url?.startsWith('/fail') ? 503 : 200;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const statusManifest = (url: string): string => `name: status
version: 1.0.0
kind: http
http:
  base_url: ${url}
  retries: 0
tools:
  - name: lookup
    input_schema: { type: object, properties: { id: { type: string } }, required: [id] }
    http: { method: GET, path: "/missing/{id}" }
  - name: healthy
    input_schema: { type: object }
    http: { method: GET, path: "/ok" }
  - name: flaky
    input_schema: { type: object }
    http: { method: GET, path: "/fail" }
`;

describe('(5) the circuit breaker counts only availability failures', () => {
  it('five 404s of one tool leave the circuit closed; five 503s open it', async () => {
    const upstream = await startStatusApi();
    const h = await createRegistryHarness({ breaker: { failureThreshold: 5, cooldownMs: 30_000 } });
    try {
      await h.registry.install({ tenantId: 'default', projectId: 'default', manifest: statusManifest(upstream.url) });
      for (let i = 0; i < 6; i++) {
        const out = await h.registry.invokeTool('default', 'default', 'status__lookup', { id: String(i) });
        expect(out.isError).toBe(true);
        expect(JSON.stringify(out.content)).toMatch(/HTTP 404/);
      }
      expect((await h.registry.getConnector('default', 'default', 'status')).breaker?.state).toBe('closed');
      const healthy = await h.registry.invokeTool('default', 'default', 'status__healthy', {});
      expect(healthy.isError).toBeFalsy();

      // Positive control: availability failures still open the circuit and fail fast.
      for (let i = 0; i < 5; i++) await h.registry.invokeTool('default', 'default', 'status__flaky', {});
      expect((await h.registry.getConnector('default', 'default', 'status')).breaker?.state).toBe('open');
      const blocked = await h.registry.invokeTool('default', 'default', 'status__healthy', {});
      expect(blocked.isError).toBe(true);
      expect(JSON.stringify(blocked.content)).toMatch(/circuit open/);
    } finally {
      await h.close();
      await upstream.close();
    }
  });
});
