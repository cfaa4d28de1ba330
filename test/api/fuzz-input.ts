/** Seeded generation of random and malformed HTTP requests from an OpenAPI document (used by fuzz.test.ts). */

type Json = Record<string, any>;

/** One operation of the document. */
export interface FuzzRoute {
  path: string;
  method: string;
  op: Json;
}

/** A request to send: the URL is relative to the server. */
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** mulberry32: small, fast and good enough to make every run with the same seed identical. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY_STRINGS = [
  '',
  ' ',
  'a',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e309',
  'NaN',
  '../../../../etc/passwd',
  '..',
  '.',
  '%00',
  '\u0000',
  '\u202e\u0000\ufffd\ud83d\ude00',
  '😀'.repeat(50),
  'Ω≈ç√∫˜µ≤≥÷',
  '${config.api_key}',
  '{{x}}',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '__proto__',
  'constructor',
  'prototype',
  'tp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  'http://127.0.0.1:1/',
  'file:///etc/shadow',
  '/dev/zero',
  'A'.repeat(65),
  'a'.repeat(300),
  '\r\nX-Injected: 1',
  '%zz',
  '%2F..%2F',
];

/** encodeURIComponent that tolerates lone surrogates (random code points and cut strings produce them). */
function enc(value: string): string {
  return encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '\ufffd'));
}

/** Header values must be visible ASCII (fetch refuses the rest before sending). */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '').trim();
}

