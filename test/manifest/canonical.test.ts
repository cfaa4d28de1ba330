import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  canonicalJson,
  canonicalManifestHash,
  diffTools,
  parseManifest,
  toToolDefinitions,
  type ConnectorManifest,
  type ManifestTool,
} from '../../src/manifest/index.js';

function manifestOf(text: string): ConnectorManifest {
  const result = parseManifest(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.manifest;
}

const A = `
name: hashy
version: 1.0.0
http: { base_url: "https://a.example", timeout_ms: 10000 }
tools:
  - name: t
    endpoint: GET /t
    input_schema: { type: object, properties: { a: { type: string }, b: { type: integer } } }
`;
// The same content: other key order, flow vs block style, defaults spelt out.
const A_REORDERED = `
tools:
  - input_schema:
      properties:
        b: { type: integer }
        a: { type: string }
      type: object
    endpoint: GET /t
    name: t
http:
  retries: 2
  base_url: https://a.example
version: 1.0.0
kind: http
name: hashy
`;

describe('canonicalManifestHash', () => {
  it('is the same for equal content however it is written', () => {
    const hash = canonicalManifestHash(manifestOf(A));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalManifestHash(manifestOf(A_REORDERED))).toBe(hash);
    expect(canonicalManifestHash(manifestOf(A))).toBe(hash);
  });

  it('changes when anything meaningful changes', () => {
    const hash = canonicalManifestHash(manifestOf(A));
    expect(canonicalManifestHash(manifestOf(A.replace('1.0.0', '1.0.1')))).not.toBe(hash);
    expect(canonicalManifestHash(manifestOf(A.replace('type: integer', 'type: number')))).not.toBe(hash);
    expect(canonicalManifestHash(manifestOf(A.replace('timeout_ms: 10000', 'timeout_ms: 9000')))).not.toBe(hash);
  });

  it('canonicalJson sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe('toToolDefinitions and diffTools', () => {
  const tool = (name: string, extra: Partial<ManifestTool> = {}): ManifestTool => ({
    name,
    input_schema: { type: 'object', properties: { q: { type: 'string' } } },
    ...extra,
  });

  it('maps input_schema/output_schema onto inputSchema/outputSchema', () => {
    const defs = toToolDefinitions({
      tools: [
        tool('a', {
          title: 'A',
          description: 'd',
          output_schema: { type: 'object' },
          annotations: { readOnlyHint: true },
        }),
      ],
    });
    expect(defs).toEqual([
      {
        name: 'a',
        title: 'A',
        description: 'd',
        inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
        outputSchema: { type: 'object' },
        annotations: { readOnlyHint: true },
      },
    ]);
    expect(toToolDefinitions({ tools: [tool('b')] })[0]).not.toHaveProperty('outputSchema');
  });

  it('finds added, removed and changed tools', () => {
    const prev = [
      tool('keep'),
      tool('drop'),
      tool('desc'),
      tool('schema'),
      tool('notes', { annotations: { readOnlyHint: true } }),
    ];
    const next = [
      tool('keep'),
      tool('desc', { description: 'now described' }),
      tool('schema', { input_schema: { type: 'object', properties: { q: { type: 'integer' } } } }),
      tool('notes', { annotations: { readOnlyHint: false } }),
      tool('new'),
    ];
    expect(diffTools(prev, next)).toEqual({ added: ['new'], removed: ['drop'], changed: ['desc', 'notes', 'schema'] });
  });

  it('compares schemas canonically and across both tool shapes', () => {
    const prev = [tool('t', { input_schema: { properties: { q: { type: 'string' } }, type: 'object' } })];
    const next = toToolDefinitions({ tools: [tool('t')] });
    expect(diffTools(prev, next)).toEqual({ added: [], removed: [], changed: [] });
    expect(diffTools([], next)).toEqual({ added: ['t'], removed: [], changed: [] });
  });
});

describe('schema compilation cost', () => {
  afterEach(() => vi.restoreAllMocks());

  it('compiles no tool schema while parsing a 200-tool manifest (validators compile on first use, once each)', () => {
    const compile = vi.spyOn(Ajv2020.prototype, 'compile');
    // A property name unique to this run keeps earlier tests' cache entries out of the count.
    const unique = `p${Date.now().toString(36)}`;
    const tools = Array.from({ length: 200 }, (_, i) => {
      const variant = i % 4;
      return `  - name: tool_${i}\n    endpoint: GET /t/${i}\n    input_schema: { type: object, properties: { ${unique}_${variant}: { type: string } } }\n`;
    }).join('');
    const text = `name: big\nversion: 1.0.0\nhttp: { base_url: "https://a.example" }\ntools:\n${tools}`;
    const first = parseManifest(text);
    expect(first.ok).toBe(true);
    if (first.ok) expect(first.manifest.tools).toHaveLength(200);
    // Compiling costs milliseconds per schema: a big manifest must not hold the event loop for it.
    expect(compile).toHaveBeenCalledTimes(0);
    expect(parseManifest(text).ok).toBe(true);
    expect(compile).toHaveBeenCalledTimes(0);
  });
});
