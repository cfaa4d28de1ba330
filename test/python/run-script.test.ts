import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';

import { createWorkdir } from './helpers.js';

// `toolport run-script` is wired by the CLI; this drives runScript from the built package so the
// runner path is resolved the way it is in production (dist/cli → ../../python).
const BUILT = fileURLToPath(new URL('../../dist/cli/run-script.js', import.meta.url));
const built = existsSync(BUILT);
if (!built) {
  if (process.env.CI === 'true') throw new Error('dist/cli/run-script.js missing: run `npm run build` first');
  console.warn('[test/python] dist/ not built: run-script from dist skipped (run `npm run build`)');
}

describe.skipIf(!built)('runScript from dist (the generated wrapper)', () => {
  const work = createWorkdir('run-script');
  afterAll(() => work.cleanup());

  it('serves the selected functions of a script over stdio', async () => {
    const script = work.write(
      'calc.py',
      'def double(x: int) -> int:\n    return 2 * x\n\ndef hidden() -> None:\n    pass\n',
    );
    const program = `import(${JSON.stringify(BUILT)}).then((m) => m.runScript(${JSON.stringify(script)}, { functions: ['double'] }))`;
    const client = new Client({ name: 'run-script-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: ['-e', program], stderr: 'pipe' }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['double']);
      const result = await client.callTool({ name: 'double', arguments: { x: 21 } });
      expect(result.structuredContent).toEqual({ result: 42 });
    } finally {
      await client.close();
    }
  });

  const ARGPARSE_SCRIPT = [
    'import argparse',
    'import sys',
    '',
    'SEEN = list(sys.argv)',
    '',
    'def seen_argv() -> list:',
    '    return SEEN',
    '',
    'def main():',
    '    parser = argparse.ArgumentParser(description="Summarise a report.")',
    '    parser.add_argument("--level", choices=["low", "high"], default="low")',
    '    parser.add_argument("--sizes", nargs="+", type=int)',
    '    parser.add_argument("--tag", action="append")',
    '    args = parser.parse_args()',
    '    print(args.level, args.sizes, args.tag)',
    '',
    'if __name__ == "__main__":',
    '    main()',
    '',
  ].join('\n');

  async function connect(script: string, options: object): Promise<Client> {
    const program = `import(${JSON.stringify(BUILT)}).then((m) => m.runScript(${JSON.stringify(script)}, ${JSON.stringify(options)}))`;
    const client = new Client({ name: 'run-script-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: ['-e', program], stderr: 'pipe' }),
    );
    return client;
  }

  it('function mode skips an argparse main() and the script sees its own file name as argv', async () => {
    const script = work.write('report.py', ARGPARSE_SCRIPT);
    const client = await connect(script, {});
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['seen_argv']);
      const result = await client.callTool({ name: 'seen_argv', arguments: {} });
      expect(result.structuredContent).toEqual({ result: [script] });
    } finally {
      await client.close();
    }
  });

  it('script mode serves one tool from the argparse declarations and runs it with repeated flags', async () => {
    const script = work.write('report.py', ARGPARSE_SCRIPT);
    const client = await connect(script, { mode: 'script' });
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(1);
      const tool = tools[0]!;
      expect(tool.name).toBe('report');
      expect(tool.description).toBe('Summarise a report.');
      const props = tool.inputSchema.properties as Record<string, Record<string, unknown>>;
      expect(props.level).toMatchObject({ type: 'string', enum: ['low', 'high'] });
      expect(props.sizes).toMatchObject({ type: 'array', items: { type: 'integer' } });
      const ok = await client.callTool({
        name: 'report',
        arguments: { level: 'high', sizes: [1, 2], tag: ['x', 'y'] },
      });
      expect(ok.isError).toBeFalsy();
      expect(ok.structuredContent).toMatchObject({ stdout: "high [1, 2] ['x', 'y']\n", exit_code: 0 });
      const bad = await client.callTool({ name: 'report', arguments: { level: 'medium' } });
      expect(bad.isError).toBe(true);
      expect((bad.structuredContent as { stderr: string }).stderr).toContain('report.py: error');
    } finally {
      await client.close();
    }
  });

  it('the CLI offers --mode and refuses an unknown one', () => {
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const help = spawnSync(process.execPath, [cli, 'run-script', '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/--mode <mode>/);
    const script = work.write('tiny.py', 'def f() -> int:\n    return 1\n');
    const bad = spawnSync(process.execPath, [cli, 'run-script', script, '--mode', 'both'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--mode must be functions or script/);
  });
});
