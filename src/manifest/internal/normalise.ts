import { isAbsolute, resolve } from 'node:path';
import type { JsonSchema, ToolAnnotations } from '../../core/index.js';
import type {
  ConfigKeySpec,
  ConnectorManifest,
  HealthSpec,
  HttpAuth,
  HttpConnectorSpec,
  HttpToolSpec,
  ManifestTool,
  McpConnectorSpec,
  PythonConnectorSpec,
  ScriptParameter,
} from '../types.js';
import { isRecord, list, parseEndpoint, rec, str, type Rec } from './values.js';

/** Defaults the format promises; docs/manifest.md lists the same numbers. */
export const DEFAULTS = {
  httpTimeoutMs: 10_000,
  httpRetries: 2,
  maxResponseBytes: 5 * 1024 * 1024,
  pythonTimeoutMs: 30_000,
  pythonMemoryMb: 256,
  pythonMaxWorkers: 2,
} as const;

/** Builds the normalised manifest from validated current-format data, filling every default. */
export function normalise(data: Rec, kind: ConnectorManifest['kind'], baseDir: string | undefined): ConnectorManifest {
  const manifest: ConnectorManifest = {
    name: data.name as string,
    version: data.version as string,
    kind,
    config: normaliseConfig(rec(data.config)),
    tools: list(data.tools).map((t) => normaliseTool(rec(t))),
  };
  if (typeof data.description === 'string') manifest.description = data.description;
  if (kind === 'http') manifest.http = normaliseHttp(rec(data.http));
  if (kind === 'python') manifest.python = normalisePython(rec(data.python), baseDir);
  if (kind === 'mcp') manifest.mcp = normaliseMcp(rec(data.mcp));
  if (isRecord(data.health)) manifest.health = normaliseHealth(data.health);
  if (isRecord(data.metadata)) manifest.metadata = data.metadata;
  return manifest;
}

function normaliseConfig(config: Rec): Record<string, ConfigKeySpec> {
  const out: Record<string, ConfigKeySpec> = {};
  for (const [key, value] of Object.entries(config)) {
    const spec = rec(value);
    const entry: ConfigKeySpec = { secret: spec.secret === true, required: spec.required === true };
    if (typeof spec.description === 'string') entry.description = spec.description;
    // Config values travel as strings (env vars, headers); YAML numbers and booleans become text.
    if (spec.default !== undefined && spec.default !== null) entry.default = String(spec.default);
    if (typeof spec.env === 'string') entry.env = spec.env;
    out[key] = entry;
  }
  return out;
}

function normaliseHttp(http: Rec): HttpConnectorSpec {
  return {
    base_url: http.base_url as string,
    timeout_ms: (http.timeout_ms as number | undefined) ?? DEFAULTS.httpTimeoutMs,
    retries: (http.retries as number | undefined) ?? DEFAULTS.httpRetries,
    headers: { ...(rec(http.headers) as Record<string, string>) },
    auth: normaliseAuth(http.auth),
    max_response_bytes: (http.max_response_bytes as number | undefined) ?? DEFAULTS.maxResponseBytes,
    // Present only when set, so manifests without it keep their content hash.
    ...(http.allow_private_networks === true ? { allow_private_networks: true as const } : {}),
  };
}

function normaliseAuth(value: unknown): HttpAuth {
  const auth = rec(value);
  switch (auth.type) {
    case 'api_key': {
      const out: HttpAuth = {
        type: 'api_key',
        in: (auth.in as 'header' | 'query' | 'cookie' | undefined) ?? 'header',
        name: auth.name as string,
        value: auth.value as string,
      };
      if (typeof auth.scheme === 'string') out.scheme = auth.scheme;
      return out;
    }
    case 'bearer':
      return { type: 'bearer', token: auth.token as string };
    case 'basic':
      return { type: 'basic', username: auth.username as string, password: auth.password as string };
    case 'oauth2_client_credentials': {
      const out: HttpAuth = {
        type: 'oauth2_client_credentials',
        token_url: auth.token_url as string,
        client_id: auth.client_id as string,
        client_secret: auth.client_secret as string,
        scopes: list(auth.scopes) as string[],
      };
      if (typeof auth.audience === 'string') out.audience = auth.audience;
      return out;
    }
    default:
      return { type: 'none' };
  }
}

function normaliseTool(tool: Rec): ManifestTool {
  const input = isRecord(tool.input_schema) ? tool.input_schema : { properties: {} };
  const out: ManifestTool = {
    name: tool.name as string,
    // MCP requires an object schema; a schema that omits `type` means one.
    input_schema: input.type === undefined ? { type: 'object', ...input } : input,
  };
  if (typeof tool.title === 'string') out.title = tool.title;
  if (typeof tool.description === 'string') out.description = tool.description;
  if (isRecord(tool.output_schema)) out.output_schema = tool.output_schema as JsonSchema;
  if (isRecord(tool.annotations)) out.annotations = tool.annotations as ToolAnnotations;
  const http = normaliseToolHttp(tool, out.input_schema);
  if (http) out.http = http;
  return out;
}

