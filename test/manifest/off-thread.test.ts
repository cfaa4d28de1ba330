/**
 * parseManifestOffThread gives the very result of parseManifest, parsing large texts in the worker thread
 * (the compiled dist/manifest/internal/parse-worker.js: `npm run build` first).
 */
import { describe, expect, it } from 'vitest';
import { parseManifest, parseManifestOffThread } from '../../src/manifest/index.js';
import { bigManifestYaml } from '../helpers/big-manifest.js';

/** Resolves `work` while counting ticks of a 5 ms interval: how often the event loop got to run meanwhile. */
async function ticksDuring<T>(work: () => Promise<T>): Promise<{ value: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 5);
  try {
    return { value: await work(), ticks };
  } finally {
    clearInterval(timer);
  }
}

describe('parseManifestOffThread', () => {
  it('answers a large valid manifest exactly like parseManifest, off the event loop', async () => {
    const text = bigManifestYaml();
    const options = { file: '/srv/manifests/big.yaml' };
    const inline = parseManifest(text, options);
    expect(inline.ok).toBe(true);
    const { value: off, ticks } = await ticksDuring(() => parseManifestOffThread(text, options));
    expect(off).toStrictEqual(inline);
    // In-line, the parse holds the loop for its whole duration (0–1 ticks); in the worker it keeps ticking.
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it('answers a large invalid manifest with the same issues, positions and file', async () => {
    const text = bigManifestYaml({ broken: true });
    const options = { file: 'big.yaml' };
    const inline = parseManifest(text, options);
    expect(inline.ok).toBe(false);
    const off = await parseManifestOffThread(text, options);
    expect(off).toStrictEqual(inline);
    if (off.ok) return;
    expect(off.issues.length).toBeGreaterThanOrEqual(3);
    for (const issue of off.issues) {
      expect(issue.file).toBe('big.yaml');
      expect(issue.line).toBeGreaterThan(100);
      expect(issue.column).toBeGreaterThan(0);
    }
  });

  it('parses small texts and objects in-line with the same answer', async () => {
    const text = bigManifestYaml({ bytes: 2000 });
    expect(await parseManifestOffThread(text)).toStrictEqual(parseManifest(text));
    const object = { name: 'x', version: '1.0.0', http: { base_url: 'https://x.example' }, tools: [] };
    expect(await parseManifestOffThread(object)).toStrictEqual(parseManifest(object));
  });

  it('parses texts in the worker one after another', async () => {
    const texts = [bigManifestYaml({ name: 'one', bytes: 200_000 }), bigManifestYaml({ name: 'two', bytes: 200_000 })];
    const results = await Promise.all(texts.map((t) => parseManifestOffThread(t)));
    expect(results.map((r) => (r.ok ? r.manifest.name : 'failed'))).toEqual(['one', 'two']);
  });
});
