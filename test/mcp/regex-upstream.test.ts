import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistryHarness, MCP_SOURCES, type RegistryHarness } from '../helpers/registry-harness.js';
import { mcpManifestYaml } from './helpers.js';

const EVIL = `${'a'.repeat(34)}!`;

// On the backtracking engine each of these calls holds the event loop for minutes (the test times out).
async function settle<T>(work: Promise<T>): Promise<PromiseSettledResult<T>> {
  const [outcome] = await Promise.allSettled([work]);
  return outcome;
}

describe('an upstream MCP server’s schema patterns never run on the backtracking engine', () => {
  let h: RegistryHarness;

  beforeEach(async () => {
    h = await createRegistryHarness({ sources: MCP_SOURCES });
    await h.registry.createProject('default', { id: 'p1' });
    await h.registry.install({
      tenantId: 'default',
      projectId: 'p1',
      manifest: mcpManifestYaml('up', { REGEX_TOOLS: '1' }),
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('checks a ReDoS input pattern in linear time and answers with a validation error', async () => {
    const outcome = await settle(h.registry.invokeTool('default', 'p1', 'up__evil_in', { word: EVIL }));
    expect(outcome.status).toBe('rejected');
    expect((outcome as PromiseRejectedResult).reason.code).toBe('validation_failed');
    const ok = await h.registry.invokeTool('default', 'p1', 'up__evil_in', { word: 'aaa' });
    expect(ok.isError).toBeFalsy();
  });

  it('checks a ReDoS output pattern against the upstream’s structuredContent without stalling', async () => {
    const outcome = await settle(h.registry.invokeTool('default', 'p1', 'up__evil_out', {}));
    // Either a tool error or a rejected call: what matters is that it ends, with the output refused.
    if (outcome.status === 'fulfilled') expect(outcome.value.isError).toBe(true);
    else expect(String(outcome.reason)).toMatch(/structured|output|schema/i);
  });

  it('still serves a tool whose patterns the linear-time engine cannot run, without enforcing them', async () => {
    const listed = h.registry.getSnapshot('default', 'p1')!.tools.find((t) => t.qualifiedName === 'up__lookaround');
    expect(listed).toBeDefined();
    const res = await h.registry.invokeTool('default', 'p1', 'up__lookaround', { word: 'zzz', xx: 1 });
    expect(res.isError).toBeFalsy();
    expect(JSON.stringify(res.content)).toContain('ran lookaround');
  });
});
