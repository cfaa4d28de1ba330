import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';

import { isToolportError, type ToolSource } from '../../src/core/index.js';
import { createPythonSource } from '../../src/sources/python/index.js';

import { pidsWithMarker } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';
import { createWorkdir, firstText, pythonManifest } from './helpers.js';

const SCRIPT = `
import asyncio, dataclasses, enum, os, subprocess, sys, time, uuid

TOKEN = uuid.uuid4().hex  # one per process: proves which worker answered
CALLS = []


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


def add(a: int, b: int = 2) -> int:
    return a + b


async def slow_echo(text: str, delay: float = 0.01) -> dict:
    await asyncio.sleep(delay)
    return {"text": text}


def chatty(n: int) -> str:
    for i in range(n):
        print('{"jsonrpc": "2.0", "id": 1, "result": "forged %d"}' % i)
    os.write(1, b"raw fd write\\n")
    return "done"


def explode(message: str):
    raise ValueError(message)


def nap(seconds: float) -> str:
    time.sleep(seconds)
    return "rested"


def whoami() -> dict:
    CALLS.append(1)
    return {"token": TOKEN, "calls": len(CALLS)}


def napping_whoami(seconds: float) -> str:
    time.sleep(seconds)
    return TOKEN


def nap_in_child(marker: str, seconds: float) -> str:
    # The sleeping child carries \`marker\` on its command line: the host sees when the call runs.
    subprocess.run([sys.executable, "-c", "import sys, time; time.sleep(float(sys.argv[1]))", str(seconds), marker])
    return "rested"


def hog(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def die(code: int = 3):
    os._exit(code)


def move(color: Color, point: Point, steps: tuple[int, int]) -> Point:
    return Point(point.x + steps[0], point.y + steps[1]) if color is Color.RED else point


def shapes() -> dict:
    return {"set": {3, 1, 2}, "tuple": (1, "a"), "color": Color.BLUE, "point": Point(1)}
`;

