import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';

import { bodyOf, collectPairs, configPairs, enc, restCommand, type Json, type Rows } from './command-kit.js';
import { col, printList, printObject } from './output.js';

const project = (o: Record<string, Json>): string => `/v1/projects/${enc(String(o.project))}`;

/** `toolport connectors …`: install, list, enable/disable, versions, rollback, health, uninstall. */
export function registerConnectors(program: Command): void {
  const connectors = program.command('connectors').description("a project's connectors");
  const withProject = (cmd: Command): Command => cmd.option('--project <id>', 'project', 'default');
  const summary = ['name', 'kind', 'enabled', 'status', 'status_reason', 'version', 'current_version', 'tool_count'];
  withProject(
    restCommand(connectors, 'list', 'list connectors with their status', async ({ api, output }, _a, o) => {
      const rows = (await api('GET', `${project(o)}/connectors`)).connectors as Rows;
      const cols = [
        col('name'),
        col('kind'),
        col('version'),
        col('enabled'),
        col('status'),
        col('tools', 'tool_count'),
        col('reason', 'status_reason'),
      ];
      printList(output, rows, cols, 'no connectors');
    }),
  );
  withProject(
    restCommand(
      connectors,
      'install <file>',
      'install a manifest file (or a new version of it)',
      async ({ api, output }, [file], o) => {
        const source = o.serverPath ? { file_path: file } : { manifest: await readFile(file!, 'utf8') };
        const body = bodyOf({ ...source, config: o.config, enabled: o.disabled ? false : undefined, force: o.force });
        if (!output.json) output.err(`installing ${basename(file!)} into ${o.project}…`);
        const res = await api(
          'POST',
          `${project(o)}/connectors/${o.serverPath ? 'install-from-file' : 'install-from-manifest'}`,
          body,
        );
        if (output.json) printObject(output, res);
        else {
          const c = res.connector as Record<string, unknown>;
          const verb = res.created ? 'installed' : res.changed ? 'updated' : 'unchanged:';
          output.out(
            `${verb} ${String(c.name)} ${String(c.version)} (seq ${String(c.current_version)}), status ${String(c.status)}${c.status_reason ? ` — ${String(c.status_reason)}` : ''}`,
          );
        }
      },
    )
      .option('--config <key=value>', 'config value (secrets included); repeatable', configPairs)
      .option('--disabled', 'install without enabling')
      .option('--force', 'replace the same version number with different content')
      .option('--server-path', "the file is on the server (operator, or a tenant under the operator's file roots)"),
  );
  withProject(
    restCommand(connectors, 'show <name>', 'show one connector', async ({ api, output }, [name], o) => {
      printObject(
        output,
        await api('GET', `${project(o)}/connectors/${enc(name!)}`),
        output.json ? undefined : [...summary, 'tools', 'trust'],
      );
    }),
  );
  for (const action of ['enable', 'disable'] as const) {
    withProject(
      restCommand(connectors, `${action} <name>`, `${action} a connector`, async ({ api, output }, [name], o) => {
        const res = await api('POST', `${project(o)}/connectors/${enc(name!)}/${action}`);
        printObject(output, res, output.json ? undefined : ['name', 'enabled', 'status', 'status_reason']);
      }),
    );
  }
  withProject(
    restCommand(
      connectors,
      'versions <name>',
      'list versions with their tool changes',
      async ({ api, output }, [name], o) => {
        const rows = (await api('GET', `${project(o)}/connectors/${enc(name!)}/versions`)).versions as Rows;
        const diff = (key: string) => (row: Record<string, unknown>) => (row.diff as Record<string, string[]>)?.[key];
        printList(
          output,
          rows,
          [
            col('seq'),
            col('version'),
            col('current'),
            { header: 'added', value: diff('added') },
            { header: 'removed', value: diff('removed') },
            { header: 'changed', value: diff('changed') },
            col('created_at'),
          ],
          'no versions',
        );
      },
    ),
  );
  withProject(
    restCommand(connectors, 'rollback <name>', 'serve an earlier version again', async ({ api, output }, [name], o) => {
      const res = await api('POST', `${project(o)}/connectors/${enc(name!)}/rollback`, { version: Number(o.to) });
      printObject(output, res, output.json ? undefined : ['name', 'version', 'current_version', 'status']);
    }).requiredOption('--to <seq>', 'version sequence number (see `connectors versions`)'),
  );
  withProject(
    restCommand(
      connectors,
      'health <name>',
      'health history, or --check to check now',
      async ({ api, output }, [name], o) => {
        const path = `${project(o)}/connectors/${enc(name!)}/health`;
        if (o.check)
          printObject(
            output,
            await api('POST', path),
            output.json ? undefined : ['ok', 'latency_ms', 'message', 'checked_at'],
          );
        else
          printList(
            output,
            (await api('GET', path)).checks as Rows,
            [col('checked_at'), col('ok'), col('latency_ms'), col('message')],
            'no health checks yet',
          );
      },
    ).option('--check', 'run a check now'),
  );
  withProject(
    restCommand(
      connectors,
      'uninstall <name>',
      'remove a connector and its versions',
      async ({ api, output }, [name], o) => {
        await api('DELETE', `${project(o)}/connectors/${enc(name!)}`);
        output.out(`uninstalled ${name}`);
      },
    ),
  );
}

