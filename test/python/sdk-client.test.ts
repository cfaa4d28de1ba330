import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runnerPath } from '../../src/sources/python/index.js';

import { createWorkdir } from './helpers.js';

const SCRIPT = `
import asyncio


def greet(name: str, excited: bool = False) -> str:
    """Greets someone.

    Args:
        name: Who to greet.
    """
    print("this line must not reach the protocol channel {\\"jsonrpc\\": \\"2.0\\"}")
    return "Hello, %s%s" % (name, "!" if excited else ".")


async def stats(values: list[float]) -> dict:
    await asyncio.sleep(0)
    return {"count": len(values), "total": sum(values)}


def fail(reason: str) -> None:
    raise RuntimeError(reason)
`;

// `toolport run-script FILE.py` execs exactly this command: the SDK client proves it is a real MCP server.
describe('runner as a standalone stdio MCP server (official SDK v2 client)', () => {
  const work = createWorkdir('sdk');
  let client: Client;

  beforeAll(async () => {
    const script = work.write('tools.py', SCRIPT);
    client = new Client({ name: 'toolport-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: 'python3', args: [runnerPath(), 'serve', script], stderr: 'pipe' }),
    );
  });
  afterAll(async () => {
    await client.close();
    work.cleanup();
  });

  it('lists the functions with schemas derived from their signatures', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['greet', 'stats', 'fail']);
    expect(tools[0]).toMatchObject({
      description: 'Greets someone.',
      inputSchema: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'Who to greet.' },
          excited: { type: 'boolean', default: false },
        },
        required: ['name'],
      },
      outputSchema: { type: 'object', properties: { result: { type: 'string' } }, required: ['result'] },
    });
  });

  it('calls a sync function; its print comes back as a log block, not on the wire', async () => {
    const result = await client.callTool({ name: 'greet', arguments: { name: 'Ada', excited: true } });
    expect(result.structuredContent).toEqual({ result: 'Hello, Ada!' });
    expect(result.content).toEqual([
      { type: 'text', text: '"Hello, Ada!"' },
      { type: 'text', text: '[stdout]\nthis line must not reach the protocol channel {"jsonrpc": "2.0"}\n' },
    ]);
    expect(result._meta).toMatchObject({ logs: expect.stringContaining('must not reach') });
  });

  it('calls an async function', async () => {
    const result = await client.callTool({ name: 'stats', arguments: { values: [1, 2, 3.5] } });
    expect(result.structuredContent).toEqual({ count: 3, total: 6.5 });
  });

  it('returns exceptions as isError results', async () => {
    const result = await client.callTool({ name: 'fail', arguments: { reason: 'nope' } });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([{ type: 'text', text: 'RuntimeError: nope' }]);
  });
});
