import { afterEach, describe, expect, it } from 'vitest';
import type { PeerCaller, ToolSource } from '../../src/core/index.js';
import { createMcpSource } from '../../src/sources/mcp/index.js';
import { FEDERATION_UPSTREAM } from '../gateway/federation-helpers.js';
import { mcpManifest } from './helpers.js';

/** The federation facet of an upstream MCP source, against the real fixture server (stdio child). */
let source: ToolSource | undefined;
afterEach(async () => {
  await source?.close();
  source = undefined;
});

function start(callTimeoutMs?: number): ToolSource {
  source = createMcpSource({
    manifest: mcpManifest({ args: [FEDERATION_UPSTREAM], env: { FIXTURE_NAME: 'peer' } }, 'peer'),
    config: {},
    ...(callTimeoutMs ? { callTimeoutMs } : {}),
  });
  return source;
}

const text = (result: { content: { type: string; text?: string }[] }): string => result.content[0]?.text ?? '';

describe('UpstreamPeer of an upstream MCP source', () => {
  it('describes the upstream and passes requests and errors through', async () => {
    const s = start();
    await s.load();
    expect(s.peer?.describe()).toEqual({
      capabilities: expect.objectContaining({ resources: { subscribe: true, listChanged: true }, logging: {} }),
      instructions: 'Instructions of peer: read memo://one first.',
    });
    const read = (await s.peer!.request('resources/read', { uri: 'memo://one' })) as { contents: { text: string }[] };
    expect(read.contents[0]?.text).toBe('first memo of peer');
    await expect(s.peer!.request('resources/read', { uri: 'memo://none' })).rejects.toMatchObject({
      name: 'PeerError',
      code: -32602,
    });
  });

  it('keeps the asking call alive while its client takes longer than the call timeout to answer', async () => {
    const s = start(300);
    await s.load();
    let asked = 0;
    const slowHuman: PeerCaller = {
      session: 's1',
      canAnswer: () => true,
      request: async () => {
        asked++;
        // A person reading the question: three call timeouts pass before the answer.
        await new Promise((r) => setTimeout(r, 900));
        return { action: 'accept', content: { ok: true } };
      },
    };
    const result = await s.invoke('confirm', {}, { caller: slowHuman });
    expect(asked).toBe(1);
    expect(text(result)).toBe('elicited: accept {"ok":true}');
  });

  it('answers the upstream with an error when the call has no client to ask', async () => {
    const s = start();
    await s.load();
    const result = await s.invoke('ask', { question: 'anyone?' });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/no client request is in flight|cannot be told apart/);
  });
});
