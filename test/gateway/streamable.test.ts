import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  EchoSource,
  type RunningGateway,
  TOKENS,
  type TestProvider,
  createFixtureProvider,
  startGateway,
  waitFor,
} from './fixtures.js';

const MODERN = '2026-07-28';
type Era = 'legacy' | 'modern';

let provider: TestProvider;
let gw: RunningGateway;
const clients: Client[] = [];

beforeAll(async () => {
  provider = await createFixtureProvider();
  provider.createProject('a', 'cancel');
  gw = await startGateway(provider);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await gw.close();
});

async function connect(path: string, era: Era, token: string = TOKENS.tenantA): Promise<Client> {
  const client = new Client(
    { name: 'gateway-test', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: MODERN } } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${gw.baseUrl}${path}`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

describe.each<Era>(['legacy', 'modern'])('Streamable HTTP, %s era', (era) => {
  it('negotiates the era the client asked for', async () => {
    const client = await connect('/mcp/p1', era);
    expect(client.getProtocolEra()).toBe(era);
    if (era === 'modern') expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
    else expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
  });

  it('lists project tools as {connector}__{tool} with output schemas and annotations', async () => {
    const client = await connect('/mcp/p1', era);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual([
      'echo__add',
      'echo__count',
      'echo__crash',
      'echo__echo',
      'echo__fail',
      'echo__wait',
      'other__echo',
    ]);
    const add = tools.find((t) => t.name === 'echo__add')!;
    expect(add.outputSchema).toMatchObject({ properties: { sum: { type: 'number' } } });
    expect(tools.find((t) => t.name === 'echo__echo')!.annotations).toEqual({ readOnlyHint: true });
  });

  it('lists a connector endpoint under original names', async () => {
    const client = await connect('/mcp/p1/other', era);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo']);
  });

  it('calls a tool and returns text and structured content', async () => {
    const client = await connect('/mcp/p1', era);
    const echo = await client.callTool({ name: 'echo__echo', arguments: { text: 'hi there' } });
    expect(echo.content).toEqual([{ type: 'text', text: 'hi there' }]);
    const add = await client.callTool({ name: 'echo__add', arguments: { a: 2, b: 3 } });
    expect(add.structuredContent).toEqual({ sum: 5 });
    expect(add.content).toEqual([{ type: 'text', text: '{"sum":5}' }]);
    expect(add.isError).toBeFalsy();
  });

  it('returns invalid arguments as a tool error naming the JSON pointers', async () => {
    const client = await connect('/mcp/p1', era);
    const result = await client.callTool({ name: 'echo__add', arguments: { a: 'x', b: 1, extra: true } });
    expect(result.isError).toBe(true);
    const text = (result.content as { text: string }[])[0]!.text;
    expect(text).toContain('/a: must be number');
    expect(text).toContain('must NOT have additional properties');
  });

  it('answers an unknown tool with -32602', async () => {
    const client = await connect('/mcp/p1', era);
    await expect(client.callTool({ name: 'nope__nothing', arguments: {} })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('Unknown tool'),
    });
  });

  it('turns a ToolportError into an isError result and an unexpected exception into -32603', async () => {
    const client = await connect('/mcp/p1', era);
    const failed = await client.callTool({ name: 'echo__fail', arguments: {} });
    expect(failed).toMatchObject({ isError: true, content: [{ type: 'text', text: 'upstream said no' }] });
    const crash = client.callTool({ name: 'echo__crash', arguments: {} });
    await expect(crash).rejects.toMatchObject({ code: -32603 });
    await expect(crash).rejects.not.toThrow(/secret internal detail/);
  });

  it('relays progress notifications when the client sends a progress token', async () => {
    const client = await connect('/mcp/p1', era);
    const seen: { progress: number; total?: number; message?: string }[] = [];
    const result = await client.callTool(
      { name: 'echo__count', arguments: { steps: 3 } },
      { onprogress: (p) => seen.push(p) },
    );
    expect(result.content).toEqual([{ type: 'text', text: 'counted 3' }]);
    expect(seen.map((p) => p.progress)).toEqual([1, 2, 3]);
    expect(seen[2]).toMatchObject({ total: 3, message: 'step 3' });
  });

  it('aborts the tool call at the source when the client cancels', async () => {
    const source = new EchoSource();
    await provider.install('a', 'cancel', `waiter-${era}`, source);
    const client = await connect('/mcp/cancel', era);
    const controller = new AbortController();
    const call = client.callTool({ name: `waiter-${era}__wait`, arguments: {} }, { signal: controller.signal });
    await waitFor(() => source.calls.length === 1);
    controller.abort();
    await expect(call).rejects.toThrow();
    await waitFor(() => source.aborted === 1);
  });
});

describe('list_changed', () => {
  it('reaches 2025 sessions of the changed project only (and connector endpoints of that connector only)', async () => {
    const project = await connect('/mcp/p1', 'legacy');
    const sameConnector = await connect('/mcp/p1/echo', 'legacy');
    const otherConnector = await connect('/mcp/p1/other', 'legacy');
    const otherProject = await connect('/mcp/p2', 'legacy');
    const counts = { project: 0, sameConnector: 0, otherConnector: 0, otherProject: 0 };
    for (const [key, client] of Object.entries({ project, sameConnector, otherConnector, otherProject })) {
      client.setNotificationHandler('notifications/tools/list_changed', () => {
        counts[key as keyof typeof counts]++;
      });
    }
    // Give the clients' GET streams a moment to open: notifications travel on them.
    await new Promise((r) => setTimeout(r, 100));
    await provider.install('a', 'p1', 'echo', new EchoSource());
    await provider.install('a', 'p1', 'echo', new EchoSource());
    await waitFor(() => counts.project > 0 && counts.sameConnector > 0);
    await new Promise((r) => setTimeout(r, 150));
    expect(counts).toEqual({ project: 1, sameConnector: 1, otherConnector: 0, otherProject: 0 });
  });

  it('ignores health events', async () => {
    const client = await connect('/mcp/p2', 'legacy');
    let count = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => void count++);
    await new Promise((r) => setTimeout(r, 100));
    provider.emit('health.checked', 'a', 'p2', 'echo');
    // Positive control: a real change after it does notify. Notifications arrive in order on the stream, so
    // had the health event notified, it would have been counted first.
    await provider.install('a', 'p2', 'after-health', new EchoSource());
    await waitFor(() => count > 0);
    expect(count).toBe(1);
  });

  it('reaches 2026-07-28 clients on their subscriptions/listen stream, and the next list shows the change', async () => {
    const client = await connect('/mcp/p2', 'modern');
    const other = await connect('/mcp/p1', 'modern');
    let count = 0;
    let otherCount = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => void count++);
    other.setNotificationHandler('notifications/tools/list_changed', () => void otherCount++);
    const sub = await client.listen({ toolsListChanged: true });
    const otherSub = await other.listen({ toolsListChanged: true });
    expect(sub.honoredFilter.toolsListChanged).toBe(true);
    await provider.install('a', 'p2', 'extra', new EchoSource([{ name: 'hello', inputSchema: { type: 'object' } }]));
    await waitFor(() => count > 0);
    const { tools } = await client.listTools({}, { cacheMode: 'refresh' } as never);
    expect(tools.map((t) => t.name)).toContain('extra__hello');
    // Positive control for `other`: a change of its own project reaches it, and it is the only one that did.
    await provider.install('a', 'p1', 'for-other', new EchoSource());
    await waitFor(() => otherCount > 0);
    expect(otherCount).toBe(1);
    await sub.close();
    await otherSub.close();
  });
});
