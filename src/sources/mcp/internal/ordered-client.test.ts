import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { OrderedClient } from './ordered-client.js';

/** A server stand-in that answers a tools/call with N progress notifications and the result in ONE synchronous loop. */
class BurstTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: () => void;
  closeAfterResult = false;

  constructor(private readonly steps: number) {}

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.onclose?.();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!('method' in message) || !('id' in message)) return;
    if (message.method === 'initialize') {
      const result = {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'burst', version: '1' },
      };
      queueMicrotask(() => this.onmessage?.({ jsonrpc: '2.0', id: message.id, result }));
      return;
    }
    const token = (message.params as { _meta?: { progressToken?: number } })._meta?.progressToken;
    const burst: JSONRPCMessage[] = [];
    for (let i = 1; i <= this.steps; i += 1) {
      burst.push({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token!, progress: i } });
    }
    burst.push({ jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: 'done' }] } });
    queueMicrotask(() => {
      for (const m of burst) this.onmessage?.(m);
      if (this.closeAfterResult) this.onclose?.();
    });
  }
}

describe('OrderedClient', () => {
  it('runs every progress callback before the result when both arrive in one synchronous burst', async () => {
    const client = new OrderedClient({ name: 't', version: '1' });
    await client.connect(new BurstTransport(4));
    for (let run = 0; run < 20; run += 1) {
      const events: string[] = [];
      await client.callTool({ name: 'x' }, { onprogress: (p) => events.push(`progress ${p.progress}`) });
      events.push('result');
      expect(events).toEqual(['progress 1', 'progress 2', 'progress 3', 'progress 4', 'result']);
    }
    await client.close();
  });

  it('settles a result that arrives just before the connection closes', async () => {
    const client = new OrderedClient({ name: 't', version: '1' });
    const transport = new BurstTransport(1);
    await client.connect(transport);
    transport.closeAfterResult = true;
    const seen: number[] = [];
    const out = await client.callTool({ name: 'x' }, { onprogress: (p) => seen.push(p.progress) });
    expect(out.content).toEqual([{ type: 'text', text: 'done' }]);
    expect(seen).toEqual([1]);
  });
});
