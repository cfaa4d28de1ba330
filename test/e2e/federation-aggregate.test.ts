import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { CLIENT_KINDS, type ClientKind, type TestClient, connectClient } from './federation-clients.js';
import { everythingManifest, startDirectEverything } from './federation-helpers.js';

/**
 * Issue #11, two connectors of one project serving the same fixture (same resource URIs, prompt names and
 * templates): pagination passes through /mcp/{project}/{connector} page by page with the upstream's cursors, and
 * the aggregate /mcp/{project} merges both without collisions — every resource listed once per connector under a
 * distinct URI that reads back that connector's content, prompts as {connector}__{name}, completions routed to the
 * owning connector, both connectors' instructions, and a merged list that pages to the end. `paged` cuts its lists
 * two items a page (PAGE_SIZE=2); `plain` does not.
 */
const STATIC = ['test://static-text', 'test://static-binary', 'test://watched-resource'];

let direct: Awaited<ReturnType<typeof startDirectEverything>>;
let server: ServerProcess;
let key: string;
const open: TestClient[] = [];

beforeAll(async () => {
  [direct, server] = await Promise.all([startDirectEverything({ PAGE_SIZE: '2' }), startServerProcess()]);
  const admin = createRestClient(server.url, server.adminToken);
  expect((await admin('POST', '/v1/projects', { id: 'multi' })).status).toBe(201);
  for (const [name, env] of [
    ['paged', { PAGE_SIZE: '2' }],
    ['plain', {}],
  ] as const) {
    const installed = await admin('POST', '/v1/projects/multi/connectors/install-from-manifest', {
      manifest: everythingManifest(name, env),
    });
    expect(installed.status, installed.text).toBe(201);
  }
  key = (await admin('POST', '/v1/api-keys', { name: 'multi', scopes: ['invoke'] })).body.key as string;
}, 60_000);
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await server?.stop();
  await direct?.stop();
});

async function connect(path: string | null, kind: ClientKind): Promise<TestClient> {
  const client = await connectClient(kind, path === null ? direct.url : `${server.url}${path}`, path ? key : undefined);
  open.push(client);
  return client;
}

/** Walks resources/list page by page; returns the pages' sizes and every resource. */
async function walk(client: TestClient): Promise<{ pages: number[]; resources: any[] }> {
  const pages: number[] = [];
  const resources: any[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listResourcesPage(cursor);
    pages.push(page.resources.length);
    resources.push(...page.resources);
    cursor = page.nextCursor;
    expect(pages.length, 'a cursor loop').toBeLessThan(50);
  } while (cursor !== undefined);
  return { pages, resources };
}

describe.each<ClientKind>(CLIENT_KINDS)('[issue #11] %s client', (kind) => {
  it('passes the upstream pagination through /mcp/{project}/{connector}: the same pages as directly', async () => {
    const control = await walk(await connect(null, kind));
    expect(control.pages).toEqual([2, 1]);
    const proxied = await walk(await connect('/mcp/multi/paged', kind));
    expect(proxied.pages).toEqual(control.pages);
    expect(proxied.resources.map((r) => r.uri)).toEqual(STATIC);
  });

  it('merges both connectors on /mcp/{project} without collisions: distinct URIs that read back', async () => {
    const client = await connect('/mcp/multi', kind);
    const { resources } = await walk(client);
    const uris = resources.map((r) => String(r.uri));
    expect(new Set(uris).size).toBe(uris.length);
    for (const uri of STATIC) {
      const path = uri.slice('test://'.length);
      const matches = uris.filter((u) => u.includes(path));
      expect(matches, `one entry per connector for ${uri}`).toHaveLength(2);
    }
    const texts = uris.filter((u) => u.includes('static-text'));
    for (const uri of texts) {
      const read = await client.readResource(uri);
      expect(read.contents).toEqual([
        { uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
      ]);
    }
    const templates = (await client.listResourceTemplates()).map((t) => String(t.uriTemplate));
    expect(templates.filter((t) => t.includes('template/{id}/data'))).toHaveLength(2);
    expect(new Set(templates).size).toBe(templates.length);
  });

  it('names prompts {connector}__{name} on /mcp/{project}, routes prompts/get and completions to the owner', async () => {
    const client = await connect('/mcp/multi', kind);
    const names = (await client.listPrompts()).map((p) => p.name as string);
    for (const connector of ['paged', 'plain']) {
      expect(names).toContain(`${connector}__test_prompt_with_arguments`);
      const got = await client.getPrompt(`${connector}__test_prompt_with_arguments`, { arg1: connector, arg2: 'x' });
      expect(got.messages[0].content.text).toBe(`Prompt with arguments: arg1='${connector}', arg2='x'`);
      const completion = await client.complete({
        ref: { type: 'ref/prompt', name: `${connector}__test_prompt_with_arguments` },
        argument: { name: 'arg1', value: 'te' },
      });
      expect(completion.completion.values).toEqual(['test', 'testing', 'tesla']);
    }
  });

  it("advertises both connectors' instructions on /mcp/{project}", async () => {
    const client = await connect('/mcp/multi', kind);
    const instructions = client.instructions() ?? '';
    expect(instructions).toContain('paged');
    expect(instructions).toContain('plain');
    expect(instructions.split('Everything fixture').length - 1).toBe(2);
  });
});
