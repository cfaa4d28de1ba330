import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runValidate } from '../../src/cli/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'toolport-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(files: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runValidate(files, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

const GOOD =
  'name: good\nversion: 1.0.0\nhttp:\n  base_url: https://a.example\ntools:\n  - { name: a, endpoint: GET /a }\n  - { name: b, endpoint: GET /b }\n';
const BAD =
  'name: bad\nversion: 1.0.0\nhttp:\n  base_url: https://a.example\n  retry: 3\ntools:\n  - name: a\n    endpoint: GET /a/{id}\n';

describe('toolport validate', () => {
  it('exits 0 and prints "file: ok (N tools)" for valid files', async () => {
    const good = file('good.yaml', GOOD);
    const result = await run([good, join(import.meta.dirname, '../../samples/task-manager.yaml')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `${good}: ok (2 tools)\n${join(import.meta.dirname, '../../samples/task-manager.yaml')}: ok (5 tools)\n`,
    );
    expect(result.stderr).toBe('');
  });

  it('exits 1 and prints file:line:col: message per issue', async () => {
    const good = file('good2.yaml', GOOD);
    const bad = file('bad.yaml', BAD);
    const result = await run([bad, good]);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `${bad}:5:3: unknown key 'retry' (did you mean 'retries'?) (/http/retry)`,
      `${bad}:8:15: path parameter '{id}' is not declared in input_schema.properties (/tools/0/endpoint)`,
    ]);
    expect(result.stdout).toBe(`${good}: ok (2 tools)\n`);
  });

  it('reports unreadable files and YAML syntax errors', async () => {
    const broken = file('broken.yaml', 'name: x\n  version: [\n');
    const missing = join(dir, 'missing.yaml');
    const result = await run([missing, broken]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${missing}: cannot read file (ENOENT)`);
    expect(result.stderr).toMatch(
      new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML syntax error`),
    );
    const flow = file(
      'flow.yaml',
      'name: f\nversion: 1.0.0\nhttp: { base_url: "https://a.example" }\ntools:\n  - { name: a, endpoint: GET /a/{id} }\n',
    );
    const flowResult = await run([flow]);
    expect(flowResult.stderr).toContain(
      `${flow}:5:33: YAML syntax error: Unexpected flow-map-start at node end (inside { } or [ ], quote values`,
    );
  });

  it('prints warnings but still exits 0', async () => {
    const warn = file(
      'warn.yaml',
      'name: w\nversion: 1.0.0\nhttp:\n  base_url: https://a.example\n  auth: { type: bearer, token: literal }\ntools:\n  - { name: a, endpoint: GET /a }\n',
    );
    const result = await run([warn]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`${warn}:5:32: warning: holds a literal credential`);
    expect(result.stdout).toBe(`${warn}: ok (1 tools)\n`);
  });

  it('exits 2 with usage when no file is given', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: toolport validate FILE...');
  });
});
