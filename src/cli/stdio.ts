import type { Transport } from '@modelcontextprotocol/server';
import { createJsonLogger } from '../core/index.js';
import { serveProjectStdio } from '../gateway/index.js';
import type { ToolProvider } from '../registry/types.js';
import { packageVersion } from './paths.js';

/** Options of {@link runStdio}. */
export interface RunStdioOptions {
  provider: ToolProvider;
  tenantId: string;
  projectId: string;
  /** Serve one connector under its original tool names. */
  connector?: string;
  /** Defaults to the process's stdin/stdout (tests pass an in-memory transport). */
  transport?: Transport;
}

/**
 * Serves one project over stdio (`toolport stdio --project P`), both protocol eras, with `list_changed` on
 * registry changes. Logs go to stderr: stdout is the protocol channel. Resolves when the client disconnects.
 */
export function runStdio(options: RunStdioOptions): Promise<void> {
  return serveProjectStdio({
    provider: options.provider,
    tenantId: options.tenantId,
    projectId: options.projectId,
    ...(options.connector !== undefined ? { connector: options.connector } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    serverInfo: { name: 'toolport', version: packageVersion() },
    logger: createJsonLogger({ level: 'warn', stream: process.stderr }),
  });
}