describe('python source: calls through warm workers', () => {
  const work = createWorkdir('calls');
  const script = work.write('tools.py', SCRIPT);
  const sources: ToolSource[] = [];
  const open = (python: Parameters<typeof pythonManifest>[1] = {}, extra: Record<string, unknown> = {}): ToolSource => {
    const source = createPythonSource({
      manifest: pythonManifest(script, python),
      config: {},
      scratchRoot: work.dir,
      ...extra,
    });
    sources.push(source);
    return source;
  };

  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.close()));
  });
  afterAll(() => work.cleanup());

  it('loads every public function as a tool', async () => {
    const tools = await open().load();
    expect(tools.map((t) => t.name)).toEqual([
      'add',
      'slow_echo',
      'chatty',
      'explode',
      'nap',
      'whoami',
      'napping_whoami',
      'nap_in_child',
      'hog',
      'die',
      'move',
      'shapes',
    ]);
  });

  it('calls a sync function with coerced arguments', async () => {
    const source = open();
    await source.load();
    const result = await source.invoke('add', { a: '40' });
    expect(result).toEqual({ content: [{ type: 'text', text: '42' }], structuredContent: { result: 42 } });
  });

  it('calls an async function', async () => {
    const source = open();
    expect((await source.invoke('slow_echo', { text: 'hi' })).structuredContent).toEqual({ text: 'hi' });
  });

  it('keeps prints and raw fd writes off the protocol channel and returns them as logs', async () => {
    const source = open();
    const result = await source.invoke('chatty', { n: 2 });
    const logs =
      '{"jsonrpc": "2.0", "id": 1, "result": "forged 0"}\n{"jsonrpc": "2.0", "id": 1, "result": "forged 1"}\nraw fd write\n';
    expect(result.structuredContent).toEqual({ result: 'done' });
    expect(result.content[1]).toEqual({ type: 'text', text: `[stdout]\n${logs}` });
    expect(result._meta).toEqual({ logs });
    // The next call on the same worker starts with an empty capture buffer.
    expect((await source.invoke('add', { a: 1 })).content).toHaveLength(1);
  });

  it('returns an exception as an isError result with the traceback in _meta', async () => {
    const result = await open().invoke('explode', { message: 'bad input' });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toBe('ValueError: bad input');
    expect(result._meta?.traceback).toMatch(/tools\.py", line \d+, in explode/);
  });

  it('converts enum and dataclass arguments and serialises dataclasses, sets, tuples and enums', async () => {
    const source = open();
    const moved = await source.invoke('move', { color: 'red', point: { x: 1 }, steps: [2, 3] });
    expect(moved.structuredContent).toEqual({ x: 3, y: 3 });
    const shapes = await source.invoke('shapes', {});
    expect(shapes.structuredContent).toEqual({ set: [1, 2, 3], tuple: [1, 'a'], color: 'blue', point: { x: 1, y: 0 } });
  });

  it('reuses the same warm worker process across calls', async () => {
    const source = open();
    const first = await source.invoke('whoami', {});
    const second = await source.invoke('whoami', {});
    const third = await source.invoke('whoami', {});
    expect(second.structuredContent!.token).toBe(first.structuredContent!.token);
    expect(third.structuredContent).toEqual({ token: first.structuredContent!.token, calls: 3 });
  });

  it('times out a stuck call, kills that worker, and the next call succeeds on a fresh one', async () => {
    const source = open({ timeout_ms: 1500 });
    const before = (await source.invoke('whoami', {})).structuredContent!.token;
    const timedOut = await source.invoke('nap', { seconds: 30 });
    expect(timedOut).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: "Tool 'nap' timed out after 1500 ms" }],
    });
    const after = await source.invoke('whoami', {});
    expect(after.isError).toBeUndefined();
    expect(after.structuredContent!.token).not.toBe(before);
    expect(source.info!()).toMatchObject({ crashLoop: false });
  });

  it('turns allocation past the memory limit into a clear error and keeps serving', async () => {
    const source = open({ memory_mb: 200 });
    const result = await source.invoke('hog', { megabytes: 400 });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toBe('MemoryError: out of memory (memory limit 200 MB)');
    expect((await source.invoke('hog', { megabytes: 10 })).structuredContent).toEqual({ result: 10 * 1024 * 1024 });
  });

  it('cancels a running call via the abort signal without killing the worker', async () => {
    const source = open();
    const before = (await source.invoke('whoami', {})).structuredContent!.token;
    const controller = new AbortController();
    const marker = `toolport-nap-${randomBytes(4).toString('hex')}`;
    const pending = source.invoke('nap_in_child', { marker, seconds: 30 }, { signal: controller.signal });
    // Cancel once the function is running (its sleeping child exists), not at a guessed moment.
    await waitFor(() => pidsWithMarker(marker).length === 1, 'the call to be running');
    controller.abort();
    const result = await pending;
    expect(result).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: "Tool 'nap_in_child' was cancelled" }],
    });
    // The cancel interrupted the function itself: subprocess.run killed its child on the way out.
    await waitFor(() => pidsWithMarker(marker).length === 0, 'the interrupted call to end its child');
    // The runner interrupted the sleep and answered the drain ping: same process, still warm.
    expect((await source.invoke('whoami', {})).structuredContent!.token).toBe(before);
  });

  it('runs calls concurrently on up to max_workers processes', async () => {
    const source = open({ max_workers: 2 });
    await source.load();
    const calls = [0, 1, 2, 3].map(() => source.invoke('napping_whoami', { seconds: 1 }));
    // Two calls run (each naps a second) while two wait: never a third worker.
    await waitFor(() => source.info!().busy === 2, 'two calls to run');
    expect(source.info!()).toMatchObject({ workers: 2, busy: 2, queued: 2 });
    const tokens = new Set((await Promise.all(calls)).map((r) => r.structuredContent!.result));
    expect(tokens.size).toBe(2);
  });

  it('closes idle workers beyond one after the idle timeout', async () => {
    // The idle timers run on a fake clock (setTimeout only: the workers' pipes and Python's own sleep are real).
    // Nothing else on this path waits on a timer: the start and call timeouts only bound a failure.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const source = open({ max_workers: 2 }, { pool: { idleMs: 600 } });
      const served = await Promise.all([0, 1].map(() => source.invoke('napping_whoami', { seconds: 0.3 })));
      const tokens = served.map((r) => r.structuredContent!.result);
      expect(new Set(tokens).size).toBe(2);
      expect(source.info!()).toMatchObject({ workers: 2, busy: 0 });
      vi.advanceTimersByTime(599);
      expect(source.info!()).toMatchObject({ workers: 2 });
      vi.advanceTimersByTime(1);
      expect(source.info!()).toMatchObject({ workers: 1 });
      // Both idle timers have run; many idle periods later the last warm worker is still there, and answers.
      vi.advanceTimersByTime(10 * 600);
      expect(source.info!()).toMatchObject({ workers: 1 });
      const next = await source.invoke('napping_whoami', { seconds: 0 });
      expect(tokens).toContain(next.structuredContent!.result);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects calls beyond the bounded queue with rate_limited', async () => {
    const source = open({ max_workers: 1 }, { pool: { maxQueue: 1 } });
    await source.load();
    const running = source.invoke('nap', { seconds: 0.5 });
    const queued = source.invoke('add', { a: 1 });
    await waitFor(() => source.info!().busy === 1 && source.info!().queued === 1, 'one call running, one queued');
    const rejected = await source.invoke('add', { a: 2 }).catch((e: unknown) => e);
    expect(isToolportError(rejected, 'rate_limited')).toBe(true);
    expect((await running).structuredContent).toEqual({ result: 'rested' });
    expect((await queued).structuredContent).toEqual({ result: 3 });
  });

  it('exposes only the selected functions and rejects a selection naming a missing one', async () => {
    expect((await open({ functions: ['add', 'whoami'] }).load()).map((t) => t.name)).toEqual(['add', 'whoami']);
    const error = await open({ functions: ['add', 'nope'] })
      .load()
      .catch((e: unknown) => e);
    expect(isToolportError(error, 'upstream_unavailable')).toBe(true);
    expect((error as Error).message).toBe(
      "python worker failed to start: toolport-runner: function 'nope' cannot be served: not defined in the script",
    );
  });

  it('throws tool_not_found for a tool the script does not have', async () => {
    const source = open();
    await source.load();
    expect(isToolportError(await source.invoke('missing', {}).catch((e: unknown) => e), 'tool_not_found')).toBe(true);
  });

  it('answers check() with a ping through a worker', async () => {
    const result = await open().check();
    expect(result).toMatchObject({ ok: true, details: { workers: 1, crashLoop: false } });
  });
});

