import { Client as SdkClient, type Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveProjectStdio } from '../../src/gateway/index.js';
import {
  connectV2,
  type FederationWorld,
  federationManifest,
  firstText,
  startFederationWorld,
  until,
} from './federation-helpers.js';

/**
 * `/mcp/{project}` merging two real upstream MCP servers (`docs`, and `notes` which paginates): resources under
 * `toolport://{connector}/{uri}`, templates, prompts as `{connector}__{name}`, completions routed to the owner, merged
 * instructions, subscriptions, logging and sampling — SDK v2 client, 2025 session era.
 */
let world: FederationWorld;
const clients: Client[] = [];
const open = async (spec?: Parameters<typeof connectV2>[2]): Promise<Client> => {
  const client = await connectV2(world, '/mcp/fed', spec);
  clients.push(client);
  return client;
};

/** Every item of a paginated list, and how many pages it took. */
async function walk(client: Client, method: 'resources/list' | 'prompts/list', key: 'resources' | 'prompts') {
  const items: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = (await client.request({ method, params: cursor ? { cursor } : {} } as never)) as Record<
      string,
      unknown
    >;
    pages++;
    items.push(...(page[key] as Record<string, unknown>[]));
    cursor = page.nextCursor as string | undefined;
  } while (cursor && pages < 20);
  return { items, pages };
}

beforeAll(async () => {
  world = await startFederationWorld({ notes: { PAGE_SIZE: '2' }, docs: {} });
}, 60_000);
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await world?.close();
});

