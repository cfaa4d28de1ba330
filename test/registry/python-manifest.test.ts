import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPythonSource } from '../../src/sources/python/index.js';
import { createRegistryHarness, waitUntil, type RegistryHarness } from '../helpers/registry-harness.js';

const MANIFEST = `name: calc
version: 1.0.0
kind: python
description: Arithmetic in Python
python:
  script: scripts/calc.py
  timeout_ms: 10000
`;

describe('python connectors from a manifest', () => {
  let h: RegistryHarness;
  let dir: string;

  beforeEach(async () => {
    h = await createRegistryHarness({
      hotReload: true,
      sources: {
        python: ({ manifest, config }) =>
          createPythonSource({ manifest, config, scratchRoot: join(h.dir, 'scratch'), sandbox: 'auto' }),
      },
    });
    dir = join(h.dir, 'calc');
    mkdirSync(join(dir, 'scripts'), { recursive: true });
    writeFileSync(
      join(dir, 'scripts', 'calc.py'),
      'def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n',
    );
    writeFileSync(join(dir, 'calc.yaml'), MANIFEST);
    await h.registry.install({ tenantId: 'default', projectId: 'default', filePath: join(dir, 'calc.yaml') });
  });

  afterEach(async () => {
    await h.close();
  });

  it('resolves the script next to the manifest, discovers its functions and calls them', async () => {
    const snapshot = h.registry.getSnapshot('default', 'default')!;
    expect(snapshot.tools.map((t) => t.qualifiedName)).toEqual(['calc__add']);
    const out = await h.registry.invokeTool('default', 'default', 'calc__add', { a: 2, b: 3 });
    expect(out.structuredContent).toEqual({ result: 5 });
    const versions = await h.registry.listVersions('default', 'default', 'calc');
    expect(versions[0]).toMatchObject({ seq: 1, tool_count: 1 });
  });

  it('hot reloads when the script file changes, recording the tool diff', async () => {
    writeFileSync(
      join(dir, 'scripts', 'calc.py'),
      'def add(a: int, b: int) -> int:\n    return a + b\n\n\ndef mul(a: int, b: int) -> int:\n    return a * b\n',
    );
    await waitUntil(h.registry, () => h.registry.getSnapshot('default', 'default')!.tools.length === 2, 'mul served');
    const out = await h.registry.invokeTool('default', 'default', 'calc__mul', { a: 6, b: 7 });
    expect(out.structuredContent).toEqual({ result: 42 });
    const [latest] = await h.registry.listVersions('default', 'default', 'calc');
    expect(latest).toMatchObject({ seq: 2, current: true });
    expect(latest!.diff.added).toEqual(['mul']);
  });

  it('an edit of the manifest that changes nothing creates no version and no event; a real edit does', async () => {
    const seen: string[] = [];
    const off = h.registry.subscribe((e) => seen.push(`${e.type}:${String(e.data.version ?? '')}`));
    writeFileSync(join(dir, 'calc.yaml'), `# reformatted\n${MANIFEST.replace('kind: python', 'kind:  python')}\n`);
    const outcomes = await h.registry.hotReload('default', 'default');
    expect(outcomes.map((o) => o.outcome)).toEqual(['unchanged']);
    // Positive control: a real edit is heard, and is the first thing heard.
    writeFileSync(join(dir, 'calc.yaml'), MANIFEST.replace('1.0.0', '1.1.0').replace('Arithmetic', 'Sums'));
    await waitUntil(h.registry, () => seen.includes('connector.reloaded:1.1.0'), 'the real edit reloaded');
    off();
    expect(seen[0]).toBe('connector.updated:1.1.0');
    expect((await h.registry.listVersions('default', 'default', 'calc')).map((v) => v.seq)).toEqual([2, 1]);
  });
});
