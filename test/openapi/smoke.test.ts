import { test } from 'vitest';
import { importOpenApi } from '../../src/openapi/index.js';

test('smoke', async () => {
  for (const f of ['1password-connect.oas30.json', 'codat-banking.oas31.json', 'petstore.swagger20.json', 'autotask.oas30.json']) {
    const t0 = Date.now();
    const r = await importOpenApi({ kind: 'location', value: `test/fixtures/openapi/${f}` }, { externalRefs: true });
    console.log(f, Date.now() - t0, 'ms', r.stats, r.warnings.slice(0, 5), r.skipped.slice(0, 5));

  }
}, 120_000);
