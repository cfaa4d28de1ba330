/** Inputs of {@link buildClientConfig}. */
export interface ClientConfigOptions {
  /** The server's public base URL, e.g. `http://127.0.0.1:8090`. */
  baseUrl: string;
  projectId: string;
  /** Serve one connector instead of the whole project. */
  connector?: string;
  /** The API key to embed; defaults to the placeholder `<YOUR_API_KEY>` (keys are never echoed back). */
  token?: string;
  /**
   * How the Toolport CLI is started on the client machine: the command and its leading arguments, e.g.
   * `['/usr/bin/node', '/opt/toolport/dist/cli.js']` (absolute, so it works from any directory) or `['toolport']`.
   */
  cli?: readonly string[];
}

/** A `command` + `args` launcher entry (stdio clients). */
export interface CommandEntry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** Ready-to-paste configuration snippets for the common MCP clients. */
export interface ClientConfig {
  server_name: string;
  /** Streamable HTTP endpoint (both protocol eras). */
  mcp_url: string;
  /** Legacy HTTP+SSE endpoint. */
  sse_url: string;
  claude_desktop: {
    /** `claude_desktop_config.json` entry running `toolport stdio` as a local relay. */
    stdio: { mcpServers: Record<string, CommandEntry> };
    /** `claude_desktop_config.json` entry via `mcp-remote`. */
    remote: { mcpServers: Record<string, CommandEntry> };
  };
  /** `~/.cursor/mcp.json`. */
  cursor: { mcpServers: Record<string, { url: string; headers: Record<string, string> }> };
  /** `.vscode/mcp.json`. */
  vscode: { servers: Record<string, { type: 'http'; url: string; headers: Record<string, string> }> };
  /** MCP Inspector CLI: list the tools. */
  inspector: { command: string };
}

/** The placeholder used when no token is given. */
export const API_KEY_PLACEHOLDER = '<YOUR_API_KEY>';

/**
 * Builds client configuration snippets for one project (or connector) endpoint.
 * @example buildClientConfig({ baseUrl: 'http://127.0.0.1:8090', projectId: 'demo' }).cursor
 */
export function buildClientConfig(options: ClientConfigOptions): ClientConfig {
  const base = options.baseUrl.replace(/\/+$/, '');
  const token = options.token ?? API_KEY_PLACEHOLDER;
  const path = `${encodeURIComponent(options.projectId)}${
    options.connector === undefined ? '' : `/${encodeURIComponent(options.connector)}`
  }`;
  const mcpUrl = `${base}/mcp/${path}`;
  const sseUrl = `${base}/sse/${path}`;
  const name = `toolport-${options.projectId}${options.connector === undefined ? '' : `-${options.connector}`}`;
  const authorization = `Bearer ${token}`;
  const [cliCommand = 'toolport', ...cliArgs] = options.cli?.length ? options.cli : ['toolport'];
  const stdioArgs = [...cliArgs, 'stdio', '--project', options.projectId];
  if (options.connector !== undefined) stdioArgs.push('--connector', options.connector);
  stdioArgs.push('--url', base, '--token', token);

  return {
    server_name: name,
    mcp_url: mcpUrl,
    sse_url: sseUrl,
    claude_desktop: {
      stdio: { mcpServers: { [name]: { command: cliCommand, args: stdioArgs } } },
      remote: {
        mcpServers: {
          // The header value travels through env: mcp-remote splits args on spaces on some platforms.
          [name]: {
            command: 'npx',
            args: ['-y', 'mcp-remote', mcpUrl, '--header', 'Authorization:${AUTH_HEADER}'],
            env: { AUTH_HEADER: authorization },
          },
        },
      },
    },
    cursor: { mcpServers: { [name]: { url: mcpUrl, headers: { Authorization: authorization } } } },
    vscode: { servers: { [name]: { type: 'http', url: mcpUrl, headers: { Authorization: authorization } } } },
    inspector: {
      command: `npx @modelcontextprotocol/inspector --cli ${mcpUrl} --transport http --header "Authorization: ${authorization}" --method tools/list`,
    },
  };
}
