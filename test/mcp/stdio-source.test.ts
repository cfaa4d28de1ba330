import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolProgress, ToolSource } from '../../src/core/index.js';
import { createMcpSource } from '../../src/sources/mcp/index.js';
import { waitFor } from '../helpers/wait.js';
import { isAlive, mcpManifest } from './helpers.js';

const sources: ToolSource[] = [];
function source(...args: Parameters<typeof createMcpSource>): ToolSource {
  const s = createMcpSource(...args);
  sources.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
});

const pidOf = async (s: ToolSource): Promise<number> => {
  const out = await s.invoke('whoami', {});
  expect(out.isError).toBeFalsy();
  return (out.structuredContent as { pid: number }).pid;
};

describe('upstream MCP source over stdio', () => {
  it('falls back to the 2025 handshake, with a new process, for a server that exits on the 2026-07-28 probe', async () => {
    const starts = join(mkdtempSync(join(tmpdir(), 'toolport-strict-')), 'starts');
    const fixture = fileURLToPath(new URL('./fixtures/strict-legacy-upstream.mjs', import.meta.url));
    const s = source({
      manifest: mcpManifest({ args: [fixture], env: { STARTS_FILE: starts } }),
      config: {},
    });
    expect((await s.load()).map((t) => t.name)).toEqual(['hello']);
    expect(await s.invoke('hello', {})).toEqual({ content: [{ type: 'text', text: 'hello from a 2025 server' }] });
    // The probe ended the first process; the second one serves.
    const pids = readFileSync(starts, 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    expect(s.info?.()).toMatchObject({ connected: true, pid: pids[1] });
  });

  it('lists every tool across pages with schemas, title and annotations', async () => {
    const s = source({ manifest: mcpManifest({ env: { PAGE_SIZE: '2' } }), config: {} });
    const tools = await s.load();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'fail', 'progress', 'crash', 'add_tool', 'whoami', 'sleep']);
    expect(tools[0]).toEqual({
      name: 'echo',
      title: 'Echo',
      description: 'Echoes its text',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      outputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      annotations: { readOnlyHint: true, idempotentHint: true },
    });
    expect(s.info?.()).toMatchObject({ transport: 'stdio', connected: true, restarts: 0, pid: expect.any(Number) });
  });

  it('calls a tool and passes upstream tool errors through as they are', async () => {
    const s = source({ manifest: mcpManifest(), config: {} });
    await s.load();
    expect(await s.invoke('echo', { text: 'héllo' })).toEqual({
      content: [{ type: 'text', text: 'héllo' }],
      structuredContent: { text: 'héllo' },
    });
    expect(await s.invoke('fail', {})).toEqual({
      content: [{ type: 'text', text: 'it failed upstream' }],
      isError: true,
    });
    const unknown = await s.invoke('nope', {});
    expect(unknown.isError).toBe(true);
  });

  it('relays progress notifications to onProgress', async () => {
    const s = source({ manifest: mcpManifest(), config: {} });
    const seen: ToolProgress[] = [];
    const out = await s.invoke('progress', { steps: 3 }, { onProgress: (p) => seen.push(p) });
    expect(out.content).toEqual([{ type: 'text', text: 'done 3' }]);
    expect(seen).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
  });

  it('delivers every progress notification before the result, 20 calls in a row', async () => {
    // The upstream writes its notifications and the result back to back, so they arrive in one pipe chunk.
    const s = source({ manifest: mcpManifest(), config: {} });
    await s.load();
    const steps = 5;
    for (let run = 0; run < 20; run += 1) {
      const events: string[] = [];
      const out = await s.invoke('progress', { steps }, { onProgress: (p) => events.push(`progress ${p.progress}`) });
      events.push(`result ${(out.content[0] as { text: string }).text}`);
      expect({ run, events }).toEqual({
        run,
        events: [...Array.from({ length: steps }, (_, i) => `progress ${i + 1}`), `result done ${steps}`],
      });
    }
  });

  it('cancels a running call through the signal and keeps the upstream usable', async () => {
    const marks = mkdtempSync(join(tmpdir(), 'toolport-cancel-'));
    const callsFile = join(marks, 'calls.log');
    const cancelFile = join(marks, 'cancel.log');
    const s = source({
      manifest: mcpManifest({ env: { CALLS_FILE: callsFile, CANCEL_FILE: cancelFile } }),
      config: {},
    });
    await s.load();
    const controller = new AbortController();
    const pending = s.invoke('sleep', { ms: 30_000 }, { signal: controller.signal });
    // Cancel once the upstream runs the call (it logs every call), then see the upstream told.
    const logged = (file: string, text: string) => (): boolean =>
      existsSync(file) && readFileSync(file, 'utf8').includes(text);
    await waitFor(logged(callsFile, ' sleep'), 'the upstream to start the call');
    controller.abort();
    expect(await pending).toMatchObject({ isError: true, content: [{ type: 'text', text: 'call cancelled' }] });
    await waitFor(logged(cancelFile, 'cancelled'), 'the upstream to see the cancellation');
    expect((await s.invoke('echo', { text: 'still here' })).structuredContent).toEqual({ text: 'still here' });
  });

  it('resolves ${config.KEY} in args and env and gives the child a minimal environment', async () => {
    process.env.TOOLPORT_LEAK_CHECK = 'server-only';
    try {
      const manifest = mcpManifest({
        args: [mcpManifest().mcp!.args[0]!, '--mode=${config.mode}'],
        env: { FIXTURE_TOKEN: 'Bearer ${config.token}' },
      });
      const s = source({ manifest, config: { token: 's3cret' } });
      const out = await s.invoke('whoami', {});
      expect(out.structuredContent).toMatchObject({ token: 'Bearer s3cret', leaked: null, argv: ['--mode=fast'] });
    } finally {
      delete process.env.TOOLPORT_LEAK_CHECK;
    }
  });

  it('refuses a manifest whose referenced config key has no value, naming the field', () => {
    const manifest = mcpManifest({ env: { FIXTURE_TOKEN: '${config.token}' } });
    expect(() => createMcpSource({ manifest, config: {} })).toThrow(
      expect.objectContaining({
        code: 'validation_failed',
        details: { issues: [{ pointer: '/mcp/env/FIXTURE_TOKEN', message: 'config key token has no value' }] },
      }),
    );
  });

  it('fails load with upstream_unavailable when the command cannot start', async () => {
    const s = source({ manifest: mcpManifest({ command: '/nonexistent/toolport-upstream', args: [] }), config: {} });
    await expect(s.load()).rejects.toMatchObject({ code: 'upstream_unavailable' });
  });

  it('shares ONE child process between many concurrent calls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolport-mcp-'));
    const callsFile = join(dir, 'calls.log');
    const s = source({ manifest: mcpManifest({ env: { CALLS_FILE: callsFile } }), config: {} });
    // No load first: 25 callers race the very first connect.
    const results = await Promise.all(Array.from({ length: 25 }, () => s.invoke('whoami', {})));
    const pids = new Set(results.map((r) => (r.structuredContent as { pid: number }).pid));
    expect(pids.size).toBe(1);
    const lines = readFileSync(callsFile, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(25);
    expect(new Set(lines.map((l) => l.split(' ')[0])).size).toBe(1);
  });

  it('restarts a crashed child with backoff; calls fail fast while down and succeed after', async () => {
    const s = source({ manifest: mcpManifest(), config: {}, restart: { baseMs: 300, maxMs: 5_000 } });
    await s.load();
    const firstPid = await pidOf(s);
    const crash = await s.invoke('crash', {});
    expect(crash.isError).toBe(true);
    expect(crash.content[0]).toMatchObject({ text: expect.stringMatching(/^upstream connection failed/) });
    const down = await s.invoke('echo', { text: 'x' });
    expect(down).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: expect.stringMatching(/^upstream not connected \(restarting in \d+ ms\)$/) }],
    });
    expect(s.info?.()).toMatchObject({ connected: false, restarts: 1 });
    expect(await s.check()).toMatchObject({ ok: false, message: expect.stringMatching(/restarting in/) });
    await waitFor(() => s.info?.().connected === true, 'the upstream to be restarted');
    expect((await s.invoke('echo', { text: 'back' })).structuredContent).toEqual({ text: 'back' });
    const secondPid = await pidOf(s);
    expect(secondPid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
  });

  it('checks health with a ping and tools/list', async () => {
    const s = source({ manifest: mcpManifest(), config: {} });
    const result = await s.check();
    expect(result).toMatchObject({
      ok: true,
      latencyMs: expect.any(Number),
      details: { tools: 7, transport: 'stdio' },
    });
  });

  it('close kills the child and later calls report the source closed', async () => {
    const s = source({ manifest: mcpManifest(), config: {} });
    const pid = await pidOf(s);
    expect(isAlive(pid)).toBe(true);
    await s.close();
    await waitFor(() => !isAlive(pid), 'the child to exit', 5_000);
    expect(await s.invoke('echo', { text: 'x' })).toMatchObject({ isError: true });
    expect(s.info?.()).toMatchObject({ connected: false });
  });

  it('close SIGKILLs a child that ignores SIGTERM after the grace period', async () => {
    const s = source({ manifest: mcpManifest({ env: { IGNORE_SIGTERM: '1' } }), config: {}, killGraceMs: 200 });
    const pid = await pidOf(s);
    await s.close();
    await waitFor(() => !isAlive(pid), 'the stubborn child to be killed', 5_000);
  });

  it('announces an upstream list_changed to onToolsChanged listeners', async () => {
    const s = source({ manifest: mcpManifest(), config: {} });
    await s.load();
    let changes = 0;
    const off = s.onToolsChanged!(() => (changes += 1));
    await s.invoke('add_tool', { name: 'fresh' });
    await waitFor(() => changes === 1, 'a tools-changed notification');
    expect((await s.load()).map((t) => t.name)).toContain('fresh');
    off();
    await s.invoke('add_tool', { name: 'fresher' });
    await s.invoke('echo', { text: 'sync' });
    expect(changes).toBe(1);
  });
});
