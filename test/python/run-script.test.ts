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
});
