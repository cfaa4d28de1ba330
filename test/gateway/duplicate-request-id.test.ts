import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, TOKENS, createFixtureProvider, startGateway } from './fixtures.js';

// Every exchange is bounded: a request that would hang fails the test instead of stalling the run.
const BOUND_MS = 10_000;
const CONCURRENT = 16;
const ID = 7;

let gw: RunningGateway;

beforeAll(async () => {
  gw = await startGateway(await createFixtureProvider());
});
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

// A call slow enough (count: 40 steps of 5 ms) that the concurrent duplicates overlap it.
const slowCall = (id: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'echo__count', arguments: { steps: 40 } },
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

    const replies = await Promise.all(Array.from({ length: CONCURRENT }, () => post('/mcp/p1', slowCall(ID), headers)));
    for (const r of replies) expect([200, 409]).toContain(r.status);
    const all = replies.flatMap(messages);
    expect(all).toHaveLength(CONCURRENT);
    expect(all.every((m) => m.id === ID)).toBe(true);
    const results = all.filter((m) => 'result' in m);
    const refused = all.filter((m) => 'error' in m);
    // At least one call ran to completion; every other one was refused as a duplicate, none hung.
    expect(results.length).toBeGreaterThanOrEqual(1);
    expect(results[0]).toMatchObject({ result: { content: [{ type: 'text', text: 'counted 40' }] } });
    expect(results.length + refused.length).toBe(CONCURRENT);
    for (const m of refused) {
      expect(m.error).toMatchObject({ code: -32600, message: `request id ${ID} is already in use on this session` });
    }
    expect(refused.length).toBeGreaterThanOrEqual(1);

    // The id is free again once its call was answered.
    const again = messages(await post('/mcp/p1', slowCall(ID), headers));
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

      const replies = await Promise.all(Array.from({ length: CONCURRENT }, () => post(endpointPath, slowCall(ID))));
      const accepted = replies.filter((r) => r.status === 202);
      const refused = replies.filter((r) => r.status !== 202);
      expect(accepted.length).toBeGreaterThanOrEqual(1);
      expect(accepted.length + refused.length).toBe(CONCURRENT);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      for (const r of refused) {
        expect(r.status).toBe(409);
        expect(JSON.parse(r.body)).toEqual({
          jsonrpc: '2.0',
          id: ID,
          error: { code: -32600, message: `request id ${ID} is already in use on this session` },
        });
      }
      // Each accepted call is answered on the stream exactly once.
      await pump(() => seen.filter((m) => m.id === ID).length >= accepted.length);
      expect(seen.filter((m) => m.id === ID)).toHaveLength(accepted.length);

      // Answered, the id is free again.
      expect((await post(endpointPath, slowCall(ID))).status).toBe(202);
      await pump(() => seen.filter((m) => m.id === ID).length === accepted.length + 1);
    } finally {
      controller.abort();
    }
  });
});
