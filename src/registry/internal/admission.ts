import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

import { createError, type Trust } from '../../core/index.js';
import type { ConnectorManifest } from '../../manifest/types.js';

/** What the operator allows tenant content to do on the host (every field has an env setting; docs/security.md). */
export interface AdmissionOptions {
  /**
   * Commands a tenant's stdio MCP upstream may run (`TOOLPORT_MCP_COMMANDS`): each entry is a command name or path
   * followed by the leading arguments it must start with, e.g. `npx @modelcontextprotocol/server-filesystem`.
   */
  mcpCommands: readonly string[];
  /** Server folders tenants may install manifests and python scripts from (`TOOLPORT_FILE_ROOTS`). */
  fileRoots: readonly string[];
  /** Whether tenant python code may have network access at all (`TOOLPORT_TENANT_NETWORK`). */
  tenantNetwork: boolean;
}

/** One parsed allowlist entry. */
export interface AllowedCommand {
  command: string;
  leadingArgs: string[];
}

const TEMPLATE = /\$\{/;

/** True when `path` is `root` or below it (both absolute, canonical). */
export function isInsideRoot(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The canonical form of a path for root checks: symlinks resolved where the path exists. */
export function canonicalPath(path: string): string {
  try {
    return realpathSync(resolve(path));
  } catch {
    return resolve(path);
  }
}

function parseAllowlist(entries: readonly string[]): AllowedCommand[] {
  return entries
    .map((entry) => entry.trim().split(/\s+/).filter(Boolean))
    .filter((parts) => parts.length > 0)
    .map(([command, ...leadingArgs]) => ({ command: command!, leadingArgs }));
}

/**
 * The operator's allowlist entry a stdio launch matches (`command` equal, `args` starting with the entry's leading
 * arguments, no `${…}` templates in either), or undefined.
 *
 * @example
 * matchAllowedCommand(['node /srv/mcp/server.js'], 'node', ['/srv/mcp/server.js', '--verbose']); // { command: 'node', leadingArgs: ['/srv/mcp/server.js'] }
 */
export function matchAllowedCommand(
  entries: readonly string[],
  command: string,
  args: readonly string[],
): AllowedCommand | undefined {
  return parseAllowlist(entries).find(
    (entry) =>
      entry.command === command &&
      !TEMPLATE.test(command) &&
      entry.leadingArgs.every((arg, i) => args[i] === arg && !TEMPLATE.test(arg)),
  );
}

function forbidden(message: string, pointer: string, setting: string): Error {
  return createError('forbidden', message, { pointer, setting });
}

/**
 * The operator's admission policy: what content installed with a tenant key may ask for. Operator content passes
 * unchecked (the operator owns the host). Checks run before anything of the content touches the host — no file is
 * read and no process started for a refused manifest.
 *
 * @example
 * const admit = createAdmissionPolicy({ mcpCommands: ['npx @modelcontextprotocol/server-everything'], fileRoots: [], tenantNetwork: false });
 * admit(manifest, 'tenant'); // throws forbidden for any other command
 */
export function createAdmissionPolicy(options: AdmissionOptions): (manifest: ConnectorManifest, trust: Trust) => void {
  const roots = options.fileRoots.map(canonicalPath);
  return (manifest, trust) => {
    if (trust === 'operator') return;
    if (manifest.kind === 'mcp' && manifest.mcp?.command !== undefined) {
      const { command, args } = manifest.mcp;
      const match = matchAllowedCommand(options.mcpCommands, command, args);
      if (!match) {
        throw forbidden(
          `mcp.command '${command}' is not in the operator's allowlist of stdio commands (TOOLPORT_MCP_COMMANDS); ` +
            'a tenant key may run only allowed commands, or use mcp.url',
          '/mcp/command',
          'TOOLPORT_MCP_COMMANDS',
        );
      }
      if (manifest.mcp.cwd !== undefined) {
        throw forbidden(
          'mcp.cwd is for the operator: a tenant upstream runs in its own scratch folder',
          '/mcp/cwd',
          'operator',
        );
      }
    }
    if (manifest.http?.allow_private_networks) {
      throw forbidden(
        'http.allow_private_networks is for operator manifests; tenant connectors reach public addresses only ' +
          '(the operator may allow private networks server-wide with TOOLPORT_ALLOW_PRIVATE_NETWORKS)',
        '/http/allow_private_networks',
        'TOOLPORT_ALLOW_PRIVATE_NETWORKS',
      );
    }
    if (manifest.kind === 'python' && manifest.python) {
      const script = manifest.python.script;
      if (script !== undefined && !roots.some((root) => isInsideRoot(canonicalPath(script), root))) {
        throw forbidden(
          'python.script names a server file outside the operator file roots (TOOLPORT_FILE_ROOTS); ' +
            'upload the script (POST /api/v1/upload_script) and use python.script_id',
          '/python/script',
          'TOOLPORT_FILE_ROOTS',
        );
      }
      if (manifest.python.allow_network && !options.tenantNetwork) {
        throw forbidden(
          'python.allow_network is not allowed for tenant code on this server (TOOLPORT_TENANT_NETWORK)',
          '/python/allow_network',
          'TOOLPORT_TENANT_NETWORK',
        );
      }
    }
  };
}