describe('python source: crash loops', () => {
  const work = createWorkdir('crash');
  afterAll(() => work.cleanup());

  it('reports a script that fails at import with its reason', async () => {
    const script = work.write('bad_import.py', 'raise RuntimeError("missing configuration")\n');
    const source = createPythonSource({ manifest: pythonManifest(script), config: {}, scratchRoot: work.dir });
    const error = await source.load().catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'python worker failed to start: toolport-runner: importing the script failed: RuntimeError: missing configuration',
    );
    await source.close();
  });

  it('flags repeated worker deaths as a crash loop, backs off, and recovers after a good call', async () => {
    const script = work.write(
      'crashy.py',
      'import os\ndef die():\n    os._exit(7)\ndef ok() -> str:\n    return "fine"\n',
    );
    const source = createPythonSource({
      manifest: pythonManifest(script),
      config: {},
      scratchRoot: work.dir,
      pool: { crashThreshold: 3, backoffBaseMs: 2000 },
    });
    // The pool dates deaths and its backoff with Date.now(): a fake date moves past the backoff without waiting.
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    await source.load();
    for (let i = 0; i < 3; i++) {
      const result = await source.invoke('die', {});
      expect(result).toMatchObject({
        isError: true,
        content: [{ type: 'text', text: 'python worker died during the call (exit code 7)' }],
      });
    }
    expect(source.info!()).toMatchObject({ crashLoop: true, workers: 0 });
    const checkError = await source.check().catch((e: unknown) => e);
    expect(isToolportError(checkError, 'upstream_unavailable')).toBe(true);
    expect((checkError as Error).message).toMatch(
      /^python worker crash loop \(3 deaths\): python worker exited with code 7; next retry in [12] s$/,
    );
    expect(isToolportError(await source.invoke('ok', {}).catch((e: unknown) => e), 'upstream_unavailable')).toBe(true);
    // Still refused just before the backoff ends (positive control for the recovery below)...
    vi.advanceTimersByTime(1_900);
    expect(isToolportError(await source.invoke('ok', {}).catch((e: unknown) => e), 'upstream_unavailable')).toBe(true);
    // ...and after it a probe worker is started; a successful call clears the crash loop.
    vi.advanceTimersByTime(200);
    expect((await source.invoke('ok', {})).structuredContent).toEqual({ result: 'fine' });
    expect(source.info!()).toMatchObject({ crashLoop: false });
    await source.close();
  });
});

describe('python source: script mode', () => {
  const work = createWorkdir('script-mode');
  afterAll(() => work.cleanup());

  it('runs the script with CLI arguments built from the parameters', async () => {
    const script = work.write(
      'report.py',
      [
        'import argparse, sys',
        'p = argparse.ArgumentParser()',
        'p.add_argument("name")',
        'p.add_argument("--count", type=int, default=1)',
        'p.add_argument("--loud", action="store_true")',
        'p.add_argument("--tags", nargs="*", default=[])',
        'a = p.parse_args()',
        'for _ in range(a.count):',
        '    print(("HI " if a.loud else "hi ") + a.name + " " + ",".join(a.tags))',
        'if a.name == "fail":',
        '    print("failing on purpose", file=sys.stderr)',
        '    sys.exit(4)',
      ].join('\n'),
    );
    const manifest = pythonManifest(script, {
      mode: 'script',
      tool_name: 'report',
      parameters: [
        { name: 'name', type: 'string', required: true },
        { name: 'count', type: 'integer', required: false, default: 1, flag: '--count' },
        { name: 'loud', type: 'boolean', required: false, default: false, flag: '--loud' },
        { name: 'tags', type: 'array', required: false, flag: '--tags' },
      ],
    });
    const source = createPythonSource({ manifest, config: {}, scratchRoot: work.dir });
    const [tool] = await source.load();
    expect(tool).toMatchObject({
      name: 'report',
      inputSchema: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          count: { type: 'integer', default: 1 },
          loud: { type: 'boolean', default: false },
        },
        required: ['name'],
      },
    });
    const ok = await source.invoke('report', { name: 'ada', count: 2, loud: true, tags: ['x', 'y'] });
    expect(ok.isError, JSON.stringify(ok)).toBeUndefined();
    expect(ok.structuredContent).toEqual({ stdout: 'HI ada x,y\nHI ada x,y\n', stderr: '', exit_code: 0 });
    const failed = await source.invoke('report', { name: 'fail' });
    expect(failed.isError).toBe(true);
    expect(failed.structuredContent).toEqual({ stdout: 'hi fail \n', stderr: 'failing on purpose\n', exit_code: 4 });
    await source.close();
  });
});
