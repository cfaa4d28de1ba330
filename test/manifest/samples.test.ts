import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { manifestJsonSchema, parseManifest } from '../../src/manifest/index.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const SCHEMA_FILE = join(import.meta.dirname, '../../schemas/manifest.schema.json');
const sampleFiles = readdirSync(SAMPLES).filter((f) => f.endsWith('.yaml'));

function load(name: string) {
  const file = join(SAMPLES, name);
  const result = parseManifest(readFileSync(file, 'utf8'), { file });
  if (!result.ok)
    throw new Error(result.issues.map((i) => `${i.line}:${i.column} ${i.pointer} ${i.message}`).join('\n'));
  return result;
}

describe('samples', () => {
  it('includes the six documented samples', () => {
    expect(sampleFiles.sort()).toEqual([
      'api-key-example.yaml',
      'notes-mcp.yaml',
      'task-manager.yaml',
      'text-tools.yaml',
      'weather-legacy.yaml',
      'weather.yaml',
    ]);
  });

  it.each(sampleFiles)('%s validates without warnings', (name) => {
    const { manifest, warnings } = load(name);
    expect(warnings).toEqual([]);
    // Python and MCP connectors discover their tools when they start; HTTP manifests declare them.
    if (manifest.kind === 'http') expect(manifest.tools.length).toBeGreaterThan(0);
    else expect(manifest.tools).toEqual([]);
  });

  it('weather and weather-legacy describe the same API call', () => {
    const current = load('weather.yaml').manifest;
    const legacy = load('weather-legacy.yaml').manifest;
    expect(legacy.http!.base_url).toBe(current.http!.base_url);
    expect(legacy.http!.auth).toEqual(current.http!.auth);
    expect(legacy.tools.map((t) => [t.name, t.http!.method, t.http!.path])).toEqual(
      current.tools.map((t) => [t.name, t.http!.method, t.http!.path]),
    );
    expect(legacy.tools[0]!.input_schema.required).toEqual(current.tools[0]!.input_schema.required);
  });

  it('task-manager covers CRUD with path parameters, a nested body and a configurable base_url', () => {
    const { manifest } = load('task-manager.yaml');
    expect(manifest.tools.map((t) => `${t.http!.method} ${t.http!.path}`)).toEqual([
      'GET /tasks',
      'GET /tasks/{task_id}',
      'POST /tasks',
      'PATCH /tasks/{task_id}',
      'DELETE /tasks/{task_id}',
    ]);
    expect(manifest.http!.base_url).toBe('${config.base_url}');
    expect(manifest.config.base_url!.default).toBe('http://127.0.0.1:8091');
    const create = manifest.tools.find((t) => t.name === 'create_task')!;
    expect((create.input_schema.properties as Record<string, { type: string }>).assignee!.type).toBe('object');
    expect(create.http!.args).toMatchObject({ title: 'body', assignee: 'body', idempotency_key: 'header' });
  });

  it('api-key-example sends a secret config key in a header', () => {
    const { manifest } = load('api-key-example.yaml');
    expect(manifest.http!.auth).toEqual({
      type: 'api_key',
      in: 'header',
      name: 'X-API-Key',
      value: '${config.api_key}',
    });
    expect(manifest.config.api_key).toMatchObject({ secret: true, required: true });
  });
});

describe('docs/manifest.md', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/manifest.md'), 'utf8');
  const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((y) => /^(name|connector):/m.test(y));

  it('has an example per kind and one in the legacy format', () => {
    expect(examples.map((y) => /^kind: (\w+)/m.exec(y)?.[1] ?? (y.startsWith('connector:') ? 'legacy' : '?'))).toEqual(
      expect.arrayContaining(['http', 'python', 'mcp', 'legacy']),
    );
  });

  it.each(examples.map((y, i) => [i, y] as const))('example %i is valid', (_, yaml) => {
    const result = parseManifest(yaml, { file: 'docs/manifest.md' });
    expect(result.ok ? [] : result.issues).toEqual([]);
  });
});

describe('published JSON Schema', () => {
  it('schemas/manifest.schema.json is the exported schema (UPDATE_SCHEMA=1 rewrites it)', () => {
    const expected = `${JSON.stringify(manifestJsonSchema, null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(SCHEMA_FILE, expected);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(expected);
  });

  it('accepts the current-format samples and rejects a broken one, as an editor would', () => {
    // Editors ignore non-standard keywords; a non-strict plain draft-07 validator behaves the same.
    const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
    for (const name of ['weather.yaml', 'task-manager.yaml', 'api-key-example.yaml']) {
      const data = parse(readFileSync(join(SAMPLES, name), 'utf8'), { merge: true });
      expect(validate(data), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate({ name: 'x', version: '1.0.0', kind: 'http', tools: [] })).toBe(false);
  });

  it('is referenced by the samples for the YAML language server', () => {
    expect(readFileSync(join(SAMPLES, 'weather.yaml'), 'utf8')).toContain(
      '# yaml-language-server: $schema=../schemas/manifest.schema.json',
    );
  });
});
