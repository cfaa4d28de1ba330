import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryEvent } from '../../src/registry/index.js';
import {
  createRegistryHarness,
  echoManifest,
  startEchoApi,
  waitUntil,
  type RegistryHarness,
} from '../helpers/registry-harness.js';

/** Resolves with the first event matching `pred`, or rejects after `ms`. */
function nextEvent(h: RegistryHarness, pred: (e: RegistryEvent) => boolean, ms = 5_000): Promise<RegistryEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${ms} ms; saw ${h.events.map((e) => e.type).join(', ')}`));
    }, ms);
    const off = h.registry.subscribe((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

describe('hot reload of installed manifest files', () => {
  let api: Awaited<ReturnType<typeof startEchoApi>>;
  let h: RegistryHarness;
  let file: string;

  beforeAll(async () => {
    api = await startEchoApi();
  });
  afterAll(async () => {
    await api.close();
  });
  beforeEach(async () => {
    h = await createRegistryHarness({ hotReload: true });
    file = join(h.dir, 'echo.yaml');
    writeFileSync(file, echoManifest(api.url, '1.0.0', ['get_item']));
    await h.registry.install({ tenantId: 'default', projectId: 'default', filePath: file });
  });
  afterEach(async () => {
    await h.close();
  });

  it('installs a new version when the file is edited', async () => {
    const reloaded = nextEvent(h, (e) => e.type === 'connector.reloaded');
    writeFileSync(file, echoManifest(api.url, '1.1.0', ['get_item', 'get_more']));
    const event = await reloaded;
    expect(event.data).toMatchObject({ version: '1.1.0', seq: 2 });
    expect(
      h.registry
        .getSnapshot('default', 'default')!
        .tools.map((t) => t.name)
        .sort(),
    ).toEqual(['get_item', 'get_more']);
  });

  it('picks up an edit saved by rename (as editors do)', async () => {
    const reloaded = nextEvent(h, (e) => e.type === 'connector.reloaded');
    const tmp = join(h.dir, '.echo.yaml.swp');
    writeFileSync(tmp, echoManifest(api.url, '2.0.0', ['renamed_tool']));
    renameSync(tmp, file);
    await reloaded;
    expect(h.registry.getSnapshot('default', 'default')!.tools.map((t) => t.name)).toEqual(['renamed_tool']);
  });

  it('keeps the last good version serving when an edit is invalid, and marks the connector error', async () => {
    const errored = nextEvent(h, (e) => e.type === 'connector.status_changed' && e.data.to === 'error');
    writeFileSync(file, 'name: echo\nversion: not-semver\nkind: http\ntools: [\n');
    const event = await errored;
    expect(String(event.data.reason)).toMatch(/echo\.yaml:\d+:\d+/);
    expect(h.registry.getSnapshot('default', 'default')!.tools.map((t) => t.name)).toEqual(['get_item']);
    const summary = await h.registry.getConnector('default', 'default', 'echo');
    expect(summary.status).toBe('error');
    expect(summary.current_version).toBe(1);
    // Fixing the file recovers.
    const recovered = nextEvent(h, (e) => e.type === 'connector.reloaded');
    writeFileSync(file, echoManifest(api.url, '1.2.0', ['get_item']));
    await recovered;
    expect((await h.registry.getConnector('default', 'default', 'echo')).status).toBe('active');
  });

  it('marks the connector error when its file is deleted, without uninstalling it', async () => {
    const errored = nextEvent(h, (e) => e.type === 'connector.status_changed' && e.data.to === 'error');
    rmSync(file);
    const event = await errored;
    expect(String(event.data.reason)).toMatch(/missing/);
    const summary = await h.registry.getConnector('default', 'default', 'echo');
    expect(summary.status).toBe('error');
    expect(h.registry.getSnapshot('default', 'default')!.tools).toHaveLength(1);
  });

  it('settles on the last of rapid successive edits', async () => {
    for (let i = 1; i <= 8; i++) writeFileSync(file, echoManifest(api.url, `1.0.${i}`, [`tool_${i}`]));
    const served = () => h.registry.getSnapshot('default', 'default')!.tools.map((t) => t.name);
    await waitUntil(h.registry, () => served().join() === 'tool_8', 'the last edit served', 5_000);
    expect(h.registry.getSnapshot('default', 'default')!.tools.map((t) => t.name)).toEqual(['tool_8']);
    const versions = await h.registry.listVersions('default', 'default', 'echo');
    expect(versions[0]).toMatchObject({ version: '1.0.8', current: true });
  });

  it('reports every file at once on POST hot-reload', async () => {
    writeFileSync(file, echoManifest(api.url, '3.0.0', ['get_item']));
    const outcomes = await h.registry.hotReload('default', 'default');
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.connector).toBe('echo');
    expect(['reloaded', 'unchanged']).toContain(outcomes[0]!.outcome);
    expect((await h.registry.getConnector('default', 'default', 'echo')).version).toBe('3.0.0');
  });

  it('labels an edit that keeps its version string `VERSION+reload.SEQ`, so version strings stay unique', async () => {
    const reloaded = nextEvent(h, (e) => e.type === 'connector.reloaded');
    writeFileSync(file, echoManifest(api.url, '1.0.0', ['get_item', 'get_more']));
    const event = await reloaded;
    expect(event.data).toMatchObject({ version: '1.0.0+reload.2', seq: 2 });
    const again = nextEvent(h, (e) => e.type === 'connector.reloaded');
    writeFileSync(file, echoManifest(api.url, '1.0.0', ['get_item']));
    expect((await again).data).toMatchObject({ version: '1.0.0+reload.3', seq: 3 });
    const versions = await h.registry.listVersions('default', 'default', 'echo');
    expect(versions.map((v) => v.version)).toEqual(['1.0.0+reload.3', '1.0.0+reload.2', '1.0.0']);
    // A REST install with other content under the same version string is still refused without force.
    await expect(
      h.registry.install({
        tenantId: 'default',
        projectId: 'default',
        manifest: echoManifest(api.url, '1.0.0', ['other_tool']),
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
    // A bumped version keeps its own string.
    const bumped = nextEvent(h, (e) => e.type === 'connector.reloaded');
    writeFileSync(file, echoManifest(api.url, '1.1.0', ['get_item']));
    expect((await bumped).data).toMatchObject({ version: '1.1.0', seq: 4 });
    // Going back to a version string the history already holds labels it too.
    const back = nextEvent(h, (e) => e.type === 'connector.reloaded');
    writeFileSync(file, echoManifest(api.url, '1.0.0', ['back_again']));
    expect((await back).data).toMatchObject({ version: '1.0.0+reload.5', seq: 5 });
    const strings = (await h.registry.listVersions('default', 'default', 'echo')).map((v) => v.version);
    expect(new Set(strings).size).toBe(strings.length);
  });

  it('creates no version and sends no event for an edit that changes nothing (comment, whitespace)', async () => {
    const seen: RegistryEvent[] = [];
    const off = h.registry.subscribe((e) => seen.push(e));
    const original = echoManifest(api.url, '1.0.0', ['get_item']);
    writeFileSync(
      file,
      `# a comment the manifest does not see
${original.replace('kind: http', 'kind:   http')}

`,
    );
    const outcomes = await h.registry.hotReload('default', 'default');
    expect(outcomes.map((o) => o.outcome)).toEqual(['unchanged']);
    // Positive control: a real edit after it is picked up, and is the first thing anyone hears.
    const reloaded = nextEvent(h, (e) => e.type === 'connector.reloaded');
    writeFileSync(file, echoManifest(api.url, '1.1.0', ['get_item', 'get_more']));
    await reloaded;
    off();
    const first = seen[0];
    expect(first?.type).toBe('connector.updated');
    expect(first?.data).toMatchObject({ version: '1.1.0', seq: 2 });
    expect(seen.filter((e) => e.type === 'connector.updated' || e.type === 'connector.reloaded')).toHaveLength(2);
    expect((await h.registry.listVersions('default', 'default', 'echo')).map((v) => v.seq)).toEqual([2, 1]);
  });
});
