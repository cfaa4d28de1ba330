import { Client, InMemoryTransport, SSEClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runStdio } from '../../src/cli/stdio.js';
import { waitFor } from '../helpers/wait.js';
import {
  ECHO_TOOLS,
  EchoSource,
  type RunningGateway,
  TOKENS,
  type TestProvider,
  createFixtureProvider,
  startGateway,
} from './fixtures.js';

let provider: TestProvider;
let gw: RunningGateway;

beforeAll(async () => {
  provider = await createFixtureProvider();
  gw = await startGateway(provider);
});
afterAll(async () => {
  await gw.close();
});

async function connectSse(path: string, token: string = TOKENS.tenantA): Promise<Client> {
  const client = new Client({ name: 'sse-test', version: '1.0.0' });
  const transport = new SSEClientTransport(new URL(`${gw.baseUrl}${path}`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

describe('legacy HTTP+SSE', () => {
  it('announces the message endpoint, then lists and calls tools', async () => {
    const res = await fetch(`${gw.baseUrl}/sse/p1`, { headers: { Authorization: `Bearer ${TOKENS.tenantA}` } });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: endpoint\ndata: \/sse\/p1\/messages\?sessionId=[0-9a-f-]{36}\n\n/);
    await reader.cancel();

    const client = await connectSse('/sse/p1');
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo__echo');
      const result = await client.callTool({ name: 'echo__echo', arguments: { text: 'over sse' } });
      expect(result.content).toEqual([{ type: 'text', text: 'over sse' }]);
    } finally {
      await client.close();
    }
    // Both streams (the raw one cancelled above and the client's) ended: their sessions are gone.
    await waitFor(() => gw.gateway.stats().sessions === 0, 'both sessions to end');
  });

  it('serves a connector endpoint under original names and frees the session when the stream closes', async () => {
    const before = gw.gateway.stats().sessions;
    const client = await connectSse('/sse/p1/other');
    expect(gw.gateway.stats().sessions).toBe(before + 1);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo']);
    await client.close();
    await waitFor(() => gw.gateway.stats().sessions === before, 'the session to end');
  });

  it('delivers list_changed on the event stream', async () => {
    const client = await connectSse('/sse/p2');
    try {
      let count = 0;
      client.setNotificationHandler('notifications/tools/list_changed', () => void count++);
      await provider.install('a', 'p2', 'added-by-sse-test', new EchoSource());
      await waitFor(() => count === 1, 'the notification on the SSE stream');
    } finally {
      await client.close();
    }
  });

  it('refuses posts to an unknown session (404) and without a token (401)', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${gw.baseUrl}/sse/p1/messages?sessionId=00000000-0000-0000-0000-000000000000`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    expect((await post({ Authorization: `Bearer ${TOKENS.tenantA}` })).status).toBe(404);
    expect((await post({})).status).toBe(401);
  });
});

describe('stdio', () => {
  async function connectStdio(connector?: string): Promise<{ client: Client; done: Promise<void> }> {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const done = runStdio({
      provider,
      tenantId: 'a',
      projectId: 'p1',
      ...(connector ? { connector } : {}),
      transport: serverSide,
    });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(clientSide);
    return { client, done };
  }

  it('serves one project: list, call, list_changed, and resolves when the client disconnects', async () => {
    const { client, done } = await connectStdio();
    let count = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => void count++);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('other__echo');
    const result = await client.callTool({ name: 'other__echo', arguments: { text: 'via stdio' } });
    expect(result.content).toEqual([{ type: 'text', text: 'via stdio' }]);
    // The entry coalesces changes on a timer: a fake clock runs it out, and a ping on the one ordered channel then
    // proves everything sent before its answer has arrived. Nothing else here waits on a timer (requests answer
    // over the in-memory pipe), so the fake clock only moves the debounce.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const settle = async (): Promise<void> => {
        await vi.advanceTimersByTimeAsync(1_000);
        await client.ping();
      };
      await provider.install(
        'a',
        'p1',
        'stdio-extra',
        new EchoSource([{ name: 'hello', inputSchema: { type: 'object' } }]),
      );
      await settle();
      expect(count).toBe(1);
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('stdio-extra__hello');
      // Another project's change does not reach this connection...
      await provider.install('a', 'p2', 'not-mine', new EchoSource());
      await settle();
      expect(count).toBe(1);
      // ...while a change of its own, made after it, does (positive control).
      await provider.install('a', 'p1', 'stdio-extra', new EchoSource([ECHO_TOOLS[0]!]));
      await settle();
      expect(count).toBe(2);
    } finally {
      vi.useRealTimers();
    }
    await client.close();
    await done;
  });

  it('serves one connector under original tool names', async () => {
    const { client, done } = await connectStdio('other');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo']);
    await client.close();
    await done;
  });

  it('serves 2026-07-28 clients too', async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const done = runStdio({ provider, tenantId: 'a', projectId: 'p1', transport: serverSide });
    const client = new Client(
      { name: 'stdio-modern', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(clientSide);
    expect(client.getProtocolEra()).toBe('modern');
    const result = await client.callTool({ name: 'echo__add', arguments: { a: 1, b: 2 } });
    expect(result.structuredContent).toEqual({ sum: 3 });
    await client.close();
    await done;
  });
});
