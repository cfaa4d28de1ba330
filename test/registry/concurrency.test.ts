/**
 * Random interleavings (seeded, so a failure replays) of every kind of change to one connector, over real
 * SQLite: afterwards the store and the node's memory must agree on version, enablement, status and metadata.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolSource } from '../../src/core/index.js';
import type { ConnectorSummary, SourceFactoryInput } from '../../src/registry/index.js';
import { createHttpSource } from '../../src/sources/http/index.js';
import type { ConnectorRecord } from '../../src/store/index.js';
import { createRegistryHarness, echoManifest, startEchoApi } from '../helpers/registry-harness.js';

/** mulberry32: a small seeded PRNG. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lets `n` turns of the event loop pass (so started operations interleave at their awaits). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

describe('concurrent changes to one connector', () => {
  let api: Awaited<ReturnType<typeof startEchoApi>>;
  beforeAll(async () => {
    api = await startEchoApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it.each([1, 2, 3, 4, 5, 6])('store and memory agree after a random interleaving (seed %i)', async (seed) => {
    const rand = random(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
    // The real HTTP source, slowed by a random number of event-loop turns at every step so operations
    // interleave inside each other's awaits; health checks fail or pass at random (status moves both ways).
    const factory = (input: SourceFactoryInput): ToolSource => {
      const source = createHttpSource({ manifest: input.manifest, config: input.config, allowPrivateNetworks: true });
      const slow = async <T>(fn: () => Promise<T>): Promise<T> => {
        await turns(Math.floor(rand() * 6));
        return fn();
      };
      return {
        kind: source.kind,
        load: () => slow(() => source.load()),
        invoke: (tool, args, ctx) => source.invoke(tool, args, ctx),
        check: () =>
          slow(async () => (rand() < 0.5 ? { ok: false, latencyMs: 0, message: 'random failure' } : source.check())),
        close: () => slow(() => source.close()),
      };
    };
    const h = await createRegistryHarness({ sources: { http: factory }, health: { failures: 1, successes: 1 } });
    try {
      const file = join(h.dir, 'echo.yaml');
      writeFileSync(file, echoManifest(api.url));
      const T = 'default';
      const P = 'default';
      await h.registry.install({ tenantId: T, projectId: P, filePath: file });
      let next = 1;
      const ops: Record<string, () => Promise<unknown>> = {
        install: () =>
          h.registry.install({
            tenantId: T,
            projectId: P,
            manifest: echoManifest(api.url, `2.0.${next++}`),
            force: true,
          }),
        fileEdit: () => {
          writeFileSync(file, echoManifest(api.url, `3.0.${next++}`, pick([['get_item'], ['get_item', 'get_more']])));
          return h.registry.hotReload(T, P);
        },
        enable: () => h.registry.setEnabled(T, P, 'echo', true),
        disable: () => h.registry.setEnabled(T, P, 'echo', false),
        status: () => h.registry.checkHealth(T, P, 'echo'),
        probe: () =>
          h.registry.setProbe(T, P, 'echo', rand() < 0.7 ? { tool: 'get_item', arguments: { id: 'p' } } : null),
        reload: () => h.registry.hotReload(T, P),
      };
      const names = Object.keys(ops);
      const done = new Set<string>();
      const fields = (c: ConnectorRecord | ConnectorSummary | null) => ({
        current_version: c?.current_version,
        enabled: c?.enabled,
        status: c?.status,
        status_reason: c?.status_reason,
        metadata: c?.metadata,
        source_path: c?.source_path,
      });
      // Batches of overlapping operations; at the end of each batch (nothing running) the two must agree.
      for (let batch = 0; batch < 12; batch++) {
        const running: Promise<unknown>[] = [];
        for (let i = 0; i < 6; i++) {
          const name = pick(names);
          running.push(ops[name]!().then(() => done.add(name)));
          await turns(Math.floor(rand() * 4));
        }
        const outcomes = await Promise.allSettled(running);
        expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
        const memory = await h.registry.getConnector(T, P, 'echo');
        const stored = await h.store.getConnector(T, P, 'echo');
        expect({ batch, ...fields(stored) }).toEqual({ batch, ...fields(memory) });
        const view = h.registry.getSnapshot(T, P)!.connectors.get('echo')!;
        expect([view.seq, view.enabled, view.status]).toEqual([memory.current_version, memory.enabled, memory.status]);
      }
      // Every kind of operation really ran (a run where all of them failed would prove nothing).
      expect(done.size).toBe(names.length);
    } finally {
      await h.close();
    }
  });
});
