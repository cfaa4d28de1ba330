import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import {
  EchoSource,
  type RunningGateway,
  TOKENS,
  type TestProvider,
  createFixtureProvider,
  startGateway,
} from './fixtures.js';

// Every exchange is bounded: a request that would hang fails the test instead of stalling the run.
const BOUND_MS = 10_000;
const CONCURRENT = 16;
const ID = 7;

let gw: RunningGateway;
let provider: TestProvider;

beforeAll(async () => {
  provider = await createFixtureProvider();
  gw = await startGateway(provider);
});

/** A connector whose `gate` tool holds every call until the test opens it. */
async function installGate(name: string): Promise<EchoSource> {
  const source = new EchoSource([{ name: 'gate', inputSchema: { type: 'object' } }]);
  await provider.install('a', 'p1', name, source);
  return source;
}
afterAll(async () => {
  await gw.close();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw POST that rejects with "hung" when no complete answer arrives within {@link BOUND_MS}. */
function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, gw.baseUrl),
      {
        method: 'POST',
        headers: {
          Accept: 'application/json, text/event-stream',
          'Content-Type': 'application/json',
          Authorization: `Bearer ${TOKENS.tenantA}`,
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.setTimeout(BOUND_MS, () => req.destroy(new Error(`hung: no answer within ${BOUND_MS} ms`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The JSON-RPC messages of a reply, whether it came as JSON or as an SSE stream. */
function messages(reply: Reply): Record<string, unknown>[] {
  if (String(reply.headers['content-type']).startsWith('text/event-stream')) {
    return reply.body
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
  }
  const parsed = JSON.parse(reply.body) as Record<string, unknown> | Record<string, unknown>[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

// A call held in flight at its source until the test opens the gate: the duplicates surely overlap it.
const gateCall = (connector: string, id: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: `${connector}__gate`, arguments: {} },
});

const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'dup', version: '1' } },
};

describe('a JSON-RPC id already in flight on the session', () => {
  it('is refused at once on a Streamable HTTP 2025 session, and free again once answered', async () => {
    const init = await post('/mcp/p1', initialize);
    const sessionId = String(init.headers['mcp-session-id']);
    const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    await post('/mcp/p1', { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);

    const gate = await installGate('streamable');
    const first = post('/mcp/p1', gateCall('streamable', ID), headers);
    await waitFor(() => gate.calls.length === 1, 'the first call to reach its source');
    // While it is in flight, every concurrent duplicate is refused at once (none hangs: each is bounded).
    const duplicates = await Promise.all(
      Array.from({ length: CONCURRENT - 1 }, () => post('/mcp/p1', gateCall('streamable', ID), headers)),
    );
    for (const r of duplicates) {
      expect(r.status).toBe(409);
      expect(messages(r)).toEqual([
        expect.objectContaining({
          id: ID,
          error: expect.objectContaining({
            code: -32600,
            message: `request id ${ID} is already in use on this session`,
          }),
        }),
      ]);
    }
    expect(gate.calls).toHaveLength(1);
    gate.openGate();
    expect(messages(await first)).toEqual([
      expect.objectContaining({
        id: ID,
        result: expect.objectContaining({ content: [{ type: 'text', text: 'gate opened' }] }),
      }),
    ]);

    // The id is free again once its call was answered.
    const again = messages(await post('/mcp/p1', gateCall('streamable', ID), headers));
    expect(again).toEqual([expect.objectContaining({ id: ID, result: expect.anything() })]);
  });

  it('is refused at once on a legacy HTTP+SSE session, with exactly one answer on the stream', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gw.baseUrl}/sse/p1`, {
      headers: { Authorization: `Bearer ${TOKENS.tenantA}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const seen: Record<string, unknown>[] = [];
    let endpointPath = '';
    const pump = async (until: () => boolean): Promise<void> => {
      const deadline = Date.now() + BOUND_MS;
      while (!until()) {
        if (Date.now() > deadline) throw new Error('hung: the stream did not deliver in time');
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffered += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffered.indexOf('\n\n')) >= 0) {
          const frame = buffered.slice(0, cut);
          buffered = buffered.slice(cut + 2);
          const data = frame
            .split('\n')
            .find((l) => l.startsWith('data: '))
            ?.slice(6);
          if (data === undefined) continue;
          if (frame.startsWith('event: endpoint')) endpointPath = data;
          else seen.push(JSON.parse(data) as Record<string, unknown>);
        }
      }
    };
    try {
      await pump(() => endpointPath !== '');
      expect((await post(endpointPath, initialize)).status).toBe(202);
      await pump(() => seen.some((m) => m.id === 0));
      await post(endpointPath, { jsonrpc: '2.0', method: 'notifications/initialized' });

      const gate = await installGate('legacy');
      expect((await post(endpointPath, gateCall('legacy', ID))).status).toBe(202);
      await waitFor(() => gate.calls.length === 1, 'the first call to reach its source');
      const refused = await Promise.all(
        Array.from({ length: CONCURRENT - 1 }, () => post(endpointPath, gateCall('legacy', ID))),
      );
      expect(gate.calls).toHaveLength(1);
      for (const r of refused) {
        expect(r.status).toBe(409);
        expect(JSON.parse(r.body)).toEqual({
          jsonrpc: '2.0',
          id: ID,
          error: { code: -32600, message: `request id ${ID} is already in use on this session` },
        });
      }
      gate.openGate();
      // The accepted call is answered on the stream...
      await pump(() => seen.some((m) => m.id === ID));
      // ...and, answered, its id is free again. The second answer comes after the first on the one stream, so
      // seeing exactly two then shows the first call was answered once and no refused duplicate was.
      expect((await post(endpointPath, gateCall('legacy', ID))).status).toBe(202);
      await pump(() => seen.filter((m) => m.id === ID).length >= 2);
      expect(seen.filter((m) => m.id === ID)).toHaveLength(2);
    } finally {
      controller.abort();
    }
  });
});
