import type { PeerCaller, UpstreamPeer } from './upstream-peer.js';

/** A JSON Schema object (draft 2020-12 subset used for tool input/output). */
export type JsonSchema = Record<string, unknown>;

/** MCP tool annotations passed through to clients. */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** A tool as a source exposes it, under its original name. */
export interface ToolDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  annotations?: ToolAnnotations;
}

/** One MCP content block (text, image, audio, resource link, embedded resource). */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'audio'; data: string; mimeType: string }
  | { type: 'resource_link'; uri: string; name: string; mimeType?: string; description?: string }
  | { type: 'resource'; resource: { uri: string; mimeType?: string; text?: string; blob?: string } };

/** The result of a tool call, in MCP shape. Tool failures are `isError: true` results, not exceptions. */
export interface ToolCallResult {
  content: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

/** Progress reported by a running tool call. */
export interface ToolProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** Per-call context handed to a source. */
export interface InvokeContext {
  /** Aborted when the client cancels or the gateway gives up. */
  signal?: AbortSignal;
  /** Called for progress updates when the client asked for them. */
  onProgress?: (progress: ToolProgress) => void;
  /** Correlates logs and traces. */
  requestId?: string;
  /** W3C `traceparent` of the caller's request, so tool call spans join its trace. */
  traceparent?: string;
  /** The client session the call comes from: sampling/elicitation/roots an upstream sends during it go there. */
  caller?: PeerCaller;
}

/** The outcome of a health check of a source. */
export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  message?: string;
  /** Extra facts (HTTP status, probe tool, per-tool health …). Never secrets. */
  details?: Record<string, unknown>;
}

/** Observable facts about a running source (shown in connector status). */
export type SourceInfo = Record<string, unknown>;

/**
 * A kind of tool source (HTTP, Python, upstream MCP). The registry creates one per
 * connector version and talks to it only through this interface.
 */
export interface ToolSource {
  readonly kind: string;
  /** Starts the source if needed and returns its tools. Throws ToolportError on failure. */
  load(): Promise<ToolDefinition[]>;
  /** Calls a tool by its original name. Tool-level failures resolve as `isError` results. */
  invoke(tool: string, args: Record<string, unknown>, ctx?: InvokeContext): Promise<ToolCallResult>;
  /** Checks health by really exercising the source. */
  check(): Promise<CheckResult>;
  /** Releases processes, sockets and timers. Idempotent. */
  close(): Promise<void>;
  /** Facts for status displays (e.g. `{sandboxed: true, workers: 2}`). */
  info?(): SourceInfo;
  /** Subscribes to the source's own tool list changes (upstream MCP); returns an unsubscribe function. */
  onToolsChanged?(listener: () => void): () => void;
  /** The federation facet (upstream MCP only): resources, prompts, completions, logging beyond tools. */
  readonly peer?: UpstreamPeer;
}

/**
 * Whether a health check may run this tool unasked: it says it is read-only (or `readOnlyByNature`, e.g. an HTTP
 * GET), does not say it is destructive, and needs no arguments. Without a declared probe, health is a real call.
 */
export function isSafeToProbe(def: ToolDefinition, readOnlyByNature = false): boolean {
  const hints = def.annotations;
  if (hints?.readOnlyHint === false || hints?.destructiveHint === true) return false;
  const required = (def.inputSchema as { required?: unknown }).required;
  return (readOnlyByNature || hints?.readOnlyHint === true) && (!Array.isArray(required) || required.length === 0);
}

/** What a health check says when it found no tool it may run and checked reachability only. */
export const NO_SAFE_TOOL =
  'no tool is safe to run as a check (read-only — GET/HEAD or readOnlyHint — and no required arguments)';

/** Wraps plain text as a tool result. */
export function textResult(text: string, isError = false): ToolCallResult {
  return isError ? { content: [{ type: 'text', text }], isError: true } : { content: [{ type: 'text', text }] };
}

/** Marks results of availability failures; a symbol so it is never serialised or copied by a spread. */
const UNAVAILABLE = Symbol('toolport.unavailable');

/**
 * Marks an error result as an availability failure of the source (connect error, timeout, HTTP 5xx, dead
 * worker) rather than a tool-level error (HTTP 4xx, invalid input, the tool's own error). The circuit breaker
 * counts only these. Returns the same object.
 */
export function markUnavailable(result: ToolCallResult): ToolCallResult {
  Object.defineProperty(result, UNAVAILABLE, { value: true, enumerable: false });
  return result;
}

/** An error result for an availability failure (see markUnavailable). */
export function unavailableResult(text: string): ToolCallResult {
  return markUnavailable(textResult(text, true));
}

/** True when `result` was marked as an availability failure of its source. */
export function isUnavailable(result: ToolCallResult): boolean {
  return (result as { [UNAVAILABLE]?: boolean })[UNAVAILABLE] === true;
}
