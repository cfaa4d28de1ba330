import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRawSession, postRaw, rpcAnswer, type RawSession } from '../helpers/raw-mcp.js';
import {
  EchoSource,
  type RunningGateway,
  TOKENS,
  type TestProvider,
  createFixtureProvider,
  startGateway,
} from './fixtures.js';

// The lean path for tools/list and tools/call of an open session answers with one JSON body; the same request
// with something only the SDK handles (a progress token, a cursor) goes through the SDK and answers on an SSE
// stream. Both must carry the same JSON-RPC answer.
let provider: TestProvider;
let gw: RunningGateway;
let echo: EchoSource;

beforeAll(async () => {
  provider = await createFixtureProvider();
  echo = new EchoSource();
  await provider.install('a', 'p2', 'slow', echo);
  gw = await startGateway(provider);
});
afterAll(async () => {
  await gw.close();
});

const openSession = (path: string): Promise<RawSession> =>
  openRawSession(`${gw.baseUrl}${path}`, TOKENS.tenantA, 'fast-path-test');

describe('gateway fast path', () => {
  it('answers tools/list as JSON, equal to the SDK path answer', async () => {
    const session = await openSession('/mcp/p1');
    const fast = await rpcAnswer(
      await postRaw(session, { jsonrpc: '2.0', id: 'l1', method: 'tools/list', params: {} }),
    );
    const sdk = await rpcAnswer(
      await postRaw(session, { jsonrpc: '2.0', id: 'l1b', method: 'tools/list', params: { cursor: 'x' } }),
    );
    expect(fast.type).toBe('json');
    expect(sdk.type).toBe('sse');
    expect(fast.message.id).toBe('l1');
    expect(fast.message.result).toEqual(sdk.message.result);
    expect((fast.message.result as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain('echo__echo');
  });

  it('answers tools/call (text, structured, invalid arguments, unknown tool) like the SDK path', async () => {
    const session = await openSession('/mcp/p1/echo');
    const cases: [string, Record<string, unknown>][] = [
      ['echo', { text: 'hi' }],
      ['add', { a: 2, b: 3 }],
      ['add', { a: 'two' }],
      ['fail', {}],
      ['crash', {}],
      ['nope', {}],
    ];
    let n = 0;
    for (const [name, args] of cases) {
      const id = ++n;
      const fast = await rpcAnswer(
        await postRaw(session, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
      );
      const sdk = await rpcAnswer(
        await postRaw(session, {
          jsonrpc: '2.0',
          id: id + 1000,
          method: 'tools/call',
          params: { name, arguments: args, _meta: { progressToken: `p${id}` } },
        }),
      );
      expect(fast.type, name).toBe('json');
      expect(sdk.type, name).toBe('sse');
      expect(fast.message.id).toBe(id);
      if ('error' in sdk.message) {
        const { code, message } = sdk.message.error as { code: number; message: string };
        expect(fast.message.error, name).toEqual({ code, message });
      } else {
        expect(fast.message.result, name).toEqual(sdk.message.result);
      }
    }
  });

  it('aborts a running call on notifications/cancelled', async () => {
    const session = await openSession('/mcp/p2/slow');
    const before = echo.aborted;
    const pending = postRaw(session, { jsonrpc: '2.0', id: 'w1', method: 'tools/call', params: { name: 'wait' } });
    // The source records the call when it starts; cancel once it runs.
    while (!echo.calls.some((c) => c.tool === 'wait')) await new Promise((r) => setTimeout(r, 5));
    const cancel = await postRaw(session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 'w1', reason: 'test' },
    });
    expect(cancel.status).toBe(202);
    const res = await rpcAnswer(await pending);
    expect(echo.aborted).toBe(before + 1);
    expect(res.message.id).toBe('w1');
  });

  it('answers 2026-07-28 sessionless tools/list and tools/call like the SDK handler', async () => {
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'fast-path-test', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const modern = async (method: string, params: Record<string, unknown>, id: number, name?: string) =>
      rpcAnswer(
        await fetch(`${gw.baseUrl}/mcp/p1/echo`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${TOKENS.tenantA}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-protocol-version': '2026-07-28',
            'mcp-method': method,
            ...(name === undefined ? {} : { 'mcp-name': name }),
          },
          body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        }),
      );
    // A progress token in the envelope is something only the SDK handles: that request takes the SDK path.
    const viaSdk = (params: Record<string, unknown>) => ({
      ...params,
      _meta: { ...envelope, progressToken: 'tok' },
    });
    const fastList = await modern('tools/list', { _meta: envelope }, 1);
    const sdkList = await modern('tools/list', viaSdk({}), 1);
    expect(fastList.message).toEqual(sdkList.message);
    expect([fastList.sized, sdkList.sized]).toEqual([true, false]);
    const cases: [string, Record<string, unknown>][] = [
      ['echo', { text: 'hi' }],
      ['add', { a: 2, b: 3 }],
      ['add', { a: 'two' }],
      ['fail', {}],
      ['crash', {}],
      ['nope', {}],
    ];
    let id = 10;
    for (const [name, args] of cases) {
      id++;
      const fast = await modern('tools/call', { name, arguments: args, _meta: envelope }, id, name);
      const sdk = await modern('tools/call', viaSdk({ name, arguments: args }), id, name);
      expect(fast.type, name).toBe('json');
      expect([fast.sized, sdk.sized], name).toEqual([true, false]);
      if ('error' in sdk.message) {
        const { code, message } = sdk.message.error as { code: number; message: string };
        expect(fast.message.error, name).toEqual({ code, message });
        expect(fast.message.id).toBe(id);
      } else {
        expect(fast.message, name).toEqual(sdk.message);
      }
    }
    // A mismatching Mcp-Name header is the SDK's to refuse, not answered here.
    const mismatch = await fetch(`${gw.baseUrl}/mcp/p1/echo`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKENS.tenantA}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'other',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 99,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'x' }, _meta: envelope },
      }),
    });
    expect(mismatch.status).toBe(400);
  });
});
