import type { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectV2, type FederationWorld, firstText, startFederationWorld, until } from './federation-helpers.js';

/**
 * `/mcp/{project}/{connector}` in front of a real upstream MCP server (stdio child, SDK v2) through the real
 * registry, with the official SDK v2 client in the 2025 session era: the upstream's capabilities, instructions,
 * resources, prompts, completions, logging, subscriptions and list changes, and sampling/elicitation/roots relayed to
 * the client whose call caused them.
 */
let world: FederationWorld;
const clients: Client[] = [];
const open = async (
  ...args: Parameters<typeof connectV2> extends [unknown, ...infer R] ? R : never
): Promise<Client> => {
  const client = await connectV2(world, ...args);
  clients.push(client);
  return client;
};

beforeAll(async () => {
  world = await startFederationWorld({ notes: { PAGE_SIZE: '2' }, mut: {} });
}, 60_000);
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await world?.close();
});

describe('per-connector endpoint, 2025 session era', () => {
  it("advertises the upstream's capabilities and instructions", async () => {
    const client = await open('/mcp/fed/notes');
    const caps = client.getServerCapabilities();
    expect(caps?.resources).toEqual({ subscribe: true, listChanged: true });
    expect(caps?.prompts).toEqual({ listChanged: true });
    expect(caps?.completions).toEqual({});
    expect(caps?.logging).toEqual({});
    expect(caps?.tools?.listChanged).toBe(true);
    expect(client.getInstructions()).toBe('Instructions of notes: read memo://one first.');
  });

  it('passes resources through: paginated list with the upstream cursors, text and blob reads, templates', async () => {
    const client = await open('/mcp/fed/notes');
    const first = await client.request({ method: 'resources/list', params: {} });
    expect(first.resources.map((r) => r.uri)).toEqual(['memo://one', 'memo://two']);
    expect(first.nextCursor).toBe('2');
    const second = await client.request({ method: 'resources/list', params: { cursor: first.nextCursor! } });
    expect(second.resources.map((r) => r.uri)).toEqual(['memo://blob']);
    expect(second.nextCursor).toBeUndefined();
    const text = await client.readResource({ uri: 'memo://one' });
    expect(text.contents).toEqual([{ uri: 'memo://one', mimeType: 'text/plain', text: 'first memo of notes' }]);
    const blob = await client.readResource({ uri: 'memo://blob' });
    expect(blob.contents[0]).toMatchObject({ uri: 'memo://blob', blob: Buffer.from([1, 2, 3]).toString('base64') });
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates).toEqual([{ uriTemplate: 'memo://item/{id}', name: 'item', mimeType: 'text/plain' }]);
    const item = await client.readResource({ uri: 'memo://item/42' });
    expect(item.contents[0]).toMatchObject({ text: 'item 42 of notes' });
    // The upstream's own JSON-RPC error comes back as it is (the SDK v2 server answers -32602 for it).
    await expect(client.readResource({ uri: 'memo://missing' })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('Resource memo://missing not found'),
    });
  });

  it('passes prompts and completions through', async () => {
    const client = await open('/mcp/fed/notes');
    const first = await client.request({ method: 'prompts/list', params: {} });
    expect(first.prompts.map((p) => p.name)).toEqual(['greet', 'plain']);
    const prompt = await client.getPrompt({ name: 'greet', arguments: { who: 'Ada' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Hello Ada from notes' });
    const completion = await client.complete({
      ref: { type: 'ref/prompt', name: 'greet' },
      argument: { name: 'who', value: 'al' },
    });
    expect(completion.completion.values).toEqual(['alice@notes', 'albert@notes']);
  });

  it('relays resources/updated to the subscribed session only, and unsubscribes upstream with the last one', async () => {
    const subscriber = await open('/mcp/fed/notes');
    const bystander = await open('/mcp/fed/notes');
    const updated: string[] = [];
    let bystanderUpdates = 0;
    subscriber.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
    bystander.setNotificationHandler('notifications/resources/updated', () => void bystanderUpdates++);
    await subscriber.subscribeResource({ uri: 'memo://one' });
    expect(firstText(await bystander.callTool({ name: 'subscriptions', arguments: {} }))).toBe(
      'subscribed: memo://one',
    );
    await bystander.callTool({ name: 'touch', arguments: { uri: 'memo://one' } });
    await until(() => updated.length === 1, 'resources/updated at the subscriber');
    expect(updated).toEqual(['memo://one']);
    await subscriber.unsubscribeResource({ uri: 'memo://one' });
    expect(firstText(await bystander.callTool({ name: 'subscriptions', arguments: {} }))).toBe('subscribed: ');
    // A positive control for the bystander: its own subscription gets the next update, and only that one.
    await bystander.subscribeResource({ uri: 'memo://two' });
    await bystander.callTool({ name: 'touch', arguments: { uri: 'memo://two' } });
    await until(() => bystanderUpdates === 1, 'resources/updated at the bystander');
    expect(updated).toEqual(['memo://one']);
  });

  it('releases the upstream subscription when the subscribed session ends', async () => {
    const subscriber = await open('/mcp/fed/notes');
    await subscriber.subscribeResource({ uri: 'memo://blob' });
    const other = await open('/mcp/fed/notes');
    expect(firstText(await other.callTool({ name: 'subscriptions', arguments: {} }))).toContain('memo://blob');
    const before = world.gw.gateway.stats().sessions;
    await (subscriber.transport as StreamableHTTPClientTransport).terminateSession();
    await subscriber.close();
    await until(() => world.gw.gateway.stats().sessions === before - 1, 'the subscriber session to end');
    const after = firstText(await other.callTool({ name: 'subscriptions', arguments: {} }));
    expect(after).not.toContain('memo://blob');
  });

  it('relays log messages sent during a call to the calling session, at its level, before the result', async () => {
    const chatty = await open('/mcp/fed/notes');
    const quiet = await open('/mcp/fed/notes');
    const chattyLevels: string[] = [];
    const quietLevels: string[] = [];
    chatty.setNotificationHandler('notifications/message', (n) => void chattyLevels.push(n.params.level));
    quiet.setNotificationHandler('notifications/message', (n) => void quietLevels.push(n.params.level));
    await chatty.setLoggingLevel('debug');
    await quiet.setLoggingLevel('error');
    await chatty.callTool({ name: 'log', arguments: {} });
    expect(chattyLevels).toEqual(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);
    await quiet.callTool({ name: 'log', arguments: {} });
    expect(quietLevels).toEqual(['error', 'critical', 'alert', 'emergency']);
    expect(chattyLevels).toHaveLength(8);
  });

  it('relays log messages sent outside any call to every session, filtered per session level', async () => {
    const quiet = await open('/mcp/fed/notes');
    const chatty = await open('/mcp/fed/notes');
    const quietLevels: string[] = [];
    const chattyLevels: string[] = [];
    quiet.setNotificationHandler('notifications/message', (n) => void quietLevels.push(n.params.level));
    chatty.setNotificationHandler('notifications/message', (n) => void chattyLevels.push(n.params.level));
    await quiet.setLoggingLevel('error');
    await chatty.setLoggingLevel('debug');
    await chatty.callTool({ name: 'log_later', arguments: {} });
    await until(() => chattyLevels.includes('emergency') && quietLevels.includes('emergency'), 'both sessions logs');
    expect(chattyLevels).toEqual(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);
    expect(quietLevels).toEqual(['error', 'critical', 'alert', 'emergency']);
  });

  it('relays sampling, elicitation and roots to the client whose call asked, and its answers back', async () => {
    const client = await open('/mcp/fed/notes', { sampling: true, elicitation: true, roots: true });
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['ask', 'confirm', 'roots']));
    const sampled = await client.callTool({ name: 'ask', arguments: { question: 'why?' } });
    expect(firstText(sampled)).toBe('sampled: answer to why? (test-model)');
    const elicited = await client.callTool({ name: 'confirm', arguments: {} });
    expect(firstText(elicited)).toBe('elicited: accept {"ok":true}');
    const roots = await client.callTool({ name: 'roots', arguments: {} });
    expect(firstText(roots)).toBe('roots: file:///work/a');
  });

  it("passes a client's roots/list_changed to the (2025-era) upstream, whose roots/list then asks that client", async () => {
    const heard = async (client: Client) =>
      firstText(await client.callTool({ name: 'roots_heard', arguments: {} }))
        .split('|')
        .filter(Boolean);
    const withRoots = await open('/mcp/fed/notes', { roots: true });
    const before = (await heard(withRoots)).length;
    await withRoots.sendRootsListChanged();
    await until(async () => (await heard(withRoots)).length > before, 'the upstream to ask for the roots');
    expect((await heard(withRoots))[before]).toBe('roots file:///work/a');
    // A client without roots that announces a change anyway (the raw message: the SDK client would not send it): the
    // upstream's roots/list gets an error, not a hang.
    const without = await open('/mcp/fed/notes');
    await without.transport!.send({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    await until(async () => (await heard(without)).length > before + 1, 'the upstream to hear the second change');
    // Either way the error names the missing capability: asked outside any call (the client that announced the
    // change) or during one of this client's polling calls (the caller in flight) — both are this client.
    expect((await heard(without))[before + 1]).toMatch(
      /^error roots\/list: the client .*did not declare (roots|the capability)/,
    );
  });

  it('answers the upstream with an error, promptly, when the client cannot sample', async () => {
    const client = await open('/mcp/fed/notes');
    const result = await client.callTool({ name: 'ask', arguments: { question: 'why?' } });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toMatch(/did not declare the capability/);
    // The shared upstream is still fine for the next caller.
    expect(firstText(await client.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe('still here');
  });

  it("never sends one client's sampling request to another: with two sessions' calls in flight it is refused", async () => {
    const first = await open('/mcp/fed/notes', { sampling: true });
    const second = await open('/mcp/fed/notes', { sampling: true });
    let firstAsked = 0;
    first.setRequestHandler('sampling/createMessage', () => {
      firstAsked++;
      return { role: 'assistant', model: 'wrong', content: { type: 'text', text: 'wrong client' } };
    });
    const blocking = first.callTool({ name: 'block', arguments: {} });
    await until(
      async () => firstText(await second.callTool({ name: 'blocked', arguments: {} })) === '1',
      'the first call to be in flight',
    );
    const refused = await second.callTool({ name: 'ask', arguments: { question: 'whose?' } });
    expect(refused.isError).toBe(true);
    expect(firstText(refused)).toMatch(/several clients/);
    expect(firstAsked).toBe(0);
    await second.callTool({ name: 'release', arguments: {} });
    expect(firstText(await blocking)).toBe('released');
    // Once alone again, the second client is asked as usual.
    expect(firstText(await second.callTool({ name: 'ask', arguments: { question: 'mine' } }))).toBe(
      'sampled: answer to mine (test-model)',
    );
  });

  it('refuses a URL-mode elicitation for a client that declared form mode only', async () => {
    const client = await open('/mcp/fed/notes', { elicitation: true });
    const result = await client.callTool({ name: 'visit', arguments: {} });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toMatch(/did not declare the capability/);
  });

  it('relays resources and prompts list_changed', async () => {
    const client = await open('/mcp/fed/mut');
    let resourcesChanged = 0;
    let promptsChanged = 0;
    client.setNotificationHandler('notifications/resources/list_changed', () => void resourcesChanged++);
    client.setNotificationHandler('notifications/prompts/list_changed', () => void promptsChanged++);
    await client.callTool({ name: 'add_resource', arguments: { id: 'fresh' } });
    await until(() => resourcesChanged > 0, 'resources/list_changed');
    expect((await client.listResources()).resources.map((r) => r.uri)).toContain('memo://fresh');
    await client.callTool({ name: 'add_prompt', arguments: { id: 'newprompt' } });
    await until(() => promptsChanged > 0, 'prompts/list_changed');
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toContain('newprompt');
  });

  it('serves every session from one shared upstream process, sampling included', async () => {
    const pids = new Set<string>();
    const answers: string[] = [];
    for (let i = 0; i < 25; i++) {
      const client = await connectV2(world, '/mcp/fed/notes', { sampling: true });
      pids.add(firstText(await client.callTool({ name: 'pid', arguments: {} })));
      answers.push(firstText(await client.callTool({ name: 'ask', arguments: { question: `n${i}` } })));
      await (client.transport as StreamableHTTPClientTransport).terminateSession();
      await client.close();
    }
    expect(pids.size).toBe(1);
    expect(answers).toEqual(Array.from({ length: 25 }, (_, i) => `sampled: answer to n${i} (test-model)`));
    const summary = await world.h.registry.getConnector('default', 'fed', 'notes');
    expect(String(summary.runtime.pid)).toBe([...pids][0]);
    expect(summary.runtime.restarts).toBe(0);
  });

  it('renews upstream subscriptions when the upstream process is restarted', async () => {
    const client = await open('/mcp/fed/mut');
    const updated: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
    await client.subscribeResource({ uri: 'memo://one' });
    const before = await world.h.registry.getConnector('default', 'fed', 'mut');
    expect((await client.callTool({ name: 'crash', arguments: {} })).isError).toBe(true);
    await until(async () => {
      const summary = await world.h.registry.getConnector('default', 'fed', 'mut');
      return summary.runtime.connected === true && summary.runtime.pid !== before.runtime.pid;
    }, 'the restarted upstream');
    await until(
      async () =>
        firstText(await client.callTool({ name: 'subscriptions', arguments: {} })) === 'subscribed: memo://one',
      'the renewed subscription',
    );
    await client.callTool({ name: 'touch', arguments: { uri: 'memo://one' } });
    await until(() => updated.length > 0, 'resources/updated from the restarted upstream');
    expect(updated).toEqual(['memo://one']);
  });
});
