import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpSource } from '../../src/sources/mcp/index.js';
import { createRegistryHarness, type RegistryHarness } from '../helpers/registry-harness.js';
import { stdioManifestYaml } from '../mcp/helpers.js';
import { RAW_CASES } from '../mcp/raw-cases.js';
import { type RunningGateway, TOKENS, startGateway } from './fixtures.js';

// A real stdio upstream (hand-written, so it can answer anything) behind a real registry and gateway. A tools/call
// on the gateway's fast path reaches the upstream on the lean path (string request ids upstream); the same call
// with a progress token goes through the gateway's SDK server and the SDK client (numeric ids upstream). The two
// JSON-RPC answers must be the same, in both protocol eras.
const RAW = fileURLToPath(new URL('../fixtures/mcp/raw-upstream.mjs', import.meta.url));
const MODERN = '2026-07-28';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'lean-upstream-test', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const CASES: [string, Record<string, unknown>][] = [...RAW_CASES, ['big', { size: 1024 * 1024 }], ['checked', {}]];

let h: RegistryHarness;
let gw: RunningGateway;
let callsFile: string;
const headers = {
  authorization: `Bearer ${TOKENS.operator}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

beforeAll(async () => {
  callsFile = join(mkdtempSync(join(tmpdir(), 'toolport-lean-gw-')), 'calls');
  h = await createRegistryHarness({
    sources: { mcp: ({ manifest, config }) => createMcpSource({ manifest, config }) },
  });
  await h.registry.createProject('default', { id: 'lean' });
  await h.registry.install({
    tenantId: 'default',
    projectId: 'lean',
    manifest: stdioManifestYaml('raw', RAW, { CALLS_FILE: callsFile }),
  });
  gw = await startGateway(h.registry);
});
afterAll(async () => {
  await gw?.close();
  await h?.close();
});

/** The request ids the upstream saw since `from`. */
function upstreamIds(from: number): unknown[] {
  if (!existsSync(callsFile)) return [];
  const lines = readFileSync(callsFile, 'utf8').trim().split('\n').filter(Boolean);
  return lines.slice(from).map((l) => JSON.parse(l) as unknown);
}

/** The JSON-RPC answer of a response (plain JSON, or the answer event of an SSE stream) and its content type. */
async function answer(res: Response): Promise<{ sse: boolean; message: Record<string, unknown> }> {
  const text = await res.text();
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return { sse: false, message: JSON.parse(text) as Record<string, unknown> };
  }
  const messages = text
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => JSON.parse(l.slice(5)) as Record<string, unknown>);
  return { sse: true, message: messages.find((m) => 'result' in m || 'error' in m)! };
}

describe('gateway fast path over the lean upstream call', () => {
  it('answers a 2025 session exactly as the SDK path does', async () => {
    const url = `${gw.baseUrl}/mcp/lean/raw`;
    const init = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'lean', version: '1' } },
      }),
    });
    await init.text();
    const session = {
      ...headers,
      'mcp-session-id': init.headers.get('mcp-session-id')!,
      'mcp-protocol-version': '2025-11-25',
    };
    const post = (body: unknown): Promise<Response> =>
      fetch(url, { method: 'POST', headers: session, body: JSON.stringify(body) });
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).text();
    let id = 0;
    for (const [name, args] of CASES) {
      const seen = upstreamIds(0).length;
      id++;
      const fast = await answer(
        await post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
      );
      const sdk = await answer(
        await post({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name, arguments: args, _meta: { progressToken: `p${id}` } },
        }),
      );
      expect([fast.sse, sdk.sse], name).toEqual([false, true]);
      expect(fast.message, name).toEqual(sdk.message);
      // A tool with an output schema keeps the SDK client (which checks it); every other call went lean.
      const [leanId, sdkId] = upstreamIds(seen);
      expect([typeof leanId, typeof sdkId], name).toEqual([name === 'checked' ? 'number' : 'string', 'number']);
    }
  });

  it('answers 2026-07-28 sessionless requests exactly as the SDK handler does', async () => {
    const call = async (params: Record<string, unknown>, id: number, name: string) =>
      answer(
        await fetch(`${gw.baseUrl}/mcp/lean/raw`, {
          method: 'POST',
          headers: { ...headers, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': name },
          body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }),
        }),
      );
    let id = 100;
    for (const [name, args] of CASES) {
      const seen = upstreamIds(0).length;
      id++;
      const fast = await call({ name, arguments: args, _meta: ENVELOPE }, id, name);
      const sdk = await call({ name, arguments: args, _meta: { ...ENVELOPE, progressToken: 'tok' } }, id, name);
      expect(fast.sse, name).toBe(false);
      expect(fast.message, name).toEqual(sdk.message);
      const [leanId, sdkId] = upstreamIds(seen);
      expect([typeof leanId, typeof sdkId], name).toEqual([name === 'checked' ? 'number' : 'string', 'number']);
    }
  });
});
