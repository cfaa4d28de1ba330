import { type Client, LOG_LEVEL_META_KEY } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport as V1SseTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport as V1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectV2, type FederationWorld, firstText, startFederationWorld, until } from './federation-helpers.js';
import { TOKENS } from './fixtures.js';

/**
 * Federation with other clients: the SDK v2 client in the 2026-07-28 per-request era, and the SDK v1 client (Streamable
 * HTTP and legacy HTTP+SSE) on both endpoints — resources, subscriptions and sampling.
 */
let world: FederationWorld;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  world = await startFederationWorld({ notes: {}, mut: {} });
}, 60_000);
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close().catch(() => undefined)));
});
afterAll(async () => {
  await world?.close();
});

const auth = { headers: { Authorization: `Bearer ${TOKENS.operator}` } };

async function v1(path: string, transport: 'http' | 'sse', sampling = false): Promise<V1Client> {
  const client = new V1Client(
    { name: 'v1-test', version: '1.0.0' },
    { capabilities: sampling ? { sampling: {} } : {} },
  );
  if (sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, (request) => ({
      role: 'assistant' as const,
      model: 'v1-model',
      content: {
        type: 'text' as const,
        text: `v1 says ${(request.params.messages[0]?.content as { text: string }).text}`,
      },
    }));
  }
  const url = world.url(path);
  await client.connect(
    transport === 'http'
      ? new V1HttpTransport(url, { requestInit: auth })
      : new V1SseTransport(url, {
          requestInit: auth,
          eventSourceInit: {
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...auth.headers } }),
          },
        }),
  );
  closers.push(() => client.close());
  return client;
}

async function v2(path: string, spec: Parameters<typeof connectV2>[2]): Promise<Client> {
  const client = await connectV2(world, path, spec);
  closers.push(() => client.close());
  return client;
}

describe('SDK v2 client, 2026-07-28 era', () => {
  it.each(['/mcp/fed/notes', '/mcp/fed'])(
    'discovers the capabilities and reads resources and prompts on %s',
    async (path) => {
      const client = await v2(path, { era: 'modern', sampling: true });
      expect(client.getProtocolEra()).toBe('modern');
      expect(client.getServerCapabilities()?.resources).toBeDefined();
      expect(client.getInstructions()).toContain('Instructions of notes');
      const prefix = path === '/mcp/fed' ? 'toolport://notes/' : '';
      const { resources } = await client.listResources();
      expect(resources.map((r) => r.uri)).toContain(`${prefix}memo://one`);
      const read = await client.readResource({ uri: `${prefix}memo://two` });
      expect(read.contents[0]).toMatchObject({ text: 'second memo of notes' });
      const prompt = await client.getPrompt({ name: `${prefix ? 'notes__' : ''}greet`, arguments: { who: 'Bo' } });
      expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Hello Bo from notes' });
      const done = await client.complete({
        ref: { type: 'ref/prompt', name: `${prefix ? 'notes__' : ''}greet` },
        argument: { name: 'who', value: 'bo' },
      });
      expect(done.completion.values).toEqual(['bob@notes']);
    },
  );

  it.each(['/mcp/fed/notes', '/mcp/fed'])(
    'relays sampling, elicitation and roots as input_required rounds the client answers on %s',
    async (path) => {
      const client = await v2(path, { era: 'modern', sampling: true, elicitation: true, roots: true });
      const tool = (name: string): string => (path === '/mcp/fed' ? `notes__${name}` : name);
      const sampled = await client.callTool({ name: tool('ask'), arguments: { question: 'modern?' } });
      expect(firstText(sampled)).toBe('sampled: answer to modern? (test-model)');
      const elicited = await client.callTool({ name: tool('confirm'), arguments: {} });
      expect(firstText(elicited)).toBe('elicited: accept {"ok":true}');
      const roots = await client.callTool({ name: tool('roots'), arguments: {} });
      expect(firstText(roots)).toBe('roots: file:///work/a');
    },
  );

  it('relays the log messages of a call on its stream, at the level the request carries', async () => {
    const client = await v2('/mcp/fed/notes', { era: 'modern' });
    const levels: string[] = [];
    client.setNotificationHandler('notifications/message', (n) => void levels.push(n.params.level));
    // This era has no logging/setLevel: the request carries its level in the envelope.
    await client.callTool({ name: 'log', arguments: {}, _meta: { [LOG_LEVEL_META_KEY]: 'alert' } });
    expect(levels).toEqual(['alert', 'emergency']);
  });

  it('answers the upstream with an error when a 2026-07-28 client declares no sampling', async () => {
    const client = await v2('/mcp/fed/notes', { era: 'modern' });
    const result = await client.callTool({ name: 'ask', arguments: { question: 'modern?' } });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toMatch(/did not declare the capability/);
  });

  it('refuses a retry naming a requestState it never issued', async () => {
    const client = await v2('/mcp/fed/notes', { era: 'modern', sampling: true });
    await expect(
      client.callTool({ name: 'ask', arguments: { question: 'x' }, requestState: 'forged' } as never),
    ).rejects.toMatchObject({ code: -32602 });
  });

  it.each(['/mcp/fed/notes', '/mcp/fed'])(
    'subscribes the upstream for a listen stream and relays resources/updated to it on %s',
    async (path) => {
      const shown = path === '/mcp/fed' ? 'toolport://notes/memo://two' : 'memo://two';
      const client = await v2(path, { era: 'modern' });
      const updated: string[] = [];
      client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
      const sub = await client.listen({ resourceSubscriptions: [shown] });
      closers.push(() => sub.close());
      const caller = await v2('/mcp/fed/notes', {});
      await until(
        async () => firstText(await caller.callTool({ name: 'subscriptions', arguments: {} })).includes('memo://two'),
        'the upstream subscription',
      );
      await caller.callTool({ name: 'touch', arguments: { uri: 'memo://two' } });
      await until(() => updated.length > 0, 'resources/updated on the listen stream');
      expect(updated).toEqual([shown]);
      await sub.close();
      await until(
        async () => !firstText(await caller.callTool({ name: 'subscriptions', arguments: {} })).includes('memo://two'),
        'the upstream unsubscribe after the stream closed',
      );
    },
  );

  it('relays resources list_changed to subscriptions/listen streams', async () => {
    const client = await v2('/mcp/fed/mut', { era: 'modern' });
    let changed = 0;
    client.setNotificationHandler('notifications/resources/list_changed', () => void changed++);
    const sub = await client.listen({ resourcesListChanged: true });
    closers.push(() => sub.close());
    const caller = await v2('/mcp/fed/mut', {});
    await caller.callTool({ name: 'add_resource', arguments: { id: 'modern' } });
    await until(() => changed > 0, 'resources/list_changed on the listen stream');
    expect((await client.listResources()).resources.map((r) => r.uri)).toContain('memo://modern');
  });
});

