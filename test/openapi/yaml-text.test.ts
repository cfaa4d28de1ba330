/** The manifest YAML writer: whatever JSON goes in reads back identical, and big manifests stay compact. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { runImportOpenApi } from '../../src/cli/import-openapi.js';
import { runValidate } from '../../src/cli/validate.js';
import { manifestToYaml } from '../../src/openapi/index.js';

const sink = () => {
  const out = { text: '' };
  return { out, stream: { write: (t: string) => (out.text += t) } };
};

test('strings YAML would misread, odd keys and nested collections read back exactly', () => {
  const awkward = [
    '',
    ' ',
    'true',
    'False',
    'null',
    'NULL',
    '~',
    'yes',
    'on',
    'y',
    '1.0',
    '007',
    '0x1F',
    '1e3',
    '.inf',
    '-',
    '- item',
    'a: b',
    'a:b',
    'x #y',
    '#comment',
    '&anchor',
    '*alias',
    '!tag',
    '%directive',
    '@at',
    '`tick',
    '"quoted"',
    "'single'",
    '? key',
    '| block',
    '> folded',
    '{flow}',
    '[seq]',
    '${config.base_url}',
    'trailing ',
    ' leading',
    'two\nlines',
    'tab\there',
    'cr\r\nlf',
    'nel\u0085next',
    'ls\u2028ps\u2029',
    'bom\ufeff',
    'del\u007f c1\u0090',
    'emoji 🦜',
    'lone \ud800 surrogate',
    'back\\slash',
    'plain words-and_dots.v1/path',
  ];
  const value = {
    strings: awkward,
    keys: Object.fromEntries(awkward.filter((s) => s !== '').map((s, i) => [s, i])),
    long_key: { [`k${'x'.repeat(1100)}`]: 'long keys take the explicit form' },
    numbers: [0, -0, 1.5, -2, 1e21, 1e-7, Number.MAX_SAFE_INTEGER],
    flags: [true, false, null],
    empty: { object: {}, array: [], nested: [[], {}, [[]]] },
    deep: [[1, [2, [3]]], [{ a: [{ b: {} }] }]],
  };
  const text = manifestToYaml(value, 'header\nwith a newline');
  expect(text.startsWith('# header with a newline\n')).toBe(true);
  expect(JSON.stringify(parse(text))).toBe(JSON.stringify(value));
});

test('a manifest over 200 tools writes each schema as one line of JSON and still passes toolport validate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolport-yaml-text-'));
  const paths = Object.fromEntries(
    Array.from({ length: 230 }, (_, i) => [
      `/items${i}/{id}`,
      {
        post: {
          operationId: `update${i}`,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { name: { type: 'string' }, 'odd key: #1': { type: 'boolean' } },
                },
              },
            },
          },
          responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    ]),
  );
  const spec = join(dir, 'many.json');
  writeFileSync(
    spec,
    JSON.stringify({
      openapi: '3.0.3',
      info: { title: 'Many', version: '1.0.0' },
      servers: [{ url: 'https://m.test' }],
      paths,
    }),
  );
  const file = join(dir, 'many.yaml');
  const err = sink();
  await runImportOpenApi(spec, { out: file }, { stdout: err.stream, stderr: err.stream });
  const text = readFileSync(file, 'utf8');
  expect(text).toMatch(/^ {4}input_schema: \{"type":"object","properties":\{"id":\{"type":"integer"\}/m);
  expect(text).toMatch(/^ {4}http:\n {6}method: POST$/m);
  const validated = sink();
  expect(await runValidate([file], { stdout: validated.stream, stderr: validated.stream })).toBe(0);
  expect(validated.out.text).toMatch(/ok \(230 tools\)/);
});
