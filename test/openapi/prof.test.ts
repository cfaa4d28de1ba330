import { test } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadOpenApiDocument } from '../../src/openapi/index.js';
import { mapOperation } from '../../src/openapi/internal/operations.js';
test('prof', async () => {
  const { doc } = await loadOpenApiDocument({ kind: 'location', value: 'test/fixtures/openapi/autotask.oas30.json' }, { externalRefs: true });
  const schemas: any[] = [];
  for (const [path, item] of Object.entries(doc.paths as any)) for (const m of ['get','post','put','patch','delete']) if ((item as any)[m]) { const r = mapOperation({ doc, dialect: 'oas30', outputSchemas: true, warn: () => {} }, { method: m, path, pathItem: item as any, operation: (item as any)[m] }); if (r.ok) { schemas.push(r.tool.input_schema, r.tool.output_schema); } }
  const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false });
  let t = Date.now();
  for (const s of schemas) if (s) ajv.validateSchema(s);
  console.log('META', Date.now() - t, schemas.length); t = Date.now();
  for (const s of schemas) if (s) { ajv.compile(s); ajv.removeSchema(s); }
  console.log('COMPILE', Date.now() - t); t = Date.now();
  const sizes = schemas.filter(Boolean).map((s) => JSON.stringify(s).length).sort((a, b) => b - a);
  console.log('SIZES', sizes.slice(0, 5), sizes[Math.floor(sizes.length / 2)]);
}, 120000);
