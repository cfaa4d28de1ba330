import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildStandaloneWrapper } from './wrapper.js';

/** Runs a wrapper alone in a fresh folder with plain python3, feeding it JSON-RPC lines. */
function runWrapper(text: string, messages: object[]): Record<string, unknown>[] {
  const dir = mkdtempSync(join(tmpdir(), 'toolport-wrapper-test-'));
  try {
    const file = join(dir, 'wrapper.py');
    writeFileSync(file, text);
    const run = spawnSync('python3', ['-I', file], {
      input: messages.map((m) => `${JSON.stringify(m)}\n`).join(''),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const call = (id: number, name: string, args: object) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

describe('buildStandaloneWrapper', () => {
  it('serves the selected functions of the embedded script with nothing but python3', () => {
    const content =
      'def shout(text: str) -> str:\n    return text.upper() + "\\"\'\'\'"\n\ndef hidden() -> int:\n    return 1\n';
    const wrapper = buildStandaloneWrapper({
      content,
      filename: '../odd name.py',
      mode: 'functions',
      functions: ['shout'],
    });
    const [listed, called] = runWrapper(wrapper, [
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      call(2, 'shout', { text: 'hi' }),
    ]);
    expect(listed).toMatchObject({ result: { tools: [{ name: 'shout' }] } });
    expect(called).toMatchObject({ result: { structuredContent: { result: `HI"'''` } } });
  });

  it('serves a script-mode tool with its CLI parameters', () => {
    const content = 'import sys\nprint("args:", " ".join(sys.argv[1:]))\n';
    const wrapper = buildStandaloneWrapper({
      content,
      filename: 'echo_args.py',
      mode: 'script',
      toolName: 'echo_args',
      parameters: [{ name: 'word', type: 'string', required: true }],
    });
    const [called] = runWrapper(wrapper, [call(1, 'echo_args', { word: 'hello' })]);
    expect(called).toMatchObject({ result: { structuredContent: { stdout: 'args: hello\n', exit_code: 0 } } });
  });
});
