import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_DEPTH } from '../../src/sources/http/internal/response.js';
import { closeSources, manifest, sendJson, source, startServer, text, tool, type TestServer } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    switch (req.url) {
      case '/object':
        return sendJson(res, { id: 1, tags: ['a'], owner: { name: 'x' } });
      case '/array':
        return sendJson(res, [1, 2, 3]);
      case '/number':
        return sendJson(res, 42, 200, { 'content-type': 'application/problem+json' });
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        return res.end('hello, wörld');
      case '/empty':
        res.writeHead(204);
        return res.end();
      case '/png':
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      case '/big-declared':
        return sendJson(res, { blob: 'x'.repeat(5_000) });
      case '/big-chunked': {
        res.writeHead(200, { 'content-type': 'application/json' });
        // No content-length: the cap must apply while reading.
        for (let i = 0; i < 10; i++) res.write(`"${'y'.repeat(1_000)}"`);
        return res.end();
      }
      case '/missing':
        res.writeHead(404, { 'content-type': 'text/html' });
        return res.end(`<html>\n<body>${'not here '.repeat(200)}</body></html>`);
      case '/redirect':
        res.writeHead(302, { location: '/object' });
        return res.end();
      case '/bad-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{nope');
      case '/deep':
      case '/deepest': {
        const depth = req.url === '/deep' ? MAX_RESPONSE_DEPTH - 1 : 20_000;
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(`{"tree":${'['.repeat(depth)}1${']'.repeat(depth)}}`);
      }
      default:
        return sendJson(res, { url: req.url }, 500);
    }
  });
});
afterAll(() => server.close());
afterEach(closeSources);

function api(max = 1_000_000, outputSchema?: Record<string, unknown>) {
  const paths = [
    'object',
    'array',
    'number',
    'text',
    'empty',
    'png',
    'big-declared',
    'big-chunked',
    'missing',
    'redirect',
    'bad-json',
    'deep',
    'deepest',
  ];
  return source({
    manifest: manifest(
      { base_url: server.url, max_response_bytes: max },
      paths.map((p) => tool(p, { path: `/${p}` }, outputSchema ? { output_schema: outputSchema } : {})),
    ),
  });
}

describe('HTTP source responses', () => {
  it('returns a JSON object as structuredContent plus a JSON text block', async () => {
    const result = await api().invoke('object', {});
    expect(result.structuredContent).toEqual({ id: 1, tags: ['a'], owner: { name: 'x' } });
    expect(JSON.parse(text(result))).toEqual(result.structuredContent);
    expect(result.isError).toBeUndefined();
  });

  it('wraps JSON arrays and primitives as {result}', async () => {
    const s = api();
    expect((await s.invoke('array', {})).structuredContent).toEqual({ result: [1, 2, 3] });
    expect((await s.invoke('number', {})).structuredContent).toEqual({ result: 42 });
  });

  it('returns other bodies as text, images as image blocks, empty bodies as the status line', async () => {
    const s = api();
    expect(await s.invoke('text', {})).toEqual({ content: [{ type: 'text', text: 'hello, wörld' }] });
    expect(await s.invoke('empty', {})).toEqual({ content: [{ type: 'text', text: 'HTTP 204 No Content' }] });
    expect((await s.invoke('png', {})).content).toEqual([{ type: 'image', mimeType: 'image/png', data: 'iVBORw==' }]);
  });

  it('reports HTTP errors with the status line and a short body excerpt', async () => {
    const result = await api().invoke('missing', {});
    expect(result.isError).toBe(true);
    const message = text(result);
    expect(message.startsWith('HTTP 404 Not Found: <html> <body>not here not here')).toBe(true);
    expect(message.length).toBeLessThanOrEqual('HTTP 404 Not Found: '.length + 500);
    expect(message.endsWith('…')).toBe(true);
  });

  it('does not follow redirects and says so', async () => {
    expect(text(await api().invoke('redirect', {}))).toBe('HTTP 302 Found: redirects are not followed');
  });

  it('reports JSON that does not parse', async () => {
    const result = await api().invoke('bad-json', {});
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('does not parse');
  });

  it(`serves JSON nesting ${MAX_RESPONSE_DEPTH} levels, and refuses deeper JSON with a reason instead of failing`, async () => {
    const s = api();
    const deep = await s.invoke('deep', {});
    expect(deep.isError).toBeUndefined();
    expect(text(deep).startsWith(`{"tree":${'['.repeat(MAX_RESPONSE_DEPTH - 1)}1]`)).toBe(true);
    // 20,000 levels overflowed the stack after parsing: "the HTTP call of tool 'deepest' failed unexpectedly".
    expect(await s.invoke('deepest', {})).toEqual({
      content: [
        { type: 'text', text: `HTTP 200 OK: the response nests JSON more than ${MAX_RESPONSE_DEPTH} levels deep` },
      ],
      isError: true,
    });
  });

  it('refuses bodies over max_response_bytes, declared or streamed', async () => {
    const s = api(2_000);
    for (const name of ['big-declared', 'big-chunked']) {
      const result = await s.invoke(name, {});
      expect(result).toEqual({ content: [{ type: 'text', text: 'response exceeded 2000 bytes' }], isError: true });
    }
    // The source stays usable after cutting a response off.
    expect((await s.invoke('object', {})).structuredContent).toMatchObject({ id: 1 });
  });

  it('validates structuredContent against the output schema', async () => {
    const schema = {
      type: 'object',
      required: ['id', 'owner'],
      properties: {
        id: { type: 'integer' },
        owner: { type: 'object', properties: { name: { type: 'string', minLength: 2 } } },
      },
    };
    const s = api(1_000_000, schema);
    const mismatch = await s.invoke('object', {});
    expect(mismatch.isError).toBe(true);
    expect(text(mismatch)).toBe(
      'response does not match the output schema: /owner/name must NOT have fewer than 2 characters',
    );
    const wrapped = await s.invoke('array', {});
    expect(text(wrapped)).toContain("must have required property 'id'");
    expect((await s.invoke('text', {})).isError).toBe(true);
  });

  it('passes results that match the output schema and lists it in the tool definition', async () => {
    const schema = {
      type: 'object',
      properties: { result: { type: 'array', items: { type: 'integer' } } },
      required: ['result'],
    };
    const s = api(1_000_000, schema);
    const result = await s.invoke('array', {});
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ result: [1, 2, 3] });
    const tools = await s.load();
    expect(tools.find((t) => t.name === 'array')?.outputSchema).toEqual(schema);
  });
});
