/**
 * Runs the store conformance suite against every driver. PostgreSQL runs when reachable at
 * TOOLPORT_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); when it is not,
 * its suite is skipped with a warning — except under CI=true, where that is a failure.
 */
import { describe, it } from 'vitest';
import {
  isPostgresReachable,
  PG_URL_REDACTED,
  postgresFixture,
  sqliteFixture,
  type StoreDriverFixture,
} from './drivers.js';
import { defineStoreConformance } from './store-conformance.js';

const pgReachable = await isPostgresReachable();
const drivers: { fixture: StoreDriverFixture; available: boolean }[] = [
  { fixture: sqliteFixture, available: true },
  { fixture: postgresFixture, available: pgReachable },
];

for (const { fixture, available } of drivers) {
  if (available) {
    describe(`store conformance: ${fixture.name}`, () => defineStoreConformance(fixture));
  } else if (process.env.CI === 'true') {
    describe(`store conformance: ${fixture.name}`, () => {
      it('has its database available (required under CI)', () => {
        throw new Error(
          `PostgreSQL is not reachable at ${PG_URL_REDACTED}; CI must run the ${fixture.name} store suite`,
        );
      });
    });
  } else {
    console.warn(
      `[store tests] GAP: ${fixture.name} store conformance suite SKIPPED — PostgreSQL not reachable at ${PG_URL_REDACTED}`,
    );
    describe.skip(`store conformance: ${fixture.name} (database unreachable)`, () => defineStoreConformance(fixture));
  }
}
