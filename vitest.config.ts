import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Bundles python/toolport_runner/ into python/toolport_runner.py, so tests run the package as it is now.
    globalSetup: ['./scripts/bundle-runner.mjs'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel but not more than the machine can take.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