describe('project endpoint, 2025 session era', () => {
  it('advertises the union of the members and merges their instructions under one heading each', async () => {
    const client = await open();
    const caps = client.getServerCapabilities();
    expect(caps?.resources).toEqual({ listChanged: true, subscribe: true });
    expect(caps?.prompts).toEqual({ listChanged: true });
    expect(caps?.completions).toEqual({});
    expect(caps?.logging).toEqual({});
    expect(client.getInstructions()).toBe(
      '## docs\n\nInstructions of docs: read memo://one first.\n\n## notes\n\nInstructions of notes: read memo://one first.',
    );
  });

  it('merges resources with collision-free URIs over paginated members, reads and templates by those URIs', async () => {
    const client = await open();
    const { items, pages } = await walk(client, 'resources/list', 'resources');
    expect(items.map((r) => r.uri)).toEqual([
      'toolport://docs/memo://one',
      'toolport://docs/memo://two',
      'toolport://docs/memo://blob',
      'toolport://notes/memo://one',
      'toolport://notes/memo://two',
      'toolport://notes/memo://blob',
    ]);
    expect(pages).toBe(3);
    const read = await client.readResource({ uri: 'toolport://notes/memo://one' });
    expect(read.contents).toEqual([
      { uri: 'toolport://notes/memo://one', mimeType: 'text/plain', text: 'first memo of notes' },
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual([
      'toolport://docs/memo://item/{id}',
      'toolport://notes/memo://item/{id}',
    ]);
    const item = await client.readResource({ uri: 'toolport://docs/memo://item/7' });
    expect(item.contents[0]).toMatchObject({ uri: 'toolport://docs/memo://item/7', text: 'item 7 of docs' });
    await expect(client.readResource({ uri: 'memo://one' })).rejects.toMatchObject({ code: -32602 });
    await expect(client.readResource({ uri: 'toolport://nobody/memo://one' })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('no upstream MCP connector nobody'),
    });
    await expect(client.request({ method: 'resources/list', params: { cursor: 'nonsense' } })).rejects.toMatchObject({
      code: -32602,
    });
  });

  it.each([
    ['/mcp/fed/notes', 'memo://slow'],
    ['/mcp/fed', 'toolport://notes/memo://slow'],
  ])('relays the progress of a resources/read on %s, all of it before the result', async (path, uri) => {
    const client = await connectV2(world, path);
    clients.push(client);
    const events: string[] = [];
    const read = await client.readResource(
      { uri },
      { onprogress: (p) => void events.push(`progress ${p.progress}/${p.total}`) },
    );
    events.push(`result ${read.contents[0] && 'text' in read.contents[0] ? read.contents[0].text : ''}`);
    expect(events).toEqual(['progress 1/3', 'progress 2/3', 'progress 3/3', 'result slow memo of notes']);
  });

  it("points a member tool's resource links and embedded resources at the endpoint's URIs", async () => {
    const client = await open();
    const result = await client.callTool({ name: 'notes__link', arguments: {} });
    const content = result.content as { type: string; uri?: string; resource?: { uri: string } }[];
    expect(content[0]).toMatchObject({ type: 'resource_link', uri: 'toolport://notes/memo://one' });
    expect(content[1]?.resource?.uri).toBe('toolport://notes/memo://two');
    const read = await client.readResource({ uri: content[0]!.uri! });
    expect(read.contents[0]).toMatchObject({ text: 'first memo of notes' });
  });

  it('names prompts {connector}__{name}, gets them from the owner, and routes completions to it', async () => {
    const client = await open();
    const { items } = await walk(client, 'prompts/list', 'prompts');
    expect(items.map((p) => p.name)).toEqual(['docs__greet', 'docs__plain', 'notes__greet', 'notes__plain']);
    const prompt = await client.getPrompt({ name: 'notes__greet', arguments: { who: 'Ada' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Hello Ada from notes' });
    await expect(client.getPrompt({ name: 'nobody__greet' })).rejects.toMatchObject({ code: -32602 });
    const byPrompt = await client.complete({
      ref: { type: 'ref/prompt', name: 'docs__greet' },
      argument: { name: 'who', value: 'b' },
    });
    expect(byPrompt.completion.values).toEqual(['bob@docs']);
    const byTemplate = await client.complete({
      ref: { type: 'ref/resource', uri: 'toolport://notes/memo://item/{id}' },
      argument: { name: 'id', value: 'a' },
    });
    expect(byTemplate.completion.values).toEqual(['a1@notes', 'a2@notes']);
  });

  it('announces resources and prompts list_changed when a member connector comes, and lists its items', async () => {
    const client = await open();
    let resources = 0;
    let prompts = 0;
    client.setNotificationHandler('notifications/resources/list_changed', () => void resources++);
    client.setNotificationHandler('notifications/prompts/list_changed', () => void prompts++);
    await world.h.registry.install({ tenantId: 'default', projectId: 'fed', manifest: federationManifest('extra') });
    try {
      await until(() => resources > 0 && prompts > 0, 'list_changed for the new member');
      const { items } = await walk(client, 'prompts/list', 'prompts');
      expect(items.map((p) => p.name)).toContain('extra__greet');
    } finally {
      await world.h.registry.uninstall('default', 'fed', 'extra');
    }
  });

  it('relays resources/updated under the endpoint URI to the subscribed session', async () => {
    const client = await open();
    const updated: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
    await client.subscribeResource({ uri: 'toolport://notes/memo://two' });
    await client.callTool({ name: 'docs__touch', arguments: { uri: 'memo://two' } });
    await client.callTool({ name: 'notes__touch', arguments: { uri: 'memo://two' } });
    await until(() => updated.length > 0, 'resources/updated');
    expect(updated).toEqual(['toolport://notes/memo://two']);
    await client.unsubscribeResource({ uri: 'toolport://notes/memo://two' });
    expect(firstText(await client.callTool({ name: 'notes__subscriptions', arguments: {} }))).toBe('subscribed: ');
  });

  it('relays log messages at the session level, the logger naming the connector', async () => {
    const client = await open();
    const seen: string[] = [];
    client.setNotificationHandler(
      'notifications/message',
      (n) => void seen.push(`${n.params.logger} ${n.params.level}`),
    );
    await client.setLoggingLevel('critical');
    await client.callTool({ name: 'docs__log', arguments: {} });
    expect(seen).toEqual(['docs/fixture critical', 'docs/fixture alert', 'docs/fixture emergency']);
  });

  it('relays sampling and elicitation of a member tool to the calling client; refuses for a client without', async () => {
    const able = await open({ sampling: true, elicitation: true });
    expect(firstText(await able.callTool({ name: 'notes__ask', arguments: { question: 'q1' } }))).toBe(
      'sampled: answer to q1 (test-model)',
    );
    expect(firstText(await able.callTool({ name: 'docs__confirm', arguments: {} }))).toBe(
      'elicited: accept {"ok":true}',
    );
    const unable = await open();
    const refused = await unable.callTool({ name: 'notes__ask', arguments: { question: 'q2' } });
    expect(refused.isError).toBe(true);
    expect(firstText(refused)).toMatch(/did not declare the capability/);
  });
});

describe('project endpoint over the stdio entry (toolport stdio --project)', () => {
  it('serves merged resources, relays resources/updated and sampling on the one connection', async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const served = serveProjectStdio({
      provider: world.h.registry,
      tenantId: 'default',
      projectId: 'fed',
      transport: serverSide,
      serverInfo: { name: 'toolport-stdio-test', version: '0.0.1' },
    });
    const client = new SdkClient({ name: 'stdio-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler('sampling/createMessage', () => ({
      role: 'assistant',
      model: 'stdio-model',
      content: { type: 'text', text: 'over stdio' },
    }));
    await client.connect(clientSide);
    try {
      const read = await client.readResource({ uri: 'toolport://docs/memo://one' });
      expect(read.contents[0]).toMatchObject({ text: 'first memo of docs' });
      const updated: string[] = [];
      client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
      await client.subscribeResource({ uri: 'toolport://docs/memo://one' });
      await client.callTool({ name: 'docs__touch', arguments: { uri: 'memo://one' } });
      await until(() => updated.length > 0, 'resources/updated over stdio');
      expect(updated).toEqual(['toolport://docs/memo://one']);
      const sampled = await client.callTool({ name: 'docs__ask', arguments: { question: 'q' } });
      expect(firstText(sampled)).toBe('sampled: over stdio (stdio-model)');
    } finally {
      await client.close();
      await served;
    }
    // The connection's subscription was released with it.
    const check = await open();
    expect(firstText(await check.callTool({ name: 'docs__subscriptions', arguments: {} }))).toBe('subscribed: ');
  });
});
