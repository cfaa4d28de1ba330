import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where a CLI command reaches the server, and with which token. */
export interface Connection {
  url: string;
  token: string;
}

/** The connection flags every REST command takes. */
export interface ConnectionFlags {
  url?: string;
  token?: string;
}

/** A REST failure as the CLI reports it: the server's error code and message, plus the located issues. */
export class RestError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const DEFAULT_URL = 'http://127.0.0.1:8090';

/** The CLI's own small config file (`toolport login` writes it; 0600, it holds a token). */
export function cliConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TOOLPORT_CLI_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'toolport', 'cli.json');
}

function readCliConfig(path: string): Partial<Connection> {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    return {
      ...(typeof parsed.url === 'string' ? { url: parsed.url } : {}),
      ...(typeof parsed.token === 'string' ? { token: parsed.token } : {}),
    };
  } catch {
    return {};
  }
}

/** Saves a URL and token for later commands (`toolport login`). */
export function saveCliConfig(connection: Connection, env: NodeJS.ProcessEnv = process.env): string {
  const path = cliConfigPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(connection, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** Flags first, then TOOLPORT_URL / TOOLPORT_TOKEN, then the CLI config file, then the local default URL. */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const file = readCliConfig(cliConfigPath(env));
  // An empty variable counts as unset, as in a shell's `TOOLPORT_TOKEN= toolport …`.
  const pick = (...values: (string | undefined)[]): string | undefined => values.find((v) => v);
  const url = (pick(flags.url, env.TOOLPORT_URL, file.url) ?? DEFAULT_URL).replace(/\/+$/, '');
  const token = pick(flags.token, env.TOOLPORT_TOKEN, file.token);
  if (!token) {
    throw new RestError(
      0,
      'no_token',
      'no token: pass --token, set TOOLPORT_TOKEN, or run `toolport login --url URL --token TOKEN` ' +
        '(the admin token is printed when the server starts; API keys come from `toolport keys create`)',
    );
  }
  return { url, token };
}

function describeIssues(details: unknown): string {
  const issues = (details as { issues?: { pointer?: string; message?: string; line?: number; column?: number }[] })
    ?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return '';
  return issues
    .map(
      (i) =>
        `\n  ${i.line !== undefined ? `line ${i.line}:${i.column ?? 1} ` : ''}${i.pointer ?? ''} ${i.message ?? ''}`,
    )
    .join('');
}

/** Calls the REST API; resolves the parsed JSON body (undefined for 204) or throws RestError. */
export async function callApi(
  connection: Connection,
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<unknown> {
  const isForm = body instanceof FormData;
  let res: Response;
  try {
    res = await fetch(`${connection.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${connection.token}`,
        ...(body === undefined || isForm ? {} : { 'content-type': 'application/json' }),
        ...extraHeaders,
      },
      ...(body === undefined ? {} : { body: isForm ? body : JSON.stringify(body) }),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new RestError(0, 'unreachable', `cannot reach ${connection.url} (${cause}); is \`toolport serve\` running?`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } })?.error;
    throw new RestError(
      res.status,
      error?.code ?? `http_${res.status}`,
      `${error?.message ?? (text.slice(0, 200) || res.statusText)}${describeIssues(error?.details)}`,
    );
  }
  return parsed;
}
