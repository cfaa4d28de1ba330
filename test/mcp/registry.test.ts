import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runStdio } from '../../src/cli/stdio.js';
import { createJsonLogger } from '../../src/core/index.js';
import { createMcpSource } from '../../src/sources/mcp/index.js';
import { createRegistryHarness, waitUntil, type RegistryHarness } from '../helpers/registry-harness.js';
import { waitFor } from '../helpers/wait.js';
import { mcpManifestYaml } from './helpers.js';

describe('upstream MCP connector in a real registry and gateway', () => {
  let h: RegistryHarness;

  beforeEach(async () => {
    h = await createRegistryHarness({
      sources: {
        mcp: ({ manifest, config }) =>
          createMcpSource({
            manifest,
            config,
            restart: { baseMs: 100, maxMs: 1_000 },
            ...(process.env.MCP_DEBUG ? { logger: createJsonLogger({ level: 'debug' }) } : {}),
          }),
      },
    });
    await h.registry.createProject('default', { id: 'p1' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('serves the upstream tools, calls them, and propagates list_changed to a connected client', async () => {
    await h.registry.install({ tenantId: 'default', projectId: 'p1', manifest: mcpManifestYaml('up') });
    const before = h.registry.getSnapshot('default', 'p1')!;
    expect(before.tools.map((t) => t.qualifiedName)).toEqual([
      'up__echo',
      'up__fail',
      'up__progress',
      'up__crash',
      'up__add_tool',
      'up__whoami',
      'up__sleep',
    ]);
    const echoed = await h.registry.invokeTool('default', 'p1', 'up__echo', { text: 'via registry' });
    expect(echoed.structuredContent).toEqual({ text: 'via registry' });

    // A real MCP client on the gateway (stdio entry, in-memory pipe) sees the change the upstream announces.
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const served = runStdio({ provider: h.registry, tenantId: 'default', projectId: 'p1', transport: serverSide });
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    let notified = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      notified += 1;
    });
    await client.connect(clientSide);
    try {
      const added = await client.callTool({ name: 'up__add_tool', arguments: { name: 'late_tool' } });
      expect(added.isError).toBeFalsy();
      await waitUntil(
        h.registry,
        () => (h.registry.getSnapshot('default', 'p1')?.tools ?? []).some((t) => t.qualifiedName === 'up__late_tool'),
        'the snapshot to include the new upstream tool',
      );
      expect(h.registry.getSnapshot('default', 'p1')!.revision).toBeGreaterThan(before.revision);
      await waitFor(() => notified > 0, 'list_changed at the gateway client');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('up__late_tool');
      expect(h.events.some((e) => e.type === 'connector.reloaded')).toBe(true);
    } finally {
      await client.close();
      await served;
    }
  });

  it('recovers calls through the registry after the upstream child crashes', async () => {
    await h.registry.install({ tenantId: 'default', projectId: 'p1', manifest: mcpManifestYaml('up') });
    const crashed = await h.registry.invokeTool('default', 'p1', 'up__crash', {});
    expect(crashed.isError).toBe(true);
    // Poll the connector's runtime facts, not the tool: a burst of failing calls would open the circuit breaker.
    await waitFor(async () => {
      const summary = await h.registry.getConnector('default', 'p1', 'up');
      return summary.runtime.connected === true && summary.runtime.restarts === 1;
    }, 'the upstream to be restarted');
    const last = await h.registry.invokeTool('default', 'p1', 'up__echo', { text: 'again' });
    expect(last.structuredContent).toEqual({ text: 'again' });
  });
});
