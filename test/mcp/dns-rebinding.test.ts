import dns, { type LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMcpSource } from '../../src/sources/mcp/index.js';
import { postWebhook } from '../../src/webhooks/internal/post.js';
import { mcpManifest } from './helpers.js';

/**
 * A rebinding DNS for `rebind.test`: the first answer is a public address, every later one 127.0.0.1 — the classic
 * attack on a client that checks the name with one resolution and connects with another.
 */
const HOST = 'rebind.test';
let answers = 0;
const answer = (): string => (++answers === 1 ? '8.8.8.8' : '127.0.0.1');
const realLookup = dns.lookup;
const realPromiseLookup = dns.promises.lookup;

beforeAll(() => {
  const fake = ((host: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (
      err: Error | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
    if (host !== HOST) return (realLookup as (...args: unknown[]) => void)(host, options, callback);
    const address = answer();
    process.nextTick(() => (opts.all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
  }) as typeof dns.lookup;
  dns.lookup = fake;
  dns.promises.lookup = (async (host: string, options?: { all?: boolean }) => {
    if (host !== HOST) return realPromiseLookup(host, options as never);
    const address = answer();
    return options?.all ? [{ address, family: 4 }] : { address, family: 4 };
  }) as typeof dns.promises.lookup;
  // Named imports of node:dns (in the code under test) follow the patched functions from here on.
  syncBuiltinESMExports();
});

afterAll(() => {
  dns.lookup = realLookup;
  dns.promises.lookup = realPromiseLookup;
  syncBuiltinESMExports();
});

let loopback: Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  loopback = createServer((req, res) => {
    hits += 1;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => loopback.listen(0, '127.0.0.1', resolve));
  port = (loopback.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => loopback.close(resolve));
});

beforeEach(() => {
  answers = 0;
  hits = 0;
});

describe('outbound targets are pinned to the address that was checked', () => {
  it('a remote MCP upstream never reaches loopback when the DNS answer changes after the check', async () => {
    const source = createMcpSource({
      manifest: mcpManifest({ command: undefined, args: [], url: `http://${HOST}:${port}/mcp` }),
      config: {},
      allowPrivateNetworks: false,
      connectTimeoutMs: 2_000,
      restart: { baseMs: 60_000 },
    });
    try {
      await expect(source.load()).rejects.toThrow();
    } finally {
      await source.close();
    }
    expect(answers).toBeGreaterThanOrEqual(1);
    expect(hits).toBe(0);
  });

  it('a webhook delivery never reaches loopback when the DNS answer changes between deliveries', async () => {
    const first = await postWebhook(
      `http://${HOST}:${port}/hook`,
      '{}',
      {},
      { timeoutMs: 1_000, allowPrivateNetworks: false },
    );
    const second = await postWebhook(
      `http://${HOST}:${port}/hook`,
      '{}',
      {},
      { timeoutMs: 1_000, allowPrivateNetworks: false },
    );
    expect(first.ok).toBe(false);
    expect(second).toMatchObject({ ok: false, error: expect.stringContaining('loopback/private') });
    expect(hits).toBe(0);
  });

  it('positive control: with private networks allowed the same DNS does reach the loopback receiver', async () => {
    answers = 1; // skip the public answer
    const out = await postWebhook(
      `http://${HOST}:${port}/hook`,
      '{}',
      {},
      { timeoutMs: 1_000, allowPrivateNetworks: true },
    );
    expect(out.status).toBe(500);
    expect(hits).toBe(1);
  });
});
