import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolSource } from '../../src/core/index.js';
import { createMcpSource, type McpSourceOptions } from '../../src/sources/mcp/index.js';
import { waitFor } from '../helpers/wait.js';
import { mcpManifest } from './helpers.js';
import { RAW_CASES } from './raw-cases.js';

// A tools/call without progress, caller or output schema takes the lean path (LeanCalls: one line out, the answer
// taken off the pipe by its string id); with an onProgress callback the same call goes through the SDK client
// (numeric ids). The upstream records each call's id, which proves which path answered.
const RAW = fileURLToPath(new URL('../fixtures/mcp/raw-upstream.mjs', import.meta.url));

const sources: ToolSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
});

interface World {
  s: ToolSource;
  ids: () => unknown[];
  cancelled: () => unknown[];
}

async function world(options: Partial<McpSourceOptions> = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'toolport-lean-'));
  const calls = join(dir, 'calls');
  const cancels = join(dir, 'cancels');
  const lines = (file: string) => (): unknown[] =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as unknown)
      : [];
  const s = createMcpSource({
    manifest: mcpManifest({ args: [RAW], env: { CALLS_FILE: calls, CANCEL_FILE: cancels } }),
    config: {},
    ...options,
  });
  sources.push(s);
  await s.load();
  return { s, ids: lines(calls), cancelled: lines(cancels) };
}

const viaSdk = { onProgress: (): void => undefined };

describe('lean tools/call on a stdio upstream', () => {
  it('returns exactly what the SDK client path returns, for every kind of answer', async () => {
    const { s, ids } = await world();
    const cases: [string, Record<string, unknown>][] = [
      ...RAW_CASES,
      ['id_first', {}],
      ['big', { size: 3 * 1024 * 1024 }],
      ['no_such_tool', {}],
    ];
    for (const [name, args] of cases) {
      const lean = await s.invoke(name, args);
      const sdk = await s.invoke(name, args, viaSdk);
      expect(lean, name).toEqual(sdk);
    }
    // Every lean call went out with a string id, every SDK call with a number (the unknown tool is not in the list
    // of tools without an output schema, so both of its calls took the SDK path).
    const seen = ids();
    expect(seen).toHaveLength(cases.length * 2);
    const leanIds = seen.filter((_, i) => i % 2 === 0);
    const sdkIds = seen.filter((_, i) => i % 2 === 1);
    expect(leanIds.slice(0, -1).every((id) => typeof id === 'string')).toBe(true);
    expect([...sdkIds, leanIds.at(-1)].every((id) => typeof id === 'number')).toBe(true);
  });

  it('keeps the shapes the checks give: tool error, JSON-RPC error, invalid result, big text', async () => {
    const { s } = await world();
    expect(await s.invoke('tool_error', {})).toEqual({
      content: [{ type: 'text', text: 'it failed upstream' }],
      isError: true,
    });
    expect(await s.invoke('rpc_error', {})).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: expect.stringMatching(/^upstream error -32602: .*bad arguments/) }],
    });
    expect(await s.invoke('invalid_result', {})).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: expect.stringMatching(/^upstream call failed: Invalid result for tools\/call/) }],
    });
    const rich = await s.invoke('rich', {});
    // The SDK's schema drops the unknown key of a text block; the mapping drops isError false and unknown keys.
    expect(rich.content[1]).toEqual({
      type: 'text',
      text: 'key order and an extra key',
      annotations: { priority: 0.5 },
    });
    expect(rich).not.toHaveProperty('isError');
    expect(rich._meta).toEqual({ 'example.com/trace': 'abc' });
    const big = await s.invoke('big', { size: 2 * 1024 * 1024 });
    const text = (big.content[0] as { text: string }).text;
    expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    expect(text.startsWith('line "quoted" \\ back — é 🚀\n')).toBe(true);
  });

  it('fails an answer that is not a JSON-RPC response, or is over the size limit, at once; the next calls work', async () => {
    const { s } = await world({ callTimeoutMs: 60_000 });
    expect(await s.invoke('not_rpc', {})).toEqual({
      content: [{ type: 'text', text: 'upstream call failed: Invalid result for tools/call: not a JSON-RPC response' }],
      isError: true,
    });
    // The SDK client's call too, at once instead of at its 60 s timeout.
    expect(await s.invoke('not_rpc', {}, viaSdk)).toEqual({
      content: [
        {
          type: 'text',
          text: expect.stringMatching(
            /^upstream error -32603: the upstream answered with a message that is not valid JSON-RPC/,
          ),
        },
      ],
      isError: true,
    });
    const huge = await s.invoke('huge', {});
    expect(huge).toMatchObject({
      isError: true,
      content: [
        { type: 'text', text: expect.stringMatching(/^upstream call failed: upstream message of \d+ bytes exceeds/) },
      ],
    });
    // The SDK client's call gets the same reason now, as a JSON-RPC error answer, rather than its timeout.
    expect(await s.invoke('huge', {}, viaSdk)).toMatchObject({
      isError: true,
      content: [
        { type: 'text', text: expect.stringMatching(/^upstream error -32603: .*exceeds the 10485760-byte limit/) },
      ],
    });
    // An oversized request of the upstream's own, even one reusing the call's id, fails nothing.
    for (const options of [{}, viaSdk]) {
      expect(await s.invoke('huge_request', {}, options)).toEqual({
        content: [{ type: 'text', text: 'answered after it' }],
      });
    }
    expect(await s.invoke('text', { text: 'still in sync' }, viaSdk)).toEqual(
      await s.invoke('text', { text: 'still in sync' }),
    );
    expect(await s.invoke('text', { text: 'still in sync' })).toEqual({
      content: [{ type: 'text', text: 'still in sync' }],
    });
  });

  it('times out like the SDK path, and tells the upstream the call is cancelled', async () => {
    const { s, ids, cancelled } = await world({ callTimeoutMs: 300 });
    const lean = await s.invoke('never', {});
    const sdk = await s.invoke('never', {}, viaSdk);
    expect(lean).toEqual(sdk);
    expect(lean).toMatchObject({ isError: true, content: [{ text: 'upstream did not answer within 300 ms' }] });
    await waitFor(() => cancelled().length === 2, 'both cancellations to reach the upstream');
    expect(cancelled()).toEqual(ids());
  });

  it('cancels through the signal like the SDK path, and the upstream hears of it', async () => {
    const { s, ids, cancelled } = await world();
    for (const options of [{}, viaSdk]) {
      const controller = new AbortController();
      const pending = s.invoke('never', {}, { ...options, signal: controller.signal });
      const before = ids().length;
      await waitFor(() => ids().length > before, 'the upstream to get the call');
      controller.abort();
      expect(await pending).toEqual({ content: [{ type: 'text', text: 'call cancelled' }], isError: true });
    }
    await waitFor(() => cancelled().length === 2, 'both cancellations to reach the upstream');
    expect(cancelled()).toEqual(ids());
    expect(typeof ids()[0]).toBe('string');
  });

  it('leaves a tool with an output schema to the SDK client, which checks it', async () => {
    const { s, ids } = await world();
    expect(await s.invoke('checked', {})).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: expect.stringContaining("does not match the tool's output schema") }],
    });
    expect(typeof ids()[0]).toBe('number');
  });

  it('serves many concurrent lean calls on one child, each with its own answer', async () => {
    const { s } = await world();
    const texts = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const results = await Promise.all(texts.map((text) => s.invoke('text', { text })));
    expect(results.map((r) => (r.content[0] as { text: string }).text)).toEqual(texts);
  });
});