/** Builds the generator; `pools` holds known-good values per parameter name, `tokens` the real credentials. */
export function createFuzzer(options: {
  seed: number;
  doc: Json;
  pools: Record<string, string[]>;
  tokens: Record<string, string>;
  /** Known-good bodies per `METHOD /path` of the document; mutated copies reach code past validation. */
  examples?: Record<string, unknown>;
}) {
  const { doc, pools, tokens } = options;
  const examples = options.examples ?? {};
  const random = prng(options.seed);
  const int = (n: number): number => Math.floor(random() * n);
  const chance = (p: number): boolean => random() < p;
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

  const randomString = (): string => {
    const roll = random();
    if (roll < 0.4) return pick(NASTY_STRINGS);
    if (roll < 0.5) return 'x'.repeat(int(3) === 0 ? 200_000 : 5_000);
    if (roll < 0.75)
      return random()
        .toString(36)
        .slice(2, 2 + int(12) + 1);
    return Array.from({ length: int(20) + 1 }, () => String.fromCodePoint(int(0x2ffff))).join('');
  };

  /** Arrays or objects nested `depth` deep. */
  const deep = (depth: number): unknown => {
    let value: unknown = chance(0.5) ? 'leaf' : null;
    for (let i = 0; i < depth; i++) value = chance(0.5) ? [value] : { a: value };
    return value;
  };

  const randomValue = (depth = 0): unknown => {
    const roll = int(depth > 2 ? 7 : 10);
    switch (roll) {
      case 0:
        return null;
      case 1:
        return pick([true, false]);
      case 2:
        return pick([0, -1, 1.5, 2 ** 53 + 1, -1e308, 1e308, 65536, 4294967297]);
      case 3:
      case 4:
      case 5:
        return randomString();
      case 6:
        return pools.name?.[0] ?? 'x';
      case 7:
        return Array.from({ length: int(4) }, () => randomValue(depth + 1));
      case 8:
        return Object.fromEntries(
          Array.from({ length: int(4) }, () => [
            pick([randomString(), '__proto__', 'constructor']),
            randomValue(depth + 1),
          ]),
        );
      default:
        return deep(pick([20, 100, 400]));
    }
  };

  /** A copy of `value` with one node somewhere inside replaced, removed or retyped. */
  const mutate = (value: unknown, depth = 0): unknown => {
    if (value === null || typeof value !== 'object' || depth > 8 || chance(0.25)) {
      return chance(0.5) ? randomValue(2) : fromSchema(undefined, 2);
    }
    const copy: any = Array.isArray(value) ? [...value] : { ...(value as Json) };
    const keys = Object.keys(copy);
    if (!keys.length || chance(0.1)) {
      copy[Array.isArray(copy) ? copy.length : randomString().slice(0, 20)] = randomValue(2);
      return copy;
    }
    const key = pick(keys);
    if (chance(0.15) && !Array.isArray(copy)) delete copy[key];
    else copy[key] = mutate(copy[key], depth + 1);
    return copy;
  };

  const resolve = (schema: Json | undefined): Json | undefined => {
    if (!schema || typeof schema.$ref !== 'string') return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    return doc.components?.schemas?.[name] as Json | undefined;
  };

  /** A value shaped by the schema most of the time, with wrong types and garbage mixed in. */
  const fromSchema = (raw: Json | undefined, depth = 0): unknown => {
    const schema = resolve(raw);
    if (!schema || depth > 6 || chance(0.15)) return randomValue(depth);
    if (Array.isArray(schema.enum) && chance(0.7)) return pick(schema.enum);
    if (schema.const !== undefined && chance(0.7)) return schema.const;
    const variants = (schema.oneOf ?? schema.anyOf) as Json[] | undefined;
    if (variants?.length) return fromSchema(pick(variants), depth + 1);
    const type = Array.isArray(schema.type) ? pick(schema.type as string[]) : (schema.type as string | undefined);
    switch (type) {
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const [key, sub] of Object.entries((schema.properties ?? {}) as Json)) {
          if (chance(0.75)) out[key] = fromSchema(sub as Json, depth + 1);
        }
        if (chance(0.2)) out[randomString().slice(0, 40)] = randomValue(depth + 1);
        return out;
      }
      case 'array':
        return Array.from({ length: int(4) }, () => fromSchema(schema.items as Json, depth + 1));
      case 'string':
        return chance(0.5) && pools.name ? pick([...pools.name, ...(pools.project_id ?? [])]) : randomString();
      case 'integer':
      case 'number':
        return pick([0, 1, -1, 10, 1e9, 2.5, 2 ** 31, -(2 ** 53)]);
      case 'boolean':
        return chance(0.8) ? pick([true, false]) : randomValue(depth);
      default:
        return randomValue(depth);
    }
  };

  const paramValue = (name: string, method: string): string => {
    // Never hand DELETE the setup's tenant or keys: the rest of the run needs them.
    const good = (pools[name] ?? []).filter((v) => !(method === 'DELETE' && (v === 'fuzz' || name === 'key_id')));
    if (good.length && chance(0.55)) return enc(pick(good));
    const value = randomString().slice(0, int(3) === 0 ? 100_000 : 300);
    // Mostly encoded; sometimes raw characters a router must cope with.
    return chance(0.85) ? enc(value) : value.replace(/[/?#\s]/g, '');
  };

  const query = (op: Json): string => {
    const params = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'query');
    const entries: [string, string][] = [];
    for (const p of params) {
      if (!chance(0.6)) continue;
      const value = fromSchema(p.schema as Json);
      entries.push([p.name as string, typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null')]);
    }
    if (chance(0.2)) entries.push([randomString().slice(0, 30), randomString().slice(0, 300)]);
    if (chance(0.05)) entries.push(['force', 'true']);
    if (!entries.length) return chance(0.1) ? '?' : '';
    const qs = entries.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
    return `?${chance(0.05) ? qs.replace(/%/g, '%%') : qs}`;
  };

  const credentials = (): Record<string, string> => {
    const roll = int(10);
    if (roll === 0) return {};
    if (roll === 1) return { authorization: `Bearer ${headerSafe(randomString()).slice(0, 80) || 'x'}` };
    if (roll === 2) return { authorization: pick(['Basic Zm9vOmJhcg==', 'Bearer', 'bearer  ', 'Token abc']) };
    if (roll === 3) {
      const tenant = pick(['fuzz', 'default', 'no-such-tenant', 'UPPER', '..', 'a'.repeat(100)]);
      return { authorization: `Bearer ${tokens.admin}`, 'x-tenant-id': tenant };
    }
    const name = pick(['admin', 'tenantAdmin', 'tenantAdmin', 'invoke']);
    return { authorization: `Bearer ${tokens[name]}` };
  };

  const MALFORMED_JSON = ['{', '{"a":', '[1,]', 'nul', '"unterminated', '{"a":1}{"b":2}', '\u0000', '[]', '1', '"s"'];

  /** The body and its content type, often wrong on purpose. */
  const body = (
    schema: Json | undefined,
    mcp: boolean,
    example: unknown,
  ): { body?: string | Uint8Array; type?: string } => {
    const roll = random();
    const value = mcp
      ? rpcMessage()
      : example !== undefined && chance(0.6)
        ? chance(0.15)
          ? example
          : mutate(example)
        : fromSchema(schema);
    if (roll < 0.6) return { body: JSON.stringify(value) ?? 'null', type: 'application/json' };
    if (roll < 0.7) return { body: pick(MALFORMED_JSON), type: 'application/json' };
    if (roll < 0.75) return { body: JSON.stringify(value) ?? '', type: pick(['text/plain', 'application/xml', '']) };
    if (roll < 0.8) {
      const boundary = 'fuzzBOUNDARY';
      const part = `--${boundary}\r\nContent-Disposition: form-data; name="${pick(['file', 'x'])}"; filename="${pick(['a.py', 'b.txt', ''])}"\r\n\r\n${pick(['def f(x: int) -> int:\n    return x\n', 'import os\nos._exit(1)\n', '\xff\xfe', randomString().slice(0, 500)])}\r\n`;
      const full = `${part}--${boundary}--\r\n`;
      return {
        body: chance(0.5) ? full : full.slice(0, int(full.length)),
        type: chance(0.8) ? `multipart/form-data; boundary=${boundary}` : 'multipart/form-data',
      };
    }
    if (roll < 0.83) return { body: 'a=1&b=%zz', type: 'application/x-www-form-urlencoded' };
    if (roll < 0.85) {
      // Nesting far deeper than any schema, written as text (JSON.stringify would overflow our own stack).
      const depth = pick([1_000, 20_000, 200_000]);
      const [open, close] = chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
      return { body: `${open.repeat(depth)}1${close.repeat(depth)}`, type: 'application/json' };
    }
    if (roll < 0.88) return { body: `{"x":"${'y'.repeat(5 * 1024 * 1024)}"}`, type: 'application/json' };
    if (roll < 0.9)
      return { body: new Uint8Array(Array.from({ length: 256 }, () => int(256))), type: 'application/json' };
    return {};
  };

  const rpcMessage = (): unknown => {
    const method = pick([
      'initialize',
      'tools/list',
      'tools/call',
      'ping',
      'notifications/initialized',
      'resources/list',
      'prompts/get',
      randomString(),
    ]);
    const message: Json = { jsonrpc: chance(0.9) ? '2.0' : randomValue(), method };
    if (chance(0.8)) message.id = pick([1, 'a', null, 2 ** 60, randomValue()]);
    if (method === 'initialize' && chance(0.7)) {
      message.params = {
        protocolVersion: pick(['2025-11-25', '2026-07-28', '1999-01-01', randomString()]),
        capabilities: chance(0.8) ? {} : randomValue(),
        clientInfo: { name: 'fuzz', version: '1' },
      };
    } else if (method === 'tools/call') {
      message.params = { name: pick(['echo__get_item', 'get_item', randomString()]), arguments: fromSchema(undefined) };
    } else if (chance(0.6)) message.params = randomValue();
    return chance(0.1) ? [message, rpcMessage()] : message;
  };

  return {
    request(route: FuzzRoute, n: number): FuzzRequest {
      const url =
        route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => paramValue(name, route.method)) + query(route.op);
      const mcp = route.path.startsWith('/mcp') || route.path.startsWith('/sse');
      const headers: Record<string, string> = { ...credentials(), 'x-request-id': `fuzz-${n}` };
      if (mcp || chance(0.1))
        headers.accept = pick(['application/json, text/event-stream', 'text/event-stream', '*/*']);
      if (mcp && chance(0.4)) headers['mcp-session-id'] = pick([headerSafe(randomString()).slice(0, 200), '0']);
      if (mcp && chance(0.4)) headers['mcp-protocol-version'] = pick(['2025-11-25', '2026-07-28', 'x']);
      const wantsBody = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method);
      if (!wantsBody || chance(0.1)) return { method: route.method, url, headers };
      const schema = route.op.requestBody?.content?.['application/json']?.schema as Json | undefined;
      const { body: payload, type } = body(schema, mcp, examples[`${route.method} ${route.path}`]);
      if (type) headers['content-type'] = type;
      return { method: route.method, url, headers, ...(payload !== undefined ? { body: payload } : {}) };
    },
  };
}
