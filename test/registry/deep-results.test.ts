import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESULT_DEPTH } from '../../src/core/index.js';
import { createRegistryHarness, MCP_SOURCES, type RegistryHarness } from '../helpers/registry-harness.js';

// A real stdio MCP upstream (stdlib python) whose `nested` tool answers with structuredContent nesting `depth`
// arrays. Results that deep overflowed JSON.stringify wherever they were sent on: REST answered 500 and MCP -32603.
const FIXTURE = resolve(import.meta.dirname, '../mcp/fixtures/limits-upstream.py');

describe('tool results nesting too deep', () => {
  let h: RegistryHarness;
  beforeAll(async () => {
    h = await createRegistryHarness({ sources: MCP_SOURCES });
    const manifest = `name: deep\nversion: 1.0.0\nkind: mcp\nmcp:\n  command: python3\n  args: [${FIXTURE}]\n`;
    await h.registry.install({ tenantId: 'default', projectId: 'default', manifest });
  });
  afterAll(async () => {
    await h?.close();
  });

  const nested = (depth: number) => h.registry.invokeTool('default', 'default', 'deep__nested', { depth });

  it('turns a result nesting deeper than the limit into an error result that says so', async () => {
    const result = await nested(20_000);
    expect(result).toEqual({
      content: [{ type: 'text', text: `the tool's result nests JSON more than ${MAX_RESULT_DEPTH} levels deep` }],
      isError: true,
    });
    // The connector is not blamed: it keeps serving.
    expect((await h.registry.getConnector('default', 'default', 'deep')).status).toBe('active');
  });

  it('passes a result at the limit through, and it serialises', async () => {
    // result → structuredContent → tree: the arrays may take the remaining levels.
    const result = await nested(MAX_RESULT_DEPTH - 2);
    expect(result.isError).toBeUndefined();
    const text = JSON.stringify(result.structuredContent);
    expect(text.startsWith(`{"tree":${'['.repeat(MAX_RESULT_DEPTH - 2)}1]`)).toBe(true);
  });
});
