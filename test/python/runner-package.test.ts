import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a build script in plain JavaScript, without type declarations
import { bundleRunner } from '../../scripts/bundle-runner.mjs';
import { runnerPath } from '../../src/sources/python/index.js';

const PYTHON_DIR = fileURLToPath(new URL('../../python/', import.meta.url));

describe('the Python runner package', () => {
  it('passes its own unit tests (python/tests, stdlib unittest)', () => {
    const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], {
      cwd: PYTHON_DIR,
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 120_000,
    });
    // unittest reports on stderr; show it whole when anything failed.
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stderr).toMatch(/\nOK\b/);
  });

  it('is bundled deterministically into the one file the runtime uses', () => {
    const text = (bundleRunner as () => string)();
    expect((bundleRunner as () => string)()).toBe(text);
    // The test setup wrote the bundle of the package as it is now.
    expect(readFileSync(runnerPath(), 'utf8')).toBe(text);
  });

  it('runs as a single file with plain python3, nothing next to it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolport-bundle-'));
    try {
      const runner = join(dir, 'toolport_runner.py');
      copyFileSync(runnerPath(), runner);
      // The script lives elsewhere: its own folder is importable by it, the runner's is not.
      mkdirSync(join(dir, 'work'));
      const script = join(dir, 'work', 'calc.py');
      writeFileSync(
        script,
        [
          'import importlib.util',
          'def half(n: int) -> float:',
          '    """Halves n."""',
          '    return n / 2',
          'def runner_visible() -> bool:',
          '    return importlib.util.find_spec("toolport_runner") is not None',
          '',
        ].join('\n'),
      );
      const analyze = spawnSync('python3', ['-I', runner, 'analyze', script], { encoding: 'utf8', timeout: 30_000 });
      expect(analyze.status, analyze.stderr).toBe(0);
      expect(JSON.parse(analyze.stdout).functions).toEqual([
        expect.objectContaining({ name: 'half', description: 'Halves n.' }),
        expect.objectContaining({ name: 'runner_visible' }),
      ]);
      const call = (id: number, name: string, args: object) =>
        JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
      const serve = spawnSync('python3', ['-I', runner, 'serve', script], {
        input: `${call(1, 'half', { n: 'x' })}\n${call(2, 'runner_visible', {})}\n`,
        encoding: 'utf8',
        timeout: 30_000,
      });
      const [reply, visible] = serve.stdout
        .trim()
        .split('\n')
        .map(
          (line) =>
            JSON.parse(line) as {
              result: { isError: boolean; structuredContent: unknown; _meta: { traceback: string } };
            },
        );
      if (!reply || !visible) throw new Error(`runner answered: ${serve.stdout} ${serve.stderr}`);
      // Loaded, the bundle hides its modules: the user's script cannot import the runner's internals.
      expect(visible.result.structuredContent).toEqual({ result: false });
      expect(reply.result.isError).toBe(true);
      // Tracebacks through the bundle name the package module and quote its source line.
      expect(reply.result._meta.traceback).toContain(`${join(dir, 'toolport_runner', 'coerce.py')}", line`);
      expect(reply.result._meta.traceback).toContain('raise _bad(name, "an integer")');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
