import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Each step starts a CLI process; on a loaded 2-core runner a dozen of them can take longer than the default 30 s.
describe('the REST client commands through a started server', { timeout: 120_000 }, () => {
  let server: ServerProcess;
  let api: Server;
  let apiUrl: string;
  let home: string;
  let env: Record<string, string>;

  const cli = (args: string[], extra: Record<string, string> = {}): Promise<Run> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        { env: { ...env, ...extra }, timeout: 20_000 },
        (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    server = await startServerProcess();
    api = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ echoed: req.url }));
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    home = mkdtempSync(join(tmpdir(), 'toolport-cli-home-'));
    env = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      TOOLPORT_CLI_CONFIG: join(home, 'cli.json'),
      TOOLPORT_URL: server.url,
      TOOLPORT_TOKEN: server.adminToken,
    };
  });

  afterAll(async () => {
    await server?.stop();
    api?.close();
  });

  it('prints help for every command group', async () => {
    for (const group of ['keys', 'tenants', 'projects', 'connectors', 'tools', 'services', 'login']) {
      const run = await cli([group, '--help']);
      expect(run.code, group).toBe(0);
      expect(run.stdout).toContain(`toolport ${group}`);
    }
    const call = await cli(['tools', 'call', '--help']);
    expect(call.stdout).toContain('--arg <key=value>');
  });

  it('says how to get a token when none is given', async () => {
    const run = await cli(['projects', 'list'], { TOOLPORT_TOKEN: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--token.*TOOLPORT_TOKEN.*toolport login/s);
  });

  it('manages tenants and keys, and a created key works for the other commands', async () => {
    expect((await cli(['tenants', 'create', 'acme'])).code).toBe(0);
    expect((await cli(['tenants', 'list'])).stdout).toMatch(/^acme\s/m);
    const created = await cli([
      'keys',
      'create',
      '--tenant',
      'acme',
      '--name',
      'dev',
      '--scopes',
      'admin,invoke',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string };
    expect(key.key).toMatch(/^tp_/);
    const listed = await cli(['keys', 'list', '--tenant', 'acme']);
    expect(listed.stdout).toContain(key.id);
    expect(listed.stdout).not.toContain(key.key);

    const login = await cli(['login', '--url', server.url, '--token', key.key], {
      TOOLPORT_URL: '',
      TOOLPORT_TOKEN: '',
    });
    expect(login.code).toBe(0);
    expect(statSync(join(home, 'cli.json')).mode & 0o777).toBe(0o600);
    const asTenant = { TOOLPORT_URL: '', TOOLPORT_TOKEN: '' };
    expect((await cli(['projects', 'create', 'shop', '--name', 'Shop'], asTenant)).code).toBe(0);
    const projects = await cli(['projects', 'list', '--json'], asTenant);
    expect((JSON.parse(projects.stdout) as { id: string }[]).map((p) => p.id)).toContain('shop');
    // The tenant key is not the operator's.
    expect((await cli(['tenants', 'list'], asTenant)).code).toBe(1);

    expect((await cli(['keys', 'revoke', key.id, '--tenant', 'acme'])).code).toBe(0);
    const after = await cli(['projects', 'list'], asTenant);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('unauthorized');
  });

  it('installs, lists, disables, versions, rolls back and uninstalls connectors, and calls tools', async () => {
    expect((await cli(['projects', 'create', 'cli-demo'])).code).toBe(0);
    const file = join(home, 'echo.yaml');
    const manifest = (version: string, tools: string[]): string =>
      [
        'name: echo',
        `version: ${version}`,
        'kind: http',
        'http:',
        `  base_url: ${apiUrl}`,
        'tools:',
        ...tools.flatMap((t) => [
          `  - name: ${t}`,
          '    input_schema: { type: object, properties: { q: { type: string } } }',
          `    http: { method: GET, path: /${t} }`,
        ]),
      ].join('\n');
    writeFileSync(file, manifest('1.0.0', ['first']));
    const installed = await cli(['connectors', 'install', file, '--project', 'cli-demo']);
    expect(installed.stdout).toMatch(/installed echo 1\.0\.0/);
    writeFileSync(file, manifest('1.1.0', ['first', 'second']));
    expect((await cli(['connectors', 'install', file, '--project', 'cli-demo'])).stdout).toMatch(
      /updated echo 1\.1\.0/,
    );

    const list = await cli(['connectors', 'list', '--project', 'cli-demo']);
    expect(list.stdout).toMatch(/^echo\s+http\s+1\.1\.0\s+true\s+active/m);
    const versions = await cli(['connectors', 'versions', 'echo', '--project', 'cli-demo']);
    expect(versions.stdout).toMatch(/^2\s+1\.1\.0\s+true\s+second/m);

    const call = await cli(['tools', 'call', 'echo__second', '--project', 'cli-demo', '--arg', 'q=hello']);
    expect(call.code).toBe(0);
    expect(call.stdout).toContain('/second?q=hello');
    const tools = await cli(['tools', 'list', '--project', 'cli-demo']);
    expect(tools.stdout).toMatch(/^echo__second\s+active\s+1\s/m);

    const invalid = await cli(['tools', 'call', 'echo__second', '--project', 'cli-demo', '--arg', 'q=5']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('/q');

    expect((await cli(['connectors', 'disable', 'echo', '--project', 'cli-demo'])).stdout).toMatch(
      /status:\s+inactive/,
    );
    expect((await cli(['connectors', 'enable', 'echo', '--project', 'cli-demo'])).stdout).toMatch(/status:\s+active/);
    const rolled = await cli(['connectors', 'rollback', 'echo', '--to', '1', '--project', 'cli-demo']);
    expect(rolled.stdout).toMatch(/version:\s+1\.0\.0/);
    expect((await cli(['connectors', 'health', 'echo', '--check', '--project', 'cli-demo'])).code).toBe(0);
    expect((await cli(['connectors', 'uninstall', 'echo', '--project', 'cli-demo'])).code).toBe(0);
    expect((await cli(['connectors', 'list', '--project', 'cli-demo'])).stdout).toContain('no connectors');
  });

  it('sends the optional flags it is given, and only those', async () => {
    const described = await cli(['projects', 'create', 'flags', '--description', 'flag checks', '--json']);
    expect(JSON.parse(described.stdout)).toMatchObject({ id: 'flags', description: 'flag checks' });
    const file = join(home, 'flagged.yaml');
    const manifest = (path: string): string =>
      `name: flagged\nversion: 1.0.0\nkind: http\nhttp: { base_url: ${apiUrl} }\ntools:\n` +
      `  - name: get\n    http: { method: GET, path: ${path} }\n`;
    writeFileSync(file, manifest('/a'));
    expect((await cli(['connectors', 'install', file, '--project', 'flags', '--disabled'])).code).toBe(0);
    expect((await cli(['connectors', 'list', '--project', 'flags'])).stdout).toMatch(
      /^flagged\s+http\s+1\.0\.0\s+false/m,
    );
    writeFileSync(file, manifest('/b'));
    const unforced = await cli(['connectors', 'install', file, '--project', 'flags']);
    expect(unforced.code).toBe(1);
    expect((await cli(['connectors', 'install', file, '--project', 'flags', '--force'])).code).toBe(0);

    const script = join(home, 'two.py');
    writeFileSync(script, 'def one() -> int:\n    return 1\n\n\ndef two() -> int:\n    return 2\n');
    const id = /script_id: (\w+)/.exec((await cli(['services', 'upload', script])).stdout)![1]!;
    const generated = await cli(['services', 'generate', id, '--name', 'only-two', '--functions', 'two', '--activate']);
    expect(generated.code).toBe(0);
    const tools = await cli(['services', 'tools', 'only-two', '--json']);
    const names = (JSON.parse(tools.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toEqual([expect.stringMatching(/two$/)]);
  });

  it('uploads a script and turns it into a service it can activate and call', async () => {
    const script = join(home, 'adder.py');
    writeFileSync(script, 'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n');
    const upload = await cli(['services', 'upload', script]);
    expect(upload.code).toBe(0);
    expect(upload.stdout).toContain('functions: add');
    const id = /script_id: (\w+)/.exec(upload.stdout)![1]!;
    const generated = await cli(['services', 'generate', id, '--name', 'adder', '--activate']);
    expect(generated.code).toBe(0);
    expect((await cli(['services', 'list'])).stdout).toMatch(/^adder\s+adder/m);
    const call = await cli(['tools', 'call', 'adder__add', '--arg', 'a=2', '--arg', 'b=40']);
    expect(call.stdout).toContain('42');
    expect((await cli(['services', 'deactivate', 'adder'])).code).toBe(0);
    expect((await cli(['services', 'delete', 'adder'])).code).toBe(0);
    expect(readFileSync(join(home, 'cli.json'), 'utf8')).not.toContain(server.adminToken);
  });
});
