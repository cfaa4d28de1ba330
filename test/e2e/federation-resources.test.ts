import { describe, expect, it } from 'vitest';
import { PNG } from '../fixtures/mcp/conformance-content.mjs';
import {
  CLIENT_KINDS,
  type ClientKind,
  type Endpoint,
  type TestClient,
  nameAt,
  textOf,
  until,
} from './federation-clients.js';
import { federationWorld } from './federation-helpers.js';

/**
 * Issue #11, server features: resources (list, read, templates, subscribe → updated), prompts, completions,
 * instructions and list_changed, with the SDK v2 client in both eras and the SDK v1 client, against the everything
 * fixture directly (the control: it shows what the upstream offers) and through Toolport's per-connector and
 * aggregate endpoints. On the aggregate the tests find resources by what they are (the listed entry for the
 * fixture's URI), not by a particular URI scheme.
 */
const NOTIFY_MS = 8_000;

const { connect } = federationWorld();

/** The listed resource that stands for the fixture's `uri` at this endpoint. */
async function listedUri(client: TestClient, endpoint: Endpoint, uri: string): Promise<string> {
  const resources = await client.listResources();
  if (endpoint !== 'aggregate') {
    expect(resources.map((r) => r.uri)).toContain(uri);
    return uri;
  }
  const path = uri.slice('test://'.length);
  const match = resources.filter((r) => typeof r.uri === 'string' && r.uri.includes(path));
  expect(match, `one aggregate resource for ${uri}`).toHaveLength(1);
  return match[0]!.uri as string;
}

