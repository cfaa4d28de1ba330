import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingLogger, type LogLine } from '../helpers/recording-logger.js';
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

const MODERN = '2026-07-28';
type Era = 'legacy' | 'modern';

let provider: TestProvider;
let gw: RunningGateway;
const clients: Client[] = [];
// The gateway logs every list_changed it sends: the record the negative checks below stand on.
const log = createRecordingLogger();

beforeAll(async () => {
  provider = await createFixtureProvider();
  provider.createProject('a', 'cancel');
  gw = await startGateway(provider, { logger: log.logger });
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
    await waitFor(() => source.calls.length === 1, 'the call to reach the source');
    controller.abort();
    await expect(call).rejects.toThrow();
    await waitFor(() => source.aborted === 1, 'the abort to reach the source');
  });
});

/** A 2025-era session whose GET stream (the one notifications travel on) is open, counting `list_changed`. */
interface Listening {
  sessionId: string;
  notified(): number;
}

async function connectListening(path: string): Promise<Listening> {
  let opened!: () => void;
  const streamOpen = new Promise<void>((resolve) => (opened = resolve));
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  let count = 0;
  client.setNotificationHandler('notifications/tools/list_changed', () => void count++);
  const transport = new StreamableHTTPClientTransport(new URL(`${gw.baseUrl}${path}`), {
    requestInit: { headers: { Authorization: `Bearer ${TOKENS.tenantA}` } },
    // The client opens its GET stream after `initialized`; once its answer's headers are here the server holds it.
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      if (init?.method === 'GET' && res.ok) opened();
      return res;
    },
  });
  await client.connect(transport);
  clients.push(client);
  await streamOpen;
  return { sessionId: transport.sessionId!, notified: () => count };
}

/** The connector sets of the list_changed the gateway sent to `session` among `lines`. */
function sentTo(lines: LogLine[], session: Listening): unknown[] {
  return lines
    .filter((l) => l.msg === 'list_changed sent' && l.fields.session === session.sessionId)
    .map((l) => l.fields.connectors);
}

const sentLine =
  (session: Listening, connector: string) =>
  (l: LogLine): boolean =>
    l.msg === 'list_changed sent' &&
    l.fields.session === session.sessionId &&
    Array.isArray(l.fields.connectors) &&
    l.fields.connectors.includes(connector);

describe('list_changed', () => {
  it('reaches 2025 sessions of the changed project only (and connector endpoints of that connector only)', async () => {
    const project = await connectListening('/mcp/p1');
    const sameConnector = await connectListening('/mcp/p1/echo');
    const otherConnector = await connectListening('/mcp/p1/other');
    const otherProject = await connectListening('/mcp/p2');
    const from = log.lines.length;
    // Two changes in one tick: one notification.
    await provider.install('a', 'p1', 'echo', new EchoSource());
    await provider.install('a', 'p1', 'echo', new EchoSource());
    await log.line(sentLine(project, 'echo'), 'the echo change sent to the project session');
    // Positive controls: later changes that must reach the two sessions the echo change must not reach. Changes
    // go out in order, so had the echo change reached them it would be recorded before these.
    await provider.install('a', 'p1', 'other', new EchoSource([ECHO_TOOLS[0]!]));
    await provider.install('a', 'p2', 'echo', new EchoSource());
    await log.line(sentLine(otherConnector, 'other'), 'the control change sent to the other connector');
    await log.line(sentLine(otherProject, 'echo'), 'the control change sent to the other project');
    const lines = log.lines.slice(from);
    expect(sentTo(lines, project)).toEqual([['echo'], ['other']]);
    expect(sentTo(lines, sameConnector)).toEqual([['echo']]);
    expect(sentTo(lines, otherConnector)).toEqual([['other']]);
    expect(sentTo(lines, otherProject)).toEqual([['echo']]);
    // And what was sent arrived, once each.
    const counts = (): number[] => [project, sameConnector, otherConnector, otherProject].map((s) => s.notified());
    await waitFor(() => counts().join() === '2,1,1,1', `the notifications to arrive (have ${counts().join()})`);
  });

  it('ignores health events', async () => {
    const session = await connectListening('/mcp/p2');
    const from = log.lines.length;
    provider.emit('health.checked', 'a', 'p2', 'echo');
    // Positive control: a real change right after it does notify, alone. Had the health event counted, 'echo'
    // would be in the same batch or in an earlier one.
    await provider.install('a', 'p2', 'after-health', new EchoSource());
    await log.line(sentLine(session, 'after-health'), 'the control change sent');
    expect(sentTo(log.lines.slice(from), session)).toEqual([['after-health']]);
    await waitFor(() => session.notified() === 1, 'the notification to arrive');
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
    const from = log.lines.length;
    await provider.install('a', 'p2', 'extra', new EchoSource([{ name: 'hello', inputSchema: { type: 'object' } }]));
    await waitFor(() => count > 0, 'the notification on the p2 listen stream');
    const { tools } = await client.listTools({}, { cacheMode: 'refresh' } as never);
    expect(tools.map((t) => t.name)).toContain('extra__hello');
    // Positive control for `other`: a later change of its own project reaches it. Publishing is in order, so the
    // record up to that publication shows the p2 change went to p2's endpoint only.
    await provider.install('a', 'p1', 'for-other', new EchoSource());
    await waitFor(() => otherCount > 0, 'the notification on the p1 listen stream');
    const published = log.lines
      .slice(from)
      .filter((l) => l.msg === 'list_changed published')
      .map((l) => [l.fields.project, l.fields.connector, l.fields.connectors]);
    expect(published).toEqual([
      ['p2', null, ['extra']],
      ['p1', null, ['for-other']],
    ]);
    expect([count, otherCount]).toEqual([1, 1]);
    await sub.close();
    await otherSub.close();
  });
});
