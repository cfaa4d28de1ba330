import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { federationManifest } from '../gateway/federation-helpers.js';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/**
 * The desktop relay `toolport stdio --url` in front of a started Toolport that federates a real upstream MCP server:
 * instructions, resources, prompts, completions, subscriptions, logging and sampling reach the desktop client
 * through the relay, per connector and per project.
 */
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
let server: ServerProcess;
let key: string;

beforeAll(async () => {
  server = await startServerProcess();
  const admin = createRestClient(server.url, server.adminToken);
  expect((await admin('POST', '/v1/projects', { id: 'fed' })).status).toBe(201);
  const installed = await admin('POST', '/v1/projects/fed/connectors/install-from-manifest', {
    manifest: federationManifest('notes'),
  });
  expect(installed.status).toBe(201);
  key = (await admin('POST', '/v1/api-keys', { name: 'relay', scopes: ['invoke'] })).body.key as string;
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

async function relay(connector?: string): Promise<Client> {
  const client = new Client({ name: 'desktop', version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.setRequestHandler('sampling/createMessage', () => ({
    role: 'assistant',
    model: 'desktop-model',
    content: { type: 'text', text: 'from the desktop' },
  }));
  const args = [CLI, 'stdio', '--url', server.url, '--token', key, '--project', 'fed'];
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: connector ? [...args, '--connector', connector] : args,
    }),
  );
  return client;
}

const text = (result: unknown): string => ((result as { content?: { text?: string }[] }).content ?? [])[0]?.text ?? '';

describe('the desktop relay `toolport stdio --url` federates', () => {
  it('a connector: instructions, resources, prompts, completions, subscriptions, logging and sampling', async () => {
    const client = await relay('notes');
    try {
      expect(client.getInstructions()).toBe('Instructions of notes: read memo://one first.');
      expect(client.getServerCapabilities()?.resources).toEqual({ subscribe: true, listChanged: true });
      expect((await client.listResources()).resources.map((r) => r.uri)).toEqual([
        'memo://one',
        'memo://two',
        'memo://blob',
      ]);
      expect((await client.readResource({ uri: 'memo://two' })).contents[0]).toMatchObject({
        text: 'second memo of notes',
      });
      const prompt = await client.getPrompt({ name: 'greet', arguments: { who: 'Desk' } });
      expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Hello Desk from notes' });
      const done = await client.complete({
        ref: { type: 'ref/prompt', name: 'greet' },
        argument: { name: 'who', value: 'b' },
      });
      expect(done.completion.values).toEqual(['bob@notes']);
      const updated: string[] = [];
      client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
      await client.subscribeResource({ uri: 'memo://one' });
      await client.callTool({ name: 'touch', arguments: { uri: 'memo://one' } });
      await waitUntil(() => updated.length > 0);
      expect(updated).toEqual(['memo://one']);
      const levels: string[] = [];
      client.setNotificationHandler('notifications/message', (n) => void levels.push(n.params.level));
      await client.setLoggingLevel('alert');
      await client.callTool({ name: 'log', arguments: {} });
      await waitUntil(() => levels.includes('emergency'));
      expect(levels).toEqual(['alert', 'emergency']);
      expect(text(await client.callTool({ name: 'ask', arguments: { question: 'q' } }))).toBe(
        'sampled: from the desktop (desktop-model)',
      );
    } finally {
      await client.close();
    }
  });

  it('a project: merged resources under toolport:// URIs, prefixed prompts and sampling', async () => {
    const client = await relay();
    try {
      expect(client.getInstructions()).toBe('## notes\n\nInstructions of notes: read memo://one first.');
      const read = await client.readResource({ uri: 'toolport://notes/memo://one' });
      expect(read.contents[0]).toMatchObject({ uri: 'toolport://notes/memo://one', text: 'first memo of notes' });
      expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(['notes__greet', 'notes__plain']);
      expect(text(await client.callTool({ name: 'notes__ask', arguments: { question: 'q' } }))).toBe(
        'sampled: from the desktop (desktop-model)',
      );
    } finally {
      await client.close();
    }
  });
});

async function waitUntil(predicate: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
