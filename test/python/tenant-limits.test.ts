import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { ToolSource } from '../../src/core/index.js';
import { analyzeScript, createPythonSource, type PythonSourceOptions } from '../../src/sources/python/index.js';

import { cgroupsWritable, createWorkdir, firstText, pythonManifest, sandboxAvailable } from './helpers.js';

const SCRIPT = `
import os, time


def fork_many(count: int) -> str:
    children = []
    try:
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            children.append(pid)
    finally:
        for pid in children:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    return "forked %d" % len(children)


def hog(children: int, mb: int) -> list[int]:
    pids = []
    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            block = bytearray(b"x") * (mb * 1024 * 1024)
            time.sleep(2)
            os._exit(len(block) % 7)
        pids.append(pid)
    return [os.waitpid(pid, 0)[1] for pid in pids]


def fill_scratch(total_mb: int) -> int:
    written = 0
    chunk = b"x" * (1024 * 1024)
    with open(os.path.join(os.getcwd(), "big.bin"), "wb") as fh:
        for _ in range(total_mb):
            fh.write(chunk)
            fh.flush()
            written += 1
    return written


def ping() -> str:
    return "pong"
`;

describe('limits of tenant python code', async () => {
  const available = await sandboxAvailable();
  const cgroups = available && cgroupsWritable();
  const work = createWorkdir('limits');
  const script = work.write('limits.py', SCRIPT);
  const sources: ToolSource[] = [];
  const open = (options: Partial<PythonSourceOptions> = {}, python: Record<string, unknown> = {}): ToolSource => {
    const source = createPythonSource({
      manifest: pythonManifest(script, { memory_mb: 1024, timeout_ms: 30_000, ...python }),
      config: {},
      trust: 'tenant',
      scratchRoot: join(work.dir, 'scratch'),
      ...options,
    });
    sources.push(source);
    return source;
  };
  afterAll(async () => {
    await Promise.all(sources.map((s) => s.close()));
    work.cleanup();
  });

  describe.skipIf(!available)('sandboxed', () => {
    it.skipIf(!cgroups)(
      'bounds the processes of a worker tree: 500 forks fail with an error naming the limit',
      async () => {
        const source = open({ limits: { maxProcesses: 24 } });
        const result = await source.invoke('fork_many', { count: 500 });
        expect(result.isError).toBe(true);
        expect(firstText(result)).toMatch(/process limit \(24 processes; TOOLPORT_PYTHON_MAX_PROCESSES/);
        expect(source.info!()).toMatchObject({ sandboxed: true, limits: { maxProcesses: 24 } });
        // The worker was replaced; the next call is served.
        expect((await source.invoke('ping', {})).structuredContent).toEqual({ result: 'pong' });
      },
    );

    it('falls back to per-process rlimits without cgroups, and says so in the runtime info', async () => {
      const source = open({ cgroups: false, limits: { maxProcesses: 24, maxMemoryMb: 600 } });
      expect((await source.invoke('ping', {})).structuredContent).toEqual({ result: 'pong' });
      expect(source.info!()).toMatchObject({ limits: { mode: 'rlimit', maxProcesses: 24, maxMemoryMb: 600 } });
    });

    it.skipIf(!cgroups)('names the limit in the start failure of a script that forks at import', async () => {
      const greedy = work.write(
        'greedy.py',
        'import os, time\nfor _ in range(200):\n    if os.fork() == 0:\n        time.sleep(30)\n        os._exit(0)\n',
      );
      const source = createPythonSource({
        manifest: pythonManifest(greedy, { memory_mb: 1024 }),
        config: {},
        trust: 'tenant',
        scratchRoot: join(work.dir, 'scratch'),
        limits: { maxProcesses: 12 },
      });
      sources.push(source);
      await expect(source.load()).rejects.toThrow(/process limit \(12 processes; TOOLPORT_PYTHON_MAX_PROCESSES/);
    });

    it.skipIf(!cgroups)('analyses a tenant upload inside the same limits, naming the one its import hit', async () => {
      const analysis = await analyzeScript({
        filename: 'greedy.py',
        content:
          'import os, time\nfor _ in range(200):\n    if os.fork() == 0:\n        time.sleep(30)\n        os._exit(0)\n',
        trust: 'tenant',
        limits: { maxProcesses: 12 },
      });
      expect(analysis.import_error).toMatch(/process limit \(12 processes; TOOLPORT_PYTHON_MAX_PROCESSES/);
    });

    it('a manifest may lower the process limit but not raise it', async () => {
      const lowered = open({ limits: { maxProcesses: 24 } }, { max_processes: 12 });
      await lowered.load();
      expect(lowered.info!()).toMatchObject({ limits: { maxProcesses: 12 } });
      const raised = open({ limits: { maxProcesses: 24 } }, { max_processes: 400 });
      await raised.load();
      expect(raised.info!()).toMatchObject({ limits: { maxProcesses: 24 } });
    });

    it.skipIf(!cgroups)(
      'kills a tree that outgrows its memory limit across several children, says so, and respawns',
      async () => {
        const source = open({ limits: { maxMemoryMb: 96 } });
        const result = await source.invoke('hog', { children: 4, mb: 48 });
        expect(result.isError).toBe(true);
        expect(firstText(result)).toMatch(/memory limit \(96 MB; TOOLPORT_PYTHON_MAX_MEMORY_MB/);
        expect((await source.invoke('ping', {})).structuredContent).toEqual({ result: 'pong' });
      },
    );

    it('stops a 1 GiB scratch write at the scratch limit with ENOSPC', async () => {
      const source = open({ limits: { scratchMb: 8 } });
      const result = await source.invoke('fill_scratch', { total_mb: 1024 });
      expect(result.isError).toBe(true);
      const text = firstText(result);
      expect(text).toMatch(/scratch directory is full \(8 MB; TOOLPORT_PYTHON_SCRATCH_MB/);
      expect(text).toMatch(/No space left on device/);
      expect((await source.invoke('ping', {})).structuredContent).toEqual({ result: 'pong' });
    });
  });

  describe('without bubblewrap', () => {
    const missing = join(work.dir, 'no-such-bwrap');

    it('refuses to start tenant code, naming TOOLPORT_ALLOW_UNSANDBOXED', async () => {
      const source = open({ bwrap: missing });
      await expect(source.load()).rejects.toThrow(/TOOLPORT_ALLOW_UNSANDBOXED/);
    });

    it('refuses tenant code when the operator turned the sandbox off', async () => {
      const source = open({ sandbox: 'off' });
      await expect(source.load()).rejects.toThrow(/sandbox is turned off.*TOOLPORT_ALLOW_UNSANDBOXED/);
    });

    it('runs tenant code unsandboxed only when the operator allows it, and says so', async () => {
      const source = open({ bwrap: missing, allowUnsandboxed: true });
      expect((await source.invoke('ping', {})).structuredContent).toEqual({ result: 'pong' });
      expect(source.info!()).toMatchObject({ sandboxed: false, trust: 'tenant', limits: { scratchMb: null } });
    });

    it('refuses to analyse a tenant upload, naming TOOLPORT_ALLOW_UNSANDBOXED', async () => {
      await expect(
        analyzeScript({
          filename: 'up.py',
          content: 'def f() -> int:\n    return 1\n',
          trust: 'tenant',
          bwrap: missing,
        }),
      ).rejects.toThrow(/TOOLPORT_ALLOW_UNSANDBOXED/);
    });

    it('keeps sandbox auto for operator code', async () => {
      const source = open({ bwrap: missing, trust: 'operator' });
      expect((await source.invoke('ping', {})).structuredContent).toEqual({ result: 'pong' });
      expect(source.info!()).toMatchObject({ sandboxed: false, trust: 'operator' });
    });
  });
});