/** `toolport tools list|show|call`. */
export function registerTools(program: Command): void {
  const tools = program.command('tools').description("a project's tools: list, show, call");
  restCommand(tools, 'list', 'list tools with usage', async ({ api, output }, _a, o) => {
    const rows = (await api('GET', `${project(o)}/tools`)).tools as Rows;
    const calls = (row: Record<string, unknown>) => (row.usage as Record<string, unknown>)?.calls;
    printList(
      output,
      rows,
      [col('tool', 'qualified_name'), col('status'), { header: 'calls', value: calls }, col('description')],
      'no tools',
    );
  }).option('--project <id>', 'project', 'default');
  restCommand(tools, 'show <name>', 'show a tool and its schemas', async ({ api, output }, [name], o) => {
    printObject(output, await api('GET', `${project(o)}/tools/${enc(name!)}`));
  }).option('--project <id>', 'project', 'default');
  restCommand(tools, 'call <name>', 'call a tool (name as in `tools list`)', async ({ api, output }, [name], o) => {
    const args = { ...(o.args ? (JSON.parse(String(o.args)) as Record<string, unknown>) : {}), ...(o.arg ?? {}) };
    const result = await api('POST', `${project(o)}/tools/${enc(name!)}/invoke`, { arguments: args });
    if (output.json) printObject(output, result);
    else {
      const text = ((result.content ?? []) as { type: string; text?: string }[])
        .map((c) => (c.type === 'text' ? c.text : `[${c.type}]`))
        .join('\n');
      output.out(text || JSON.stringify(result.structuredContent ?? {}, null, 2));
    }
    if (result.isError) process.exitCode = 1;
  })
    .option('--project <id>', 'project', 'default')
    .option('--arg <key=value>', 'an argument; JSON values keep their type; repeatable', collectPairs)
    .option('--args <json>', 'all arguments as one JSON object');
}

/** `toolport services …`: the /api/v1 Python services surface. */
export function registerServices(program: Command): void {
  const services = program.command('services').description('Python services (/api/v1/services) and uploaded scripts');
  const svc = (id: string, rest = ''): string => `/api/v1/services/${enc(id)}${rest}`;
  restCommand(services, 'list', 'list services', async ({ api, output }) => {
    printList(
      output,
      (await api('GET', '/api/v1/services/')).services as Rows,
      [col('service_id'), col('name'), col('type'), col('status'), col('hosting_mode')],
      'no services',
    );
  });
  restCommand(
    services,
    'upload <file>',
    'upload a .py script and show what was discovered',
    async ({ api, output }, [file]) => {
      const form = new FormData();
      form.append('file', new Blob([await readFile(file!)]), basename(file!));
      const res = await api('POST', '/api/v1/upload_script', form);
      if (output.json) return printObject(output, res);
      const functions = ((res.analysis?.functions ?? []) as { name: string }[]).map((f) => f.name);
      output.out(`script_id: ${String(res.script_id)}\nfunctions: ${functions.join(', ') || '(none)'}`);
    },
  );
  restCommand(
    services,
    'generate <script_id>',
    'turn an uploaded script into a registered service',
    async ({ api, output }, [id], o) => {
      const functions = o.functions ? String(o.functions).split(',') : undefined;
      const body = bodyOf({ service_name: o.name, type: o.type, functions, auto_activate: o.activate });
      const res = await api('POST', `/api/v1/scripts/${enc(id!)}/generate_mcp_wrapper`, body);
      printObject(
        output,
        output.json ? res : res.service,
        output.json ? undefined : ['service_id', 'name', 'status', 'type'],
      );
    },
  )
    .option('--name <name>', 'service name')
    .option('--type <type>', 'function or executable', 'function')
    .option('--functions <list>', 'comma-separated functions to expose (default all)')
    .option('--activate', 'activate right away');
  for (const [verb, method, suffix] of [
    ['show', 'GET', ''],
    ['activate', 'POST', '/activate'],
    ['deactivate', 'POST', '/deactivate'],
    ['health', 'GET', '/health'],
    ['tools', 'GET', '/tools'],
  ] as const) {
    restCommand(services, `${verb} <id>`, `${verb} a service`, async ({ api, output }, [id]) => {
      printObject(output, await api(method, svc(id!, suffix)));
    });
  }
  restCommand(services, 'delete <id>', 'delete a service', async ({ api, output }, [id]) => {
    await api('DELETE', svc(id!));
    output.out(`deleted ${id}`);
  });
}
