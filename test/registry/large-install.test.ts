/**
 * Installing a 1 MiB YAML manifest (~3,400 tools) leaves the event loop running: its text is parsed in the
 * manifest worker thread (the compiled dist/manifest/internal/parse-worker.js: `npm run build` first), so the
 * node's other calls are not held up for the most of a second the parse takes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bigManifestYaml } from '../helpers/big-manifest.js';
import { createRegistryHarness, type RegistryHarness } from '../helpers/registry-harness.js';

let h: RegistryHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('installing a large YAML manifest', () => {
  it('keeps the event loop ticking while the manifest is parsed', async () => {
    h = await createRegistryHarness();
    const manifest = bigManifestYaml();
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 5);
    try {
      const result = await h.registry.install({ tenantId: 'default', projectId: 'default', manifest });
      expect(result.connector.name).toBe('big');
    } finally {
      clearInterval(timer);
    }
    // Parsed in-line, the install runs 0–2 ticks; with the parse in the worker, dozens.
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it('refuses an invalid large manifest with positioned issues', async () => {
    h = await createRegistryHarness();
    const manifest = bigManifestYaml({ broken: true });
    const err = await h.registry.install({ tenantId: 'default', projectId: 'default', manifest }).catch((e) => e);
    expect(err.code).toBe('validation_failed');
    expect(err.details.issues.length).toBeGreaterThanOrEqual(3);
    expect(err.details.issues[0].line).toBeGreaterThan(100);
  });
});
