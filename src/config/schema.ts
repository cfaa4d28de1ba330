import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().min(1);
const bool = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])])
  .transform((v) => (typeof v === 'boolean' ? v : ['1', 'true', 'yes', 'on'].includes(v)));
const list = z.union([z.array(z.string()), z.string()]).transform((v) =>
  Array.isArray(v)
    ? v
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
);

/** The one configuration schema. Keys are camelCase; env vars are `TOOLPORT_` + SNAKE_CASE of the key. */
export const configSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8090),
    dataDir: z.string().min(1).default('./data'),
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
    secretKey: z.string().min(1).optional(),
    hotReload: bool.default(false),
    healthIntervalMs: positiveMs.default(60_000),
    healthFailureThreshold: z.coerce.number().int().min(1).default(3),
    healthSuccessThreshold: z.coerce.number().int().min(1).default(1),
    healthConcurrency: z.coerce.number().int().min(1).default(4),
    allowPrivateNetworks: bool.default(false),
    /** Stdio commands tenant MCP upstreams may run: `command [leading args…]` entries (docs/security.md). */
    mcpCommands: list.default([]),
    /** Server folders tenants may install manifest files and python scripts from. */
    fileRoots: list.default([]),
    /** Whether tenant python code may ask for (policed) network access. */
    tenantNetwork: bool.default(false),
    /** Lets tenant code run without bubblewrap when it is missing (an explicit, logged opt-out). */
    allowUnsandboxed: bool.default(false),
    maxConcurrentConnectors: z.coerce.number().int().min(1).default(100),
    bodyLimitBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    scriptMaxBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(512 * 1024),
    sessionIdleMs: positiveMs.default(5 * 60_000),
    /** Concurrent MCP sessions (2025 Streamable HTTP + legacy SSE) per API key; 0 disables the cap. */
    maxSessionsPerKey: z.coerce.number().int().min(0).default(100),
    /** Concurrent MCP sessions per tenant across its keys; 0 disables the cap. */
    maxSessionsPerTenant: z.coerce.number().int().min(0).default(500),
    /** How often each node re-checks that the keys of its open MCP sessions are still valid (revoked elsewhere). */
    sessionRevalidateMs: positiveMs.default(30_000),
    /**
     * On SIGTERM, how long the node keeps serving while `/health/ready` already answers 503, so load balancers
     * stop routing to it before it stops accepting connections; 0 stops accepting at once.
     */
    drainMs: z.coerce.number().int().min(0).default(0),
    allowedHosts: list.default([]),
    allowedOrigins: list.default([]),
    python: z.string().min(1).default('python3'),
    sandbox: z.enum(['auto', 'off', 'required']).default('auto'),
    /** The bubblewrap command (`TOOLPORT_BWRAP_PATH`); a missing one means no sandbox here. */
    bwrapPath: z.string().min(1).default('bwrap'),
    /** Processes (and threads) of one python worker's whole tree. */
    pythonMaxProcesses: z.coerce.number().int().min(4).max(65_536).default(32),
    /** Memory (MiB) of one python worker's whole tree, scratch included. */
    pythonMaxMemoryMb: z.coerce.number().int().min(32).default(512),
    /** Processes (and threads) of one tenant stdio MCP upstream's whole tree, bwrap included. */
    mcpMaxProcesses: z.coerce.number().int().min(4).max(65_536).default(64),
    /** Memory (MiB) of one tenant stdio MCP upstream's whole tree. */
    mcpMaxMemoryMb: z.coerce.number().int().min(32).default(1024),
    /** Scratch size (MiB) of one sandboxed python worker. */
    pythonScratchMb: z.coerce.number().int().min(1).default(64),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    otlpEndpoint: z.string().url().optional(),
    usageFlushMs: positiveMs.default(2_000),
    nodeId: z.string().min(1).optional(),
  })
  .strict();

/** Validated, frozen configuration. */
export type Config = Readonly<z.infer<typeof configSchema>>;
/** Raw configuration input, as read from flags, env and file before validation. */
export type ConfigInput = z.input<typeof configSchema>;
