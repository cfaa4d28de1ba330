import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessTransport } from './process-transport.js';

// A real child that echoes its stdin to stdout: what the transport writes comes back as messages.
const ECHO_CHILD = 'process.stdin.pipe(process.stdout)';
let transport: ProcessTransport | undefined;

afterEach(async () => {
  await transport?.close();
  transport = undefined;
});

function start(): { transport: ProcessTransport; received: JSONRPCMessage[] } {
  const received: JSONRPCMessage[] = [];
  transport = new ProcessTransport({
    command: process.execPath,
    args: ['-e', ECHO_CHILD],
    env: { ...process.env } as Record<string, string>,
  });
  transport.onmessage = (m) => received.push(m);
  return { transport, received };
}

describe('ProcessTransport writes', () => {
  it('delivers many messages sent in one turn, whole and in order, and resolves every send', async () => {
    const { transport: t, received } = start();
    await t.start();
    const messages = Array.from({ length: 200 }, (_, i): JSONRPCMessage => ({
      jsonrpc: '2.0',
      id: i,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: `m${i}` } },
    }));
    await Promise.all(messages.map((m) => t.send(m)));
    const deadline = Date.now() + 10_000;
    while (received.length < messages.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(received).toEqual(messages);
  });

  it('rejects sends after close, including one queued in the same turn as the close', async () => {
    const { transport: t } = start();
    await t.start();
    const queued = t.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const closing = t.close();
    await expect(queued).rejects.toThrow('Not connected');
    await closing;
    await expect(t.send({ jsonrpc: '2.0', id: 2, method: 'ping' })).rejects.toThrow('Not connected');
  });
});
