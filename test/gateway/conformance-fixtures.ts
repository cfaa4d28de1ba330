import { type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CheckResult, InvokeContext, ToolCallResult, ToolDefinition, ToolSource } from '../../src/core/index.js';
import { createError } from '../../src/core/index.js';
import { fixedResult } from '../fixtures/mcp/conformance-content.mjs';

const NO_ARGS = { type: 'object', properties: {} };

/**
 * The conformance suite's fixture tools that a ToolSource can express (content types, errors, progress, schema
 * passthrough). Fixtures needing logging, sampling, elicitation, resources or prompts cannot be: the ToolSource
 * contract carries none of those.
 */
export class ConformanceSource implements ToolSource {
  readonly kind = 'conformance';

  async load(): Promise<ToolDefinition[]> {
    const simple = (name: string, description: string): ToolDefinition => ({ name, description, inputSchema: NO_ARGS });
    return [
      simple('test_simple_text', 'Returns simple text'),
      simple('test_image_content', 'Returns an image'),
      simple('test_audio_content', 'Returns audio'),
      simple('test_embedded_resource', 'Returns an embedded resource'),
      simple('test_multiple_content_types', 'Returns mixed content'),
      simple('test_error_handling', 'Always fails'),
      simple('test_tool_with_progress', 'Reports progress'),
      {
        name: 'json_schema_2020_12_tool',
        description: 'Tool with JSON Schema 2020-12 features',
        inputSchema: {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          type: 'object',
          $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
          properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
          additionalProperties: false,
        },
      },
    ];
  }

  async invoke(tool: string, _args: Record<string, unknown>, ctx?: InvokeContext): Promise<ToolCallResult> {
    const fixed = fixedResult(tool);
    if (fixed) return fixed as ToolCallResult;
    switch (tool) {
      case 'test_error_handling':
        throw createError('tool_failed', 'This tool intentionally returns an error for testing');
      case 'test_tool_with_progress':
        for (const progress of [0, 50, 100]) {
          ctx?.onProgress?.({ progress, total: 100 });
          if (progress < 100) await new Promise((r) => setTimeout(r, 50));
        }
        return { content: [{ type: 'text', text: 'Progress test completed' }] };
      default:
        return { content: [{ type: 'text', text: `called ${tool}` }] };
    }
  }

  async check(): Promise<CheckResult> {
    return { ok: true, latencyMs: 0 };
  }

  async close(): Promise<void> {}
}

/**
 * A pass-through HTTP proxy that adds `Authorization: Bearer <token>`: the conformance CLI (and the DNS-rebinding
 * scenario, which targets unauthenticated localhost servers) sends no credentials. Host and Origin are forwarded
 * untouched, so the gateway's own checks are what the suite exercises.
 */
export async function startAuthProxy(target: string, token: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const forward = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, authorization: `Bearer ${token}` },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
