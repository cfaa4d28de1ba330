import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, describe, expect, it } from 'vitest';
import plugin from '../../scripts/eslint/no-cycle-with-types.mjs';

const dir = mkdtempSync(join(tmpdir(), 'toolport-cycle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Lints `name` (after writing every file of `files` into a fresh folder) with only the cycle rule on. */
function lint(files: Record<string, string>, name: string): string[] {
  const root = mkdtempSync(join(dir, 'case-'));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(root, file), text);
  const linter = new Linter({ configType: 'flat', cwd: root });
  const messages = linter.verify(
    files[name]!,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        plugins: { toolport: plugin },
        rules: { 'toolport/no-cycle-with-types': 'error' },
      },
    ],
    join(root, name),
  );
  return messages.map((m) => m.message);
}

describe('toolport/no-cycle-with-types', () => {
  it('reports a cycle whose one side is a type-only import (import-x/no-cycle does not)', () => {
    const files = {
      'core.ts': "import { HotReload } from './hot.js';\nexport class Core { hot = new HotReload(); }\n",
      'hot.ts': "import type { Core } from './core.js';\nexport class HotReload { core?: Core; }\n",
    };
    expect(lint(files, 'core.ts')).toEqual([expect.stringMatching(/core\.ts → .*hot\.ts → .*core\.ts/)]);
    expect(lint(files, 'hot.ts')).toHaveLength(1);
  });

  it('reports a longer cycle through an index file', () => {
    const files = {
      'a.ts': "export { b } from './b.js';\nexport const a = 1;\n",
      'b.ts': "import type { C } from './c.js';\nexport const b: C | 2 = 2;\n",
      'c.ts': "import { a } from './a.js';\nexport type C = typeof a;\n",
    };
    expect(lint(files, 'a.ts')).toHaveLength(1);
  });

  it('accepts imports that point one way (control)', () => {
    const files = {
      'core.ts': "import type { Target } from './target.js';\nexport class Core { t?: Target; }\n",
      'target.ts': 'export interface Target { name: string }\n',
    };
    expect(lint(files, 'core.ts')).toEqual([]);
    expect(lint(files, 'target.ts')).toEqual([]);
  });
});
