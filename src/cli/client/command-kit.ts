import type { Command } from 'commander';

import type { Output } from './output.js';
import { callApi, resolveConnection, RestError, type ConnectionFlags } from './rest.js';

/**
 * JSON as the server sends it. The CLI only reads fields to print them, so it does not re-declare the API's types;
 * the OpenAPI document is their source of truth.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

type Flags = ConnectionFlags & { json?: boolean };
export type Rows = Record<string, unknown>[];
/** What a command's action gets: a caller bound to the resolved connection, and where to print. */
export interface Ctx {
  api: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Json>;
  output: Output;
}

export const enc = encodeURIComponent;

/** A request body from flags: a field whose flag was not given (undefined) or given empty ('') is left out. */
export function bodyOf(fields: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== ''));
}

/** Adds --url/--token/--json to a REST command and runs `action` with a bound client; errors exit 1 with a reason. */
export function restCommand(
  parent: Command,
  spec: string,
  description: string,
  action: (ctx: Ctx, args: string[], opts: Record<string, Json>) => Promise<void>,
): Command {
  const cmd = parent
    .command(spec)
    .description(description)
    .option('--url <url>', 'server URL (env TOOLPORT_URL; default http://127.0.0.1:8090)')
    .option('--token <token>', 'admin token or API key (env TOOLPORT_TOKEN, or `toolport login`)')
    .option('--json', 'print JSON for scripts instead of tables');
  cmd.action(async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const opts = command.opts<Flags & Record<string, Json>>();
    const args = received.slice(0, -2) as string[];
    const output: Output = {
      out: (text) => process.stdout.write(`${text}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
      json: opts.json === true,
    };
    try {
      const connection = resolveConnection(opts);
      await action({ api: (m, p, b, h) => callApi(connection, m, p, b, h), output }, args, opts);
    } catch (err) {
      const message = err instanceof RestError && err.code ? `${err.code}: ${err.message}` : (err as Error).message;
      process.stderr.write(`toolport: ${message}\n`);
      process.exitCode = 1;
    }
  });
  return cmd;
}

/** `k=v` pairs (repeatable flag) → an object; values that parse as JSON keep their type (`n=3` is a number). */
export function collectPairs(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const [key, raw] = splitPair(value);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = raw;
  }
  return { ...previous, [key]: parsed };
}

/** `k=v` pairs (repeatable flag) → config values, kept as the strings they are. */
export function configPairs(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const [key, raw] = splitPair(value);
  return { ...previous, [key]: raw };
}

function splitPair(value: string): [key: string, raw: string] {
  const at = value.indexOf('=');
  if (at <= 0) throw new Error(`expected key=value, got '${value}'`);
  return [value.slice(0, at), value.slice(at + 1)];
}
