#!/usr/bin/env node

import { Command, InvalidArgumentError } from 'commander';
import { registerClientCommands } from './cli/client/commands.js';
import { registerImportOpenApiCommand } from './cli/import-openapi.js';
import { packageVersion } from './cli/paths.js';
import type { StdioCommandOptions } from './cli/stdio-command.js';
// Commands load what they need when they run, so `toolport tools call …` does not start by importing the server.
import { loadConfig, unknownSettings, type ConfigInput } from './config/index.js';
import { createError, isToolportError } from './core/index.js';

const version = packageVersion();

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}

function workerCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('must be a whole number 1-256');
  return n;
}

function positiveMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 2_147_483_647) throw new InvalidArgumentError('must be milliseconds >= 1');
  return n;
}

function fail(err: unknown): never {
  console.error(`toolport: ${isToolportError(err) || err instanceof Error ? err.message : String(err)}`);
  process.exit(isToolportError(err, 'config_invalid') ? 2 : 1);
}

const program = new Command('toolport')
  .description('MCP tool gateway: HTTP connectors, Python scripts and upstream MCP servers as MCP tools')
  .version(version, '-v, --version')
  .showHelpAfterError();

program
  .command('serve')
  .description('serve the REST API and the MCP gateway')
  .version(version, '-v, --version')
  .option('--host <host>', 'interface to bind (default 127.0.0.1)')
  .option('--port <port>', 'port to listen on (default 8090)', portNumber)
  .option('--data <dir>', 'data folder for SQLite, keys and scripts (default ./data)')
  .option('--database-url <url>', 'PostgreSQL URL (postgres://…) instead of SQLite')
  .option('--config <file>', 'configuration file (YAML or JSON)')
  .option('--hot-reload', 'watch installed manifest files and reload them on change')
  .option('--samples', 'create the demo project with the bundled samples installed')
  .option('--workers <n>', 'server processes sharing the port, e.g. one per core (default 1)', workerCount)
  .action(
    async (opts: {
      host?: string;
      port?: number;
      data?: string;
      databaseUrl?: string;
      config?: string;
      hotReload?: boolean;
      samples?: boolean;
      workers?: number;
    }) => {
      const flags: Partial<ConfigInput> = {
        host: opts.host,
        port: opts.port,
        dataDir: opts.data,
        databaseUrl: opts.databaseUrl,
        ...(opts.hotReload ? { hotReload: true } : {}),
      };
      if (opts.samples && process.env.TOOLPORT_HOT_RELOAD === undefined && !opts.hotReload) flags.hotReload = true;
      let server;
      let drainMs = 0;
      const { runPrimary, workerRole, reportReady } = await import('./cli/workers.js');
      const worker = workerRole();
      try {
        const config = loadConfig({ flags, ...(opts.config ? { file: opts.config } : {}) });
        if (!worker) for (const warning of unknownSettings()) console.warn(`toolport: warning: ${warning}`);
        if ((opts.workers ?? 1) > 1 && !worker) {
          // The primary only starts, relays between and stops the workers; each worker runs this same command.
          await runPrimary(opts.workers!, (line) => console.log(line));
          return;
        }
        const { startServer } = await import('./cli/server.js');
        // The first worker installs the samples; the others see them through the store's change notices.
        const samples = opts.samples === true && (worker?.index ?? 1) === 1;
        server = await startServer(config, { samples, ...(worker ? { worker } : {}) });
        drainMs = config.drainMs;
      } catch (err) {
        fail(err);
      }
      if (worker) {
        reportReady();
        // The primary went away (killed): this worker must not live on without it.
        process.on('disconnect', () => stop('disconnect'));
      }
      if (worker && worker.index > 1) console.log(`Toolport worker ${worker.index}/${worker.count} listening`);
      else {
        console.log(`Toolport ${version} listening on ${server.url}${worker ? ` (${worker.count} workers)` : ''}`);
        console.log(`  store:        ${server.store.driver}`);
        console.log(
          `  admin token:  ${server.adminToken}${server.adminTokenFile ? `  (kept in ${server.adminTokenFile})` : ''}`,
        );
        console.log(`  console:      ${server.url}/   (log in with the admin token or an API key)`);
        console.log(`  REST API:     ${server.url}/v1/projects   (OpenAPI: ${server.url}/openapi.json)`);
        console.log(`  MCP:          ${server.url}/mcp/<project>   e.g. ${server.url}/mcp/demo`);
        console.log(`  health:       ${server.url}/health`);
      }
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        console.log(`received ${signal}, shutting down`);
        // The drain delay, then up to 10 s for calls in flight, then closing the rest.
        const force = setTimeout(() => process.exit(1), 15_000 + drainMs);
        force.unref();
        server
          .close()
          .then(() => process.exit(0))
          .catch((err: unknown) => {
            console.error(`shutdown failed: ${(err as Error).message}`);
            process.exit(1);
          });
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    },
  );

program
  .command('validate')
  .description('check connector manifests; prints file:line:col messages, exits 1 when any is invalid')
  .version(version, '-v, --version')
  .argument('<files...>', 'manifest files (YAML or JSON)')
  .action(async (files: string[]) => {
    const { runValidate } = await import('./cli/validate.js');
    process.exitCode = await runValidate(files, { stdout: process.stdout, stderr: process.stderr });
  });

program
  .command('stdio')
  .description('serve one project over stdio (for desktop clients that launch a command)')
  .version(version, '-v, --version')
  .requiredOption('--project <id>', 'project to serve')
  .option('--connector <name>', 'serve only this connector, under its original tool names')
  .option('--tenant <id>', 'tenant of the project (with --data)', 'default')
  .option('--data <dir>', 'data folder of a local Toolport (SQLite)')
  .option('--database-url <url>', 'PostgreSQL URL of a Toolport store')
  .option('--url <url>', 'base URL of a running Toolport server, e.g. http://127.0.0.1:8090')
  .option('--token <token>', 'API key (or admin token) for --url')
  .option(
    '--idle-timeout-ms <ms>',
    'with --url: a relayed call fails after this long with neither an answer nor progress',
    positiveMs,
  )
  .action(async (opts: StdioCommandOptions) => {
    try {
      const { runStdioCommand } = await import('./cli/stdio-command.js');
      await runStdioCommand(opts);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('run-script')
  .description('run one Python script as a standalone stdio MCP server (the generated wrapper)')
  .version(version, '-v, --version')
  .argument('<file>', 'the .py file')
  .option('--mode <mode>', 'functions (each function is a tool) or script (one tool with its argparse arguments)')
  .option('--functions <names>', 'comma-separated functions to expose (default: all public functions)')
  .action(async (file: string, opts: { functions?: string; mode?: string }) => {
    try {
      if (opts.mode !== undefined && opts.mode !== 'functions' && opts.mode !== 'script') {
        throw createError('bad_request', `--mode must be functions or script, not ${opts.mode}`);
      }
      const { runScript } = await import('./cli/run-script.js');
      await runScript(file, {
        ...(opts.mode ? { mode: opts.mode } : {}),
        ...(opts.functions ? { functions: opts.functions.split(',').map((s) => s.trim()) } : {}),
      });
    } catch (err) {
      fail(err);
    }
  });

registerClientCommands(program);
registerImportOpenApiCommand(program, fail);

program.parseAsync(process.argv).catch(fail);
