import type { Tool } from '@modelcontextprotocol/client';
import type { ContentBlock, ToolAnnotations, ToolCallResult, ToolDefinition } from '../../../core/index.js';

const ANNOTATION_KEYS = ['title', 'readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

/** An upstream tool as Toolport describes it: schemas, title, description and the known annotations. */
export function toToolDefinition(tool: Tool): ToolDefinition {
  const definition: ToolDefinition = {
    name: tool.name,
    inputSchema: (tool.inputSchema as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} },
  };
  if (tool.title !== undefined) definition.title = tool.title;
  if (tool.description !== undefined) definition.description = tool.description;
  if (tool.outputSchema !== undefined) definition.outputSchema = tool.outputSchema as Record<string, unknown>;
  const annotations = pickAnnotations(tool.annotations as Record<string, unknown> | undefined);
  if (annotations) definition.annotations = annotations;
  return definition;
}

function pickAnnotations(source: Record<string, unknown> | undefined): ToolAnnotations | undefined {
  if (!source) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of ANNOTATION_KEYS) if (source[key] !== undefined) out[key] = source[key];
  return Object.keys(out).length ? (out as ToolAnnotations) : undefined;
}

/** An upstream `tools/call` result, passed through as it is (content, structuredContent, isError, _meta). */
export function toToolCallResult(result: Record<string, unknown>): ToolCallResult {
  // A pre-2025 server may answer with `toolResult` instead of content; show it as text rather than drop it.
  const content = Array.isArray(result.content)
    ? (result.content as ContentBlock[])
    : 'toolResult' in result
      ? [{ type: 'text' as const, text: JSON.stringify(result.toolResult) }]
      : [];
  const out: ToolCallResult = { content };
  if (result.structuredContent !== undefined && typeof result.structuredContent === 'object') {
    out.structuredContent = result.structuredContent as Record<string, unknown>;
  }
  if (result.isError === true) out.isError = true;
  if (result._meta !== undefined && typeof result._meta === 'object')
    out._meta = result._meta as Record<string, unknown>;
  return out;
}
