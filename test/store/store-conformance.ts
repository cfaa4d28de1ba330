/**
 * The store conformance suite: one set of behaviours every Store driver must show. Run per driver by
 * `store.test.ts`; each test gets a fresh database (its `h` fixture) from the driver's fixture, so
 * tests are independent and run concurrently.
 */
import { describe, test } from 'vitest';
import { defineClusterTests } from './conformance-cluster.js';
import { defineConnectorTests } from './conformance-connectors.js';
import { defineCoreTests } from './conformance-core.js';
import { defineSecurityTests } from './conformance-security.js';
import { defineSessionShareTests } from './conformance-sessions.js';
import type { StoreDriverFixture, StoreHarness, StoreTest } from './drivers.js';

export type { StoreTest } from './drivers.js';

/** Registers the whole suite for one driver. */
export function defineStoreConformance(fixture: StoreDriverFixture): void {
  const it: StoreTest = test.extend<{ h: StoreHarness }>({
    // eslint-disable-next-line no-empty-pattern -- vitest fixtures must destructure their context
    h: async ({}, use) => {
      const harness = await fixture.setup();
      try {
        await use(harness);
      } finally {
        await harness.cleanup();
      }
    },
  });

  describe.concurrent('records', () => defineCoreTests(it));
  describe.concurrent('connectors', () => defineConnectorTests(it));
  describe.concurrent('security', () => defineSecurityTests(it));
  describe.concurrent('cluster', () => defineClusterTests(it, fixture));
  describe.concurrent('shared sessions', () => defineSessionShareTests(it, fixture));
}
