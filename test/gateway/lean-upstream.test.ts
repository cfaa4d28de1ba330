import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRawSession, postRaw, rawHeaders, rpcAnswer } from '../helpers/raw-mcp.js';
import { createRegistryHarness, MCP_SOURCES, type RegistryHarness } from '../helpers/registry-harness.js';
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
const headers = rawHeaders(TOKENS.operator);

beforeAll(async () => {
  callsFile = join(mkdtempSync(join(tmpdir(), 'toolport-lean-gw-')), 'calls');
  h = await createRegistryHarness({ sources: MCP_SOURCES });
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

describe('gateway fast path over the lean upstream call', () => {
  it('answers a 2025 session exactly as the SDK path does', async () => {
    const session = await openRawSession(`${gw.baseUrl}/mcp/lean/raw`, TOKENS.operator, 'lean');
    const post = (body: unknown): Promise<Response> => postRaw(session, body);
    let id = 0;
    for (const [name, args] of CASES) {
      const seen = upstreamIds(0).length;
      id++;
      const fast = await rpcAnswer(
        await post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
      );
      const sdk = await rpcAnswer(
        await post({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name, arguments: args, _meta: { progressToken: `p${id}` } },
        }),
      );
      expect([fast.type, sdk.type], name).toEqual(['json', 'sse']);
      expect(fast.message, name).toEqual(sdk.message);
      // A tool with an output schema keeps the SDK client (which checks it); every other call went lean.
      const [leanId, sdkId] = upstreamIds(seen);
      expect([typeof leanId, typeof sdkId], name).toEqual([name === 'checked' ? 'number' : 'string', 'number']);
    }
  });

  it('answers 2026-07-28 sessionless requests exactly as the SDK handler does', async () => {
    const call = async (params: Record<string, unknown>, id: number, name: string) =>
      rpcAnswer(
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
      expect(fast.type, name).toBe('json');
      expect(fast.message, name).toEqual(sdk.message);
      const [leanId, sdkId] = upstreamIds(seen);
      expect([typeof leanId, typeof sdkId], name).toEqual([name === 'checked' ? 'number' : 'string', 'number']);
    }
  });
});