function normaliseToolHttp(tool: Rec, input: JsonSchema): HttpToolSpec | undefined {
  const endpoint = typeof tool.endpoint === 'string' ? parseEndpoint(tool.endpoint) : undefined;
  if (!endpoint && !isRecord(tool.http)) return undefined;
  const http = rec(tool.http);
  const method = (endpoint?.method ?? http.method) as HttpToolSpec['method'];
  const path = (endpoint?.path ?? http.path) as string;
  // Spell out where each declared argument goes so runtimes need not re-derive it per call.
  const args: HttpToolSpec['args'] = {};
  const placeholders = new Set([...path.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!));
  const fallback = method === 'GET' || method === 'DELETE' || method === 'HEAD' ? 'query' : 'body';
  for (const name of Object.keys(rec(input.properties))) args[name] = placeholders.has(name) ? 'path' : fallback;
  for (const name of placeholders) args[name] = 'path';
  Object.assign(args, rec(http.args));
  const out: HttpToolSpec = {
    method,
    path,
    args,
    body_format: (http.body_format as 'json' | 'form' | undefined) ?? 'json',
  };
  if (isRecord(http.rename)) out.rename = http.rename as Record<string, string>;
  if (typeof http.body_arg === 'string') out.body_arg = http.body_arg;
  if (isRecord(http.headers)) out.headers = http.headers as Record<string, string>;
  if (typeof http.timeout_ms === 'number') out.timeout_ms = http.timeout_ms;
  if (typeof http.retries === 'number') out.retries = http.retries;
  return out;
}

function normalisePython(python: Rec, baseDir: string | undefined): PythonConnectorSpec {
  const out: PythonConnectorSpec = {
    mode: (python.mode as 'functions' | 'script' | undefined) ?? 'functions',
    functions: list(python.functions) as string[],
    parameters: list(python.parameters).map((p) => normaliseParameter(rec(p))),
    allow_network: python.allow_network === true,
    timeout_ms: (python.timeout_ms as number | undefined) ?? DEFAULTS.pythonTimeoutMs,
    memory_mb: (python.memory_mb as number | undefined) ?? DEFAULTS.pythonMemoryMb,
    max_workers: (python.max_workers as number | undefined) ?? DEFAULTS.pythonMaxWorkers,
  };
  const script = str(python.script);
  if (script !== undefined)
    out.script = baseDir !== undefined && !isAbsolute(script) ? resolve(baseDir, script) : script;
  if (typeof python.script_id === 'string') out.script_id = python.script_id;
  if (typeof python.tool_name === 'string') out.tool_name = python.tool_name;
  for (const key of ['max_processes', 'max_memory_mb', 'scratch_mb'] as const) {
    if (typeof python[key] === 'number') out[key] = python[key];
  }
  return out;
}

function normaliseParameter(param: Rec): ScriptParameter {
  const out: ScriptParameter = {
    name: param.name as string,
    type: param.type as ScriptParameter['type'],
    required: param.required === true,
  };
  if (typeof param.description === 'string') out.description = param.description;
  if (param.default !== undefined) out.default = param.default;
  if (typeof param.flag === 'string') out.flag = param.flag;
  if (Array.isArray(param.enum)) out.enum = param.enum as Array<string | number>;
  if (param.items && typeof param.items === 'object') {
    const items = rec(param.items);
    out.items = { type: items.type as NonNullable<ScriptParameter['items']>['type'] };
    if (Array.isArray(items.enum)) out.items.enum = items.enum as Array<string | number>;
  }
  if (typeof param.count === 'number') out.count = param.count;
  if (param.repeat === true) out.repeat = true;
  return out;
}

function normaliseMcp(mcp: Rec): McpConnectorSpec {
  const out: McpConnectorSpec = {
    args: list(mcp.args) as string[],
    env: { ...(rec(mcp.env) as Record<string, string>) },
    headers: { ...(rec(mcp.headers) as Record<string, string>) },
  };
  if (typeof mcp.command === 'string') out.command = mcp.command;
  if (typeof mcp.url === 'string') out.url = mcp.url;
  if (typeof mcp.cwd === 'string') out.cwd = mcp.cwd;
  return out;
}

function normaliseHealth(health: Rec): HealthSpec {
  const out: HealthSpec = {};
  if (typeof health.interval_ms === 'number') out.interval_ms = health.interval_ms;
  if (isRecord(health.probe)) {
    const probe = health.probe;
    const expect = rec(probe.expect);
    out.probe = {
      tool: probe.tool as string,
      arguments: rec(probe.arguments),
      expect: { no_error: expect.no_error !== false },
    };
    if (Array.isArray(expect.equals)) out.probe.expect.equals = expect.equals as { pointer: string; value: unknown }[];
    if (Array.isArray(expect.matches))
      out.probe.expect.matches = expect.matches as { pointer: string; pattern: string }[];
    if (typeof expect.within_ms === 'number') out.probe.expect.within_ms = expect.within_ms;
  }
  return out;
}
