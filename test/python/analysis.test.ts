import { describe, expect, it } from 'vitest';

import { isToolportError } from '../../src/core/index.js';
import { analyzeScript } from '../../src/sources/python/index.js';

describe('analyzeScript', () => {
  it('lists public functions defined in the module and explains every skip', async () => {
    const analysis = await analyzeScript({
      filename: 'mixed.py',
      content: [
        'import json',
        'from os.path import join',
        'from json import dumps as to_json',
        'def public(a: int) -> int:',
        '    return a',
        'async def fetch(url: str) -> str:',
        '    return url',
        'def _private(x): pass',
        'class Thing: pass',
        'square = lambda x: x * x',
        'import socket',
        'def takes_object(s: socket.socket): pass',
      ].join('\n'),
    });
    expect(analysis.functions.map((f) => [f.name, f.is_async, f.line])).toEqual([
      ['public', false, 4],
      ['fetch', true, 6],
    ]);
    const reasons = Object.fromEntries(analysis.skipped.map((s) => [s.name, s.reason]));
    expect(reasons).toMatchObject({
      join: expect.stringContaining('imported from'),
      to_json: expect.stringContaining('imported from json'),
      _private: 'private (leading underscore)',
      Thing: 'class (only functions become tools)',
      square: 'lambda',
      takes_object: "parameter 's' has unsupported type socket",
    });
    expect(analysis).toMatchObject({ syntax_error: null, import_error: null, missing_modules: [], has_main: false });
  });

  it('names every missing module, including ones after the first failing import', async () => {
    const analysis = await analyzeScript({
      filename: 'deps.py',
      content:
        'import requests_missing_zz\nfrom numpy_nonexistent_x import array\ntry:\n    import optional_dep_zzz\nexcept ImportError:\n    pass\ndef f(): pass\n',
    });
    expect(analysis.missing_modules).toEqual(['requests_missing_zz', 'numpy_nonexistent_x']);
    expect(analysis.import_error).toMatch(/^ModuleNotFoundError: No module named 'requests_missing_zz'/);
    expect(analysis.functions).toEqual([]);
  });

  it('reports a syntax error with line and column instead of failing', async () => {
    const analysis = await analyzeScript({
      filename: 'broken.py',
      content: 'def ok():\n    pass\n\ndef bad(:\n    pass\n',
    });
    expect(analysis.syntax_error).toEqual({ line: 4, column: 9, message: expect.stringMatching(/invalid syntax/) });
    expect(analysis.functions).toEqual([]);
  });

  it('reports an exception raised at import time', async () => {
    const analysis = await analyzeScript({
      filename: 'raises.py',
      content: 'def f(): pass\nraise RuntimeError("no config")\n',
    });
    expect(analysis.import_error).toBe('RuntimeError: no config');
  });

  it('warns about risky constructs with their lines, resolving import aliases', async () => {
    const analysis = await analyzeScript({
      filename: 'risky.py',
      content: [
        'import os, shutil',
        'import subprocess as sp',
        'from os import system',
        'def run(cmd: str):',
        '    os.system(cmd)',
        '    sp.check_output(["ls"])',
        '    system("true")',
        '    eval("1 + 1")',
        '    shutil.rmtree("/tmp/x")',
        '    open("out.txt", "w").write("x")',
        '    open("in.txt").read()',
      ].join('\n'),
    });
    expect(analysis.warnings).toEqual([
      { line: 2, message: 'imports subprocess' },
      { line: 5, message: 'os.system() runs a shell command' },
      { line: 6, message: 'subprocess.check_output() runs external programs' },
      { line: 7, message: 'os.system() runs a shell command' },
      { line: 8, message: 'eval() executes dynamic code' },
      { line: 9, message: 'shutil.rmtree() deletes directory trees' },
      { line: 10, message: "open() with mode 'w' writes files" },
    ]);
    // Warnings inform; the function is still offered.
    expect(analysis.functions.map((f) => f.name)).toEqual(['run']);
  });

  it('detects a __main__ block and extracts argparse parameters', async () => {
    const analysis = await analyzeScript({
      filename: 'cli.py',
      content: [
        'import argparse',
        'def main():',
        '    parser = argparse.ArgumentParser()',
        '    parser.add_argument("input", help="file to read")',
        '    parser.add_argument("-n", "--count", type=int, default=3, help="how many")',
        '    parser.add_argument("--ratio", type=float, required=True)',
        '    parser.add_argument("--verbose", action="store_true", help="talk more")',
        '    parser.add_argument("--no-color", dest="color", action="store_false")',
        '    parser.add_argument("--tags", nargs="+")',
        '    parser.add_argument("--mode", choices=["fast", "slow"], default="fast")',
        '    parser.add_argument("extra", nargs="?")',
        '    return parser.parse_args()',
        'if __name__ == "__main__":',
        '    main()',
      ].join('\n'),
    });
    expect(analysis.has_main).toBe(true);
    expect(analysis.cli_parameters).toEqual([
      { name: 'input', type: 'string', required: true, description: 'file to read' },
      { name: 'count', type: 'integer', required: false, flag: '--count', description: 'how many', default: 3 },
      { name: 'ratio', type: 'number', required: true, flag: '--ratio' },
      {
        name: 'verbose',
        type: 'boolean',
        required: false,
        flag: '--verbose',
        description: 'talk more',
        default: false,
      },
      { name: 'color', type: 'boolean', required: false, flag: '--no-color', default: true },
      { name: 'tags', type: 'array', required: false, flag: '--tags', items: { type: 'string' } },
      { name: 'mode', type: 'string', required: false, flag: '--mode', enum: ['fast', 'slow'], default: 'fast' },
      { name: 'extra', type: 'string', required: false },
    ]);
    // main() parses the command line itself: function mode skips it, saying why.
    expect(analysis.functions.map((f) => f.name)).toEqual([]);
    expect(analysis.skipped.find((s) => s.name === 'main')?.reason).toMatch(/argparse entry point/);
  });

  it('keeps user prints at import time out of the JSON answer', async () => {
    const analysis = await analyzeScript({
      filename: 'noisy.py',
      content: 'print("hello {")\nimport os\nos.write(1, b"raw\\n")\ndef f(): pass\n',
    });
    expect(analysis.functions.map((f) => f.name)).toEqual(['f']);
  });

  it('stops an import that never finishes and reports the timeout', async () => {
    const analysis = await analyzeScript({ filename: 'loop.py', content: 'while True:\n    pass\n', timeoutMs: 500 });
    expect(analysis.import_error).toMatch(/^TimeoutError: importing the script took longer than 500 ms/);
  });

  it('kills the process when the import blocks signals and rejects with a clear error', async () => {
    const content = 'import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass\n';
    const error = await analyzeScript({ filename: 'stubborn.py', content, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isToolportError(error, 'unprocessable')).toBe(true);
    expect((error as Error).message).toBe('script analysis timed out after 300 ms');
  });
});
