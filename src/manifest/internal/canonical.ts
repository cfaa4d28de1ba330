import { sha256, type ToolDefinition } from '../../core/index.js';
import type { ConnectorManifest, ManifestTool } from '../types.js';

/** JSON with object keys sorted at every level and undefined members dropped: equal data, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) out[key] = sortKeys(member);
  }
  return out;
}

/** Hex SHA-256 of the manifest's canonical JSON; identical content hashes alike however it was written. */
export function canonicalManifestHash(manifest: ConnectorManifest): string {
  return sha256(canonicalJson(manifest));
}

/** Maps manifest tools onto the core ToolDefinition shape. */
export function toToolDefinitions(manifest: Pick<ConnectorManifest, 'tools'>): ToolDefinition[] {
  return manifest.tools.map(toToolDefinition);
}

function toToolDefinition(tool: ManifestTool): ToolDefinition {
  const out: ToolDefinition = { name: tool.name, inputSchema: tool.input_schema };
  if (tool.title !== undefined) out.title = tool.title;
  if (tool.description !== undefined) out.description = tool.description;
  if (tool.output_schema !== undefined) out.outputSchema = tool.output_schema;
  if (tool.annotations !== undefined) out.annotations = tool.annotations;
  return out;
}

/** A tool in either shape diffTools accepts. */
export type DiffableTool = ManifestTool | ToolDefinition;

/** What changed between two tool lists, by tool name (each list sorted). */
export interface ToolDiff {
  added: string[];
  removed: string[];
  /** Tools whose schemas, description, title or annotations differ. */
  changed: string[];
}

/** Compares two tool lists (manifest or ToolDefinition shape) canonically. */
export function diffTools(prev: readonly DiffableTool[], next: readonly DiffableTool[]): ToolDiff {
  const before = new Map(prev.map((t) => [t.name, fingerprint(t)]));
  const after = new Map(next.map((t) => [t.name, fingerprint(t)]));
  const added = [...after.keys()].filter((name) => !before.has(name)).sort();
  const removed = [...before.keys()].filter((name) => !after.has(name)).sort();
  const changed = [...after.entries()]
    .filter(([name, print]) => before.has(name) && before.get(name) !== print)
    .map(([name]) => name)
    .sort();
  return { added, removed, changed };
}

function fingerprint(tool: DiffableTool): string {
  const t = tool as Partial<ManifestTool> & Partial<ToolDefinition>;
  return canonicalJson({
    title: t.title,
    description: t.description,
    input: t.input_schema ?? t.inputSchema,
    output: t.output_schema ?? t.outputSchema,
    annotations: t.annotations,
  });
}
