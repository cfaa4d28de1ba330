import type { Command } from 'commander';

import { bodyOf, enc, restCommand, type Rows } from './command-kit.js';
import { col, printList, printObject } from './output.js';
import { registerConnectors, registerServices, registerTools } from './project-commands.js';
import { callApi, saveCliConfig } from './rest.js';

function registerKeys(program: Command): void {
  const keys = program.command('keys').description('API keys: create (shown once), list, revoke');
  const base = (tenant?: string): string => (tenant ? `/v1/tenants/${enc(tenant)}/api-keys` : '/v1/api-keys');
  restCommand(keys, 'create', 'create an API key; the key is printed once', async ({ api, output }, _a, o) => {
    const scopes = String(o.scopes)
      .split(',')
      .map((s) => s.trim());
    const key = await api('POST', base(o.tenant), { name: o.name, scopes });
    if (!output.json) output.err('Store this key now: it is not shown again.');
    printObject(output, key, ['id', 'name', 'scopes', 'key']);
  })
    .requiredOption('--name <name>', 'a label to recognise the key by')
    .option('--scopes <list>', 'comma-separated: admin, invoke (operator: only the operator grants it)', 'invoke')
    .option('--tenant <id>', "another tenant's keys (operator only)");
  restCommand(keys, 'list', 'list API keys (never the keys themselves)', async ({ api, output }, _a, o) => {
    const body = await api('GET', base(o.tenant));
    const cols = ['id', 'name', 'prefix', 'scopes', 'created_at', 'last_used_at', 'revoked_at'].map((c) => col(c));
    printList(output, body.api_keys as Rows, cols, 'no API keys');
  }).option('--tenant <id>', "another tenant's keys (operator only)");
  restCommand(
    keys,
    'revoke <key_id>',
    'revoke an API key (open MCP sessions with it end)',
    async ({ api, output }, [id], o) => {
      await api('DELETE', `${base(o.tenant)}/${enc(id!)}`);
      output.out(`revoked ${id}`);
    },
  ).option('--tenant <id>', "another tenant's keys (operator only)");
}

function registerTenants(program: Command): void {
  const tenants = program.command('tenants').description('tenants (operator only)');
  restCommand(tenants, 'list', 'list tenants', async ({ api, output }) => {
    printList(
      output,
      (await api('GET', '/v1/tenants')).tenants as Rows,
      [col('id'), col('name'), col('created_at')],
      'no tenants',
    );
  });
  restCommand(
    tenants,
    'create <id>',
    'create a tenant (with its default project)',
    async ({ api, output }, [id], o) => {
      printObject(output, await api('POST', '/v1/tenants', bodyOf({ id, name: o.name })));
    },
  ).option('--name <name>', 'display name');
  restCommand(tenants, 'delete <id>', 'delete a tenant and everything it owns', async ({ api, output }, [id]) => {
    await api('DELETE', `/v1/tenants/${enc(id!)}`);
    output.out(`deleted tenant ${id}`);
  });
}

function registerProjects(program: Command): void {
  const projects = program.command('projects').description('projects of your tenant');
  const cols = [col('id'), col('name'), col('description'), col('created_at')];
  restCommand(projects, 'list', 'list projects', async ({ api, output }) => {
    printList(output, (await api('GET', '/v1/projects')).projects as Rows, cols, 'no projects');
  });
  restCommand(projects, 'create <id>', 'create a project', async ({ api, output }, [id], o) => {
    const body = bodyOf({ id, name: o.name, description: o.description });
    printObject(output, await api('POST', '/v1/projects', body), ['id', 'name', 'description']);
  })
    .option('--name <name>', 'display name')
    .option('--description <text>', 'what the project is for');
  restCommand(projects, 'show <id>', 'show a project', async ({ api, output }, [id]) => {
    printObject(output, await api('GET', `/v1/projects/${enc(id!)}`));
  });
  restCommand(
    projects,
    'client-config <id>',
    'ready-to-paste MCP client entries for a project',
    async (ctx, [id], o) => {
      const query = o.connector ? `?connector=${enc(String(o.connector))}` : '';
      const config = JSON.stringify(await ctx.api('GET', `/v1/projects/${enc(id!)}/client-config${query}`), null, 2);
      // Keys are never echoed back by the server; put the one the user has into the snippets locally.
      ctx.output.out(o.key ? config.split('<YOUR_API_KEY>').join(String(o.key)) : config);
    },
  )
    .option('--connector <name>', 'one connector only (original tool names)')
    .option('--key <api_key>', 'put this API key into the snippets instead of <YOUR_API_KEY>');
  restCommand(projects, 'delete <id>', 'delete a project and its connectors', async ({ api, output }, [id]) => {
    await api('DELETE', `/v1/projects/${enc(id!)}`);
    output.out(`deleted project ${id}`);
  });
}

/**
 * The REST client commands (`keys`, `tenants`, `projects`, `connectors`, `tools`, `services`, `login`): tables by
 * default, `--json` for scripts; URL and token from flags, TOOLPORT_URL/TOOLPORT_TOKEN, or `toolport login`.
 */
export function registerClientCommands(program: Command): void {
  program
    .command('login')
    .description('save a server URL and token for the other commands (0600 file; see TOOLPORT_CLI_CONFIG)')
    .requiredOption('--token <token>', 'admin token or API key')
    .option('--url <url>', 'server URL', 'http://127.0.0.1:8090')
    .action(async (o: { url: string; token: string }) => {
      try {
        await callApi({ url: o.url.replace(/\/+$/, ''), token: o.token }, 'GET', '/v1/projects');
        process.stdout.write(`saved to ${saveCliConfig({ url: o.url.replace(/\/+$/, ''), token: o.token })}\n`);
      } catch (err) {
        process.stderr.write(`toolport: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
  registerKeys(program);
  registerTenants(program);
  registerProjects(program);
  registerConnectors(program);
  registerTools(program);
  registerServices(program);
}
