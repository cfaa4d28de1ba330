import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpSource } from '../../src/sources/mcp/index.js';
import { createRegistryHarness, type RegistryHarness } from '../helpers/registry-harness.js';
import { stdioManifestYaml } from '../mcp/helpers.js';
import { type RunningGateway, TOKENS, startGateway } from './fixtures.js';

/** The federation fixture: a real SDK v2 stdio server with resources, prompts, completions, logging, sampling. */
export const FEDERATION_UPSTREAM = fileURLToPath(new URL('../fixtures/mcp/federation-upstream.mjs', import.meta.url));
export const MODERN = '2026-07-28';

/** The YAML of a connector running the federation fixture. */
export function federationManifest(name: string, env: Record<string, string> = {}): string {
  return stdioManifestYaml(name, FEDERATION_UPSTREAM, { FIXTURE_NAME: name, ...env });
}

/** A real registry (SQLite, real upstream processes) behind a real gateway, project `fed` of tenant `default`. */
export interface FederationWorld {
  h: RegistryHarness;
  gw: RunningGateway;
  url(path: string): URL;
  close(): Promise<void>;
}

export async function startFederationWorld(
  connectors: Record<string, Record<string, string>>,
): Promise<FederationWorld> {
  const h = await createRegistryHarness({
    sources: {
      mcp: ({ manifest, config }) => createMcpSource({ manifest, config, restart: { baseMs: 100, maxMs: 1_000 } }),
    },
  });
  await h.registry.createProject('default', { id: 'fed' });
  for (const [name, env] of Object.entries(connectors)) {
    await h.registry.install({ tenantId: 'default', projectId: 'fed', manifest: federationManifest(name, env) });
  }
  const gw = await startGateway(h.registry);
  return {
    h,
    gw,
    url: (path) => new URL(`${gw.baseUrl}${path}`),
    close: async () => {
      await gw.close();
      await h.close();
    },
  };
}

/** What a test client declares and answers. */
export interface ClientSpec {
  era?: 'legacy' | 'modern';
  sampling?: boolean;
  elicitation?: boolean;
  roots?: boolean;
}

/** An SDK v2 client on `path` of the world, with sampling/elicitation/roots answered as the spec says. */
export async function connectV2(world: FederationWorld, path: string, spec: ClientSpec = {}): Promise<Client> {
  const capabilities: Record<string, unknown> = {};
  if (spec.sampling) capabilities.sampling = {};
  if (spec.elicitation) capabilities.elicitation = { form: {} };
  if (spec.roots) capabilities.roots = { listChanged: true };
  const client = new Client(
    { name: 'federation-test', version: '1.0.0' },
    {
      capabilities,
      ...(spec.era === 'modern' ? { versionNegotiation: { mode: { pin: MODERN } } } : {}),
    },
  );
  if (spec.sampling) {
    client.setRequestHandler('sampling/createMessage', (request) => {
      const first = request.params.messages[0]?.content as { text?: string } | undefined;
      return {
        role: 'assistant',
        model: 'test-model',
        content: { type: 'text', text: `answer to ${first?.text ?? '?'}` },
      };
    });
  }
  if (spec.elicitation) {
    client.setRequestHandler('elicitation/create', () => ({ action: 'accept', content: { ok: true } }));
  }
  if (spec.roots) client.setRequestHandler('roots/list', () => ({ roots: [{ uri: 'file:///work/a', name: 'a' }] }));
  const transport = new StreamableHTTPClientTransport(world.url(path), {
    requestInit: { headers: { Authorization: `Bearer ${TOKENS.operator}` } },
  });
  await client.connect(transport);
  return client;
}

/** Text of the first content block of a tool result. */
export function firstText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content[0]?.text ?? '';
}

/** Resolves when `predicate` holds, checked every 10 ms; fails after `ms` naming `what`. */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