describe.each<Endpoint>(['direct', 'connector', 'aggregate'])('[issue #11] %s endpoint', (endpoint) => {
  describe.each<ClientKind>(CLIENT_KINDS)('%s client', (kind) => {
    it("advertises the upstream's resources, prompts, completions and logging, and its instructions", async () => {
      const client = await connect(endpoint, kind);
      const caps = client.capabilities() ?? {};
      expect(caps.resources).toBeDefined();
      if (kind !== 'v2-2026') expect(caps.resources.subscribe).toBe(true);
      expect(caps.prompts).toBeDefined();
      expect(caps.completions).toBeDefined();
      expect(caps.logging).toBeDefined();
      expect(client.instructions() ?? '').toContain('Everything fixture');
    });

    it('lists and reads text and binary resources', async () => {
      const client = await connect(endpoint, kind);
      const textUri = await listedUri(client, endpoint, 'test://static-text');
      const binaryUri = await listedUri(client, endpoint, 'test://static-binary');
      const text = await client.readResource(textUri);
      expect(text.contents).toEqual([
        { uri: textUri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
      ]);
      const binary = await client.readResource(binaryUri);
      expect(binary.contents).toEqual([{ uri: binaryUri, mimeType: 'image/png', blob: PNG }]);
    });

    it('lists resource templates and reads through one', async () => {
      const client = await connect(endpoint, kind);
      const templates = await client.listResourceTemplates();
      const template = templates.find((t) => String(t.uriTemplate).includes('template/{id}/data'));
      expect(template, JSON.stringify(templates)).toBeDefined();
      if (endpoint !== 'aggregate') expect(template!.uriTemplate).toBe('test://template/{id}/data');
      const uri = String(template!.uriTemplate).replace('{id}', '123');
      const read = await client.readResource(uri);
      expect(read.contents).toHaveLength(1);
      expect(JSON.parse(read.contents[0].text)).toEqual({ id: '123', templateTest: true, data: 'Data for ID: 123' });
    });

    it('delivers notifications/resources/updated for a subscribed resource, and none after unsubscribing', async () => {
      const client = await connect(endpoint, kind);
      const uri = await listedUri(client, endpoint, 'test://watched-resource');
      const updates = () => client.received.filter((n) => n.method === 'notifications/resources/updated');
      await client.subscribe(uri);
      await client.callTool(nameAt(endpoint, 'update_watched_resource'));
      await until(() => updates().length >= 1, 'the first resources/updated', NOTIFY_MS);
      expect(updates()[0]!.params.uri).toBe(uri);
      const version = /version (\d+)/.exec((await client.readResource(uri)).contents[0].text)?.[1];
      expect(Number(version)).toBeGreaterThan(1);
      await client.unsubscribe(uri);
      await client.callTool(nameAt(endpoint, 'update_watched_resource'));
      // Positive control: subscribe again and change it again. Notifications of one stream arrive in order, so had
      // the unsubscribed change been delivered it would be counted before this one.
      await client.subscribe(uri);
      await client.callTool(nameAt(endpoint, 'update_watched_resource'));
      await until(() => updates().length >= 2, 'the resources/updated after subscribing again', NOTIFY_MS);
      expect(updates().map((n) => n.params.uri)).toEqual([uri, uri]);
    });

    it('lists prompts and gets them with arguments, embedded resources and images', async () => {
      const client = await connect(endpoint, kind);
      const prompts = await client.listPrompts();
      const withArgs = prompts.find((p) => p.name === nameAt(endpoint, 'test_prompt_with_arguments'));
      expect(withArgs, JSON.stringify(prompts.map((p) => p.name))).toBeDefined();
      expect(withArgs.arguments.map((a: { name: string }) => a.name)).toEqual(['arg1', 'arg2']);
      const got = await client.getPrompt(nameAt(endpoint, 'test_prompt_with_arguments'), {
        arg1: 'alpha',
        arg2: 'beta',
      });
      expect(got.messages).toEqual([
        { role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='alpha', arg2='beta'" } },
      ]);
      // The fixture embeds the upstream resource the argument names. The embedded resource carries the URI that
      // resource has at this endpoint (on the aggregate the listed toolport:// form), so it reads back through the
      // endpoint that returned it.
      const embedded = await client.getPrompt(nameAt(endpoint, 'test_prompt_with_embedded_resource'), {
        resourceUri: 'test://static-text',
      });
      const embeddedUri = await listedUri(client, endpoint, 'test://static-text');
      expect((await client.readResource(embeddedUri)).contents[0].uri).toBe(embeddedUri);
      expect(embedded.messages[0].content).toEqual({
        type: 'resource',
        resource: {
          uri: embeddedUri,
          mimeType: 'text/plain',
          text: 'Embedded resource content for testing.',
        },
      });
      const image = await client.getPrompt(nameAt(endpoint, 'test_prompt_with_image'));
      expect(image.messages[0].content).toEqual({ type: 'image', data: PNG, mimeType: 'image/png' });
    });

    it('routes completion/complete for prompt arguments and template variables to the upstream', async () => {
      const client = await connect(endpoint, kind);
      const prompt = await client.complete({
        ref: { type: 'ref/prompt', name: nameAt(endpoint, 'test_prompt_with_arguments') },
        argument: { name: 'arg1', value: 'pa' },
      });
      expect(prompt.completion.values).toEqual(['paris', 'park', 'party']);
      const templates = await client.listResourceTemplates();
      const template = templates.find((t) => String(t.uriTemplate).includes('template/{id}/data'));
      expect(template).toBeDefined();
      const variable = await client.complete({
        ref: { type: 'ref/resource', uri: template!.uriTemplate },
        argument: { name: 'id', value: '12' },
      });
      expect(variable.completion.values).toEqual(['12', '123', '1234']);
    });

    it('relays tools, prompts and resources list_changed, and the next lists show the change', async () => {
      const client = await connect(endpoint, kind);
      await client.listenForListChanges();
      const seen = (method: string) => client.received.some((n) => n.method === method);
      const suffix = `${endpoint}_${kind.replace(/\W/g, '')}_${Date.now()}`;
      await client.callTool(nameAt(endpoint, 'add_item'), { kind: 'tool', name: `tool_${suffix}` });
      await client.callTool(nameAt(endpoint, 'add_item'), { kind: 'prompt', name: `prompt_${suffix}` });
      await client.callTool(nameAt(endpoint, 'add_item'), { kind: 'resource', name: `res_${suffix}` });
      await until(() => seen('notifications/tools/list_changed'), 'tools/list_changed', NOTIFY_MS);
      await until(() => seen('notifications/prompts/list_changed'), 'prompts/list_changed', NOTIFY_MS);
      await until(() => seen('notifications/resources/list_changed'), 'resources/list_changed', NOTIFY_MS);
      expect((await client.listTools()).map((t) => t.name)).toContain(nameAt(endpoint, `tool_${suffix}`));
      expect((await client.listPrompts()).map((p) => p.name)).toContain(nameAt(endpoint, `prompt_${suffix}`));
      expect((await client.listResources()).some((r) => String(r.uri).includes(`dynamic/res_${suffix}`))).toBe(true);
    });

    it('tool results still pass through unchanged (text of a fixture tool)', async () => {
      const client = await connect(endpoint, kind);
      const result = await client.callTool(nameAt(endpoint, 'test_simple_text'));
      expect(textOf(result)).toBe('This is a simple text response for testing.');
    });
  });
});
