import type { Tool } from '@modelcontextprotocol/server';
import { sha256 } from '../../core/index.js';
import type { ProjectSnapshot, RegisteredTool } from '../../registry/types.js';

/** The longest tool name every major client accepts (OpenAI and Anthropic both cap at 64). */
export const MAX_TOOL_NAME_LENGTH = 64;

const VALID_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const INVALID_CHARS = /[^A-Za-z0-9_-]/g;
const HASH_LENGTH = 8;

/** The tools one endpoint serves: the precomputed `tools/list` payload and the lookup by exposed name. */
export interface ToolView {
  readonly list: Tool[];
  readonly byName: ReadonlyMap<string, RegisteredTool>;
}

/** Name maps of one snapshot: the project endpoint and each connector endpoint. */
export interface SnapshotViews {
  readonly project: ToolView;
  /** The view of one connector (empty when it has no loaded tools), or undefined when it does not exist. */
  connector(name: string): ToolView | undefined;
}

const EMPTY_VIEW: ToolView = { list: [], byName: new Map() };

/**
 * Exposed names for `originals`, in the same order: valid names (`[A-Za-z0-9_-]`, ≤ 64) are kept; the others get
 * invalid characters replaced by `_` and, when too long or colliding, a prefix plus a short hash of the original.
 * The result is collision-free and depends only on the set of names, not on their order.
 */
export function assignToolNames(originals: readonly string[]): string[] {
  const result: (string | undefined)[] = new Array(originals.length);
  const taken = new Set<string>();
  // Pass 1: names that are already valid keep their spelling, so renaming never steals a real tool's name.
  originals.forEach((name, i) => {
    if (VALID_NAME.test(name) && !taken.has(name)) {
      taken.add(name);
      result[i] = name;
    }
  });
  // Pass 2: the rest in a stable (sorted) order, so the outcome does not depend on snapshot ordering.
  const pending = originals
    .map((name, i) => ({ name, i }))
    .filter(({ i }) => result[i] === undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.i - b.i));
  for (const { name, i } of pending) {
    const clean = name.replace(INVALID_CHARS, '_') || 'tool';
    let candidate = clean;
    for (let attempt = 0; candidate.length > MAX_TOOL_NAME_LENGTH || taken.has(candidate); attempt++) {
      const hash = sha256(attempt === 0 ? name : `${name}#${attempt}`).slice(0, HASH_LENGTH);
      candidate = `${clean.slice(0, MAX_TOOL_NAME_LENGTH - HASH_LENGTH - 1)}_${hash}`;
    }
    taken.add(candidate);
    result[i] = candidate;
  }
  return result as string[];
}

/** The MCP `Tool` object advertised for a registered tool under `name`. */
function toMcpTool(name: string, tool: RegisteredTool): Tool {
  const def = tool.definition;
  const input = def.inputSchema && typeof def.inputSchema === 'object' ? def.inputSchema : {};
  const mcp: Record<string, unknown> = {
    name,
    // MCP requires an object schema; a source that omits `type` still means "arguments object".
    inputSchema: input.type === undefined ? { type: 'object', ...input } : input,
  };
  if (def.title !== undefined) mcp.title = def.title;
  if (def.description !== undefined) mcp.description = def.description;
  if (def.outputSchema !== undefined) mcp.outputSchema = def.outputSchema;
  if (def.annotations !== undefined) mcp.annotations = def.annotations;
  return mcp as Tool;
}

function buildView(tools: readonly RegisteredTool[], originalName: (t: RegisteredTool) => string): ToolView {
  const names = assignToolNames(tools.map(originalName));
  const byName = new Map<string, RegisteredTool>();
  const list: Tool[] = [];
  tools.forEach((tool, i) => {
    const name = names[i]!;
    byName.set(name, tool);
    list.push(toMcpTool(name, tool));
  });
  return { list, byName };
}

const cache = new WeakMap<ProjectSnapshot, SnapshotViews>();

/** The endpoint views of a snapshot, computed once per snapshot object (snapshots are immutable). */
export function getSnapshotViews(snapshot: ProjectSnapshot): SnapshotViews {
  let views = cache.get(snapshot);
  if (views) return views;
  const project = buildView(snapshot.tools, (t) => t.qualifiedName);
  const perConnector = new Map<string, ToolView>();
  views = {
    project,
    connector(name) {
      const known = perConnector.get(name);
      if (known) return known;
      if (!snapshot.connectors.has(name)) return undefined;
      const tools = snapshot.tools.filter((t) => t.connector === name);
      const view = tools.length === 0 ? EMPTY_VIEW : buildView(tools, (t) => t.name);
      perConnector.set(name, view);
      return view;
    },
  };
  cache.set(snapshot, views);
  return views;
}

const serialisedLists = new WeakMap<ToolView, Buffer>();

/**
 * The UTF-8 JSON of a view's `tools` array, serialised and encoded once per view (views live as long as their
 * snapshot): a list is written as these bytes, never re-serialised or re-encoded per request.
 */
export function serialisedToolList(view: ToolView): Buffer {
  let json = serialisedLists.get(view);
  if (json === undefined) serialisedLists.set(view, (json = Buffer.from(JSON.stringify(view.list))));
  return json;
}
