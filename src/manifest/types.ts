import type { JsonSchema, ToolAnnotations } from '../core/index.js';

/**
 * The normalised connector descriptor. Both the current YAML format and the legacy
 * `connector:` format parse into this one shape; every runtime consumes only this.
 *
 * String values in `http.headers`, `auth` and `http.base_url` may reference connector
 * config as `${config.KEY}` (resolved per call by the HTTP runtime, never stored resolved).
 */
export interface ConnectorManifest {
  name: string;
  /** Semver of the descriptor, e.g. `1.2.0`. */
  version: string;
  description?: string;
  kind: 'http' | 'python' | 'mcp';
  /** Config keys the connector needs; values come from the install request's `config`. */
  config: Record<string, ConfigKeySpec>;
  http?: HttpConnectorSpec;
  python?: PythonConnectorSpec;
  mcp?: McpConnectorSpec;
  health?: HealthSpec;
  /** Tools; for python and mcp connectors may be empty (discovered at load). */
  tools: ManifestTool[];
  /** Free-form labels carried through to listings. */
  metadata?: Record<string, unknown>;
}

/** One config key a connector declares. */
export interface ConfigKeySpec {
  description?: string;
  secret: boolean;
  required: boolean;
  default?: string;
  /** For python connectors: the environment variable the value is passed as (defaults to the key). */
  env?: string;
}

/** Connector-level HTTP defaults. */
export interface HttpConnectorSpec {
  base_url: string;
  timeout_ms: number;
  retries: number;
  headers: Record<string, string>;
  auth: HttpAuth;
  /** Response bodies larger than this are cut and reported as an error result. */
  max_response_bytes: number;
  /**
   * Lets this connector reach loopback/private addresses although the server refuses them by default. Honoured only
   * for content the operator installed (tenant manifests asking for it are refused); the demo's local API uses it.
   */
  allow_private_networks?: true;
}

/** HTTP authentication. Credential fields hold templates like `${config.api_key}`. */
export type HttpAuth =
  | { type: 'none' }
  | { type: 'api_key'; in: 'header' | 'query' | 'cookie'; name: string; value: string; scheme?: string }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  | {
      type: 'oauth2_client_credentials';
      token_url: string;
      client_id: string;
      client_secret: string;
      scopes: string[];
      audience?: string;
    };

/** Where one tool argument goes in the HTTP request. */
export type ArgLocation = 'path' | 'query' | 'header' | 'cookie' | 'body';

/** How a tool maps onto one HTTP call. */
export interface HttpToolSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  /** Path appended to base_url, with `{param}` placeholders. */
  path: string;
  /**
   * Location per argument. Unlisted arguments: path placeholders → path; GET/DELETE/HEAD → query;
   * other methods → JSON body.
   */
  args: Record<string, ArgLocation>;
  /** Name on the wire when it differs from the argument name (e.g. header `X-Trace-Id`). */
  rename?: Record<string, string>;
  body_format: 'json' | 'form';
  /** Send the whole body under this argument instead of assembling it from body arguments. */
  body_arg?: string;
  headers?: Record<string, string>;
  timeout_ms?: number;
  retries?: number;
}

/** One tool of a connector. */
export interface ManifestTool {
  name: string;
  title?: string;
  description?: string;
  input_schema: JsonSchema;
  output_schema?: JsonSchema;
  annotations?: ToolAnnotations;
  http?: HttpToolSpec;
}

/** A Python-script connector. */
export interface PythonConnectorSpec {
  /** Script path, absolute or relative to the manifest file. Either this or `script_id`. */
  script?: string;
  /** A stored script (content-addressed id) uploaded through the API. */
  script_id?: string;
  mode: 'functions' | 'script';
  /** Functions exposed in functions mode; empty = every public function. */
  functions: string[];
  /** Script mode: the CLI parameters of the single tool. */
  parameters: ScriptParameter[];
  /** Script mode: the tool name (defaults to the connector name). */
  tool_name?: string;
  allow_network: boolean;
  timeout_ms: number;
  memory_mb: number;
  max_workers: number;
  /** Processes of one worker's tree; may only lower the server's `TOOLPORT_PYTHON_MAX_PROCESSES`. */
  max_processes?: number;
  /** Memory (MiB) of one worker's whole tree; may only lower `TOOLPORT_PYTHON_MAX_MEMORY_MB`. */
  max_memory_mb?: number;
  /** Scratch size (MiB) of one worker; may only lower `TOOLPORT_PYTHON_SCRATCH_MB`. */
  scratch_mb?: number;
}

/** What a standalone Python wrapper serves: an uploaded script and how its tools are exposed. */
export interface WrapperSpec {
  content: string;
  filename: string;
  mode: 'functions' | 'script';
  functions?: string[];
  parameters?: ScriptParameter[];
  toolName?: string;
  description?: string;
}

/** A script-mode CLI parameter. */
export interface ScriptParameter {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'array';
  description?: string;
  required: boolean;
  default?: unknown;
  /** The flag on the command line, e.g. `--count`; positional when absent. */
  flag?: string;
  /** The allowed values (argparse `choices`); of the items when `type` is `array`. */
  enum?: Array<string | number>;
  /** Arrays: the type of each item (argparse `type=` with `nargs`). */
  items?: { type: 'string' | 'integer' | 'number' | 'boolean'; enum?: Array<string | number> };
  /** Arrays: the exact number of items (argparse `nargs=N`). */
  count?: number;
  /** Arrays: one flag per value, `--tag a --tag b` (argparse `action='append'`). */
  repeat?: boolean;
}

/** An upstream MCP server connector. */
export interface McpConnectorSpec {
  command?: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  url?: string;
  headers: Record<string, string>;
}

/** Health configuration: interval override and a functional probe. */
export interface HealthSpec {
  interval_ms?: number;
  probe?: HealthProbe;
}

/** A functional probe: a real tool call with expectations on its result. */
export interface HealthProbe {
  tool: string;
  arguments: Record<string, unknown>;
  expect: ProbeExpectation;
}

/** Expectations a probe result must meet. */
export interface ProbeExpectation {
  /** Default true: the result must not be `isError`. */
  no_error: boolean;
  /** JSON pointer into `structuredContent` (or parsed text) and the value it must equal. */
  equals?: { pointer: string; value: unknown }[];
  /** JSON pointer and a regular expression its string value must match. */
  matches?: { pointer: string; pattern: string }[];
  /** The call must finish within this many milliseconds. */
  within_ms?: number;
}