describe.each(['http', 'sse'] as const)('SDK v1 client over %s', (transport) => {
  const base = transport === 'http' ? '/mcp/fed' : '/sse/fed';

  it('lists and reads resources on the connector and the project endpoint', async () => {
    const direct = await v1(`${base}/notes`, transport);
    expect((await direct.listResources()).resources.map((r) => r.uri)).toEqual([
      'memo://one',
      'memo://two',
      'memo://blob',
    ]);
    expect((await direct.readResource({ uri: 'memo://one' })).contents[0]).toMatchObject({
      text: 'first memo of notes',
    });
    const merged = await v1(base, transport);
    // One page per member: the merged list continues from `mut` to `notes` through the cursor.
    const first = await merged.listResources();
    expect(first.resources.every((r) => r.uri.startsWith('toolport://mut/'))).toBe(true);
    const second = await merged.listResources({ cursor: first.nextCursor! });
    expect(second.resources.map((r) => r.uri)).toEqual([
      'toolport://notes/memo://one',
      'toolport://notes/memo://two',
      'toolport://notes/memo://blob',
    ]);
    expect(second.nextCursor).toBeUndefined();
    const read = await merged.readResource({ uri: 'toolport://notes/memo://two' });
    expect(read.contents[0]).toMatchObject({ uri: 'toolport://notes/memo://two', text: 'second memo of notes' });
  });

  it('relays resources/updated to a subscribed v1 client', async () => {
    const client = await v1(`${base}/notes`, transport);
    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
    await client.subscribeResource({ uri: 'memo://one' });
    await client.callTool({ name: 'touch', arguments: { uri: 'memo://one' } });
    await until(() => updated.length > 0, 'resources/updated at the v1 client');
    expect(updated).toEqual(['memo://one']);
    await client.unsubscribeResource({ uri: 'memo://one' });
  });

  it('answers sampling from the v1 client on both endpoints, and refuses for one without the capability', async () => {
    const direct = await v1(`${base}/notes`, transport, true);
    expect(firstText(await direct.callTool({ name: 'ask', arguments: { question: 'one' } }))).toBe(
      'sampled: v1 says one (v1-model)',
    );
    const merged = await v1(base, transport, true);
    expect(firstText(await merged.callTool({ name: 'notes__ask', arguments: { question: 'two' } }))).toBe(
      'sampled: v1 says two (v1-model)',
    );
    const unable = await v1(`${base}/notes`, transport);
    const refused = await unable.callTool({ name: 'ask', arguments: { question: 'three' } });
    expect(refused.isError).toBe(true);
  });
});
