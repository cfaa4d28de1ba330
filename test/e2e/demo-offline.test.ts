import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const TOKEN = 'demo-admin-token-0123456789abcdef';

/** Whether this machine lets us give a process a network namespace of its own with only loopback in it. */
function canIsolate(): boolean {
  try {
    execFileSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}
const isolated = canIsolate();
if (!isolated && process.env.CI !== 'true') {
  console.warn('demo-offline: skipped — needs `unshare --net` and `ip` (root) to cut the server off the network');
}

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** `toolport serve --samples` (what `npm start` runs after its build) in a network namespace with only loopback. */
async function startOffline(dataDir: string): Promise<Started> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dataDir, TOOLPORT_ADMIN_TOKEN: TOKEN };
  const child = spawn(
    'unshare',
    [
      '--net',
      'sh',
      '-c',
      `ip link set lo up && exec "$0" "$@"`,
      process.execPath,
      CLI,
      'serve',
      '--port',
      '0',
      '--data',
      dataDir,
      '--samples',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${out}`)), 60_000);
    // Checked on every chunk of output, when it arrives.
    const onData = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        clearTimeout(timer);
        done(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return { child, url, output: () => out };
}

/** Runs the CLI inside the server's network namespace (the only place its loopback port exists). */
function cliIn(server: Started, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'nsenter',
      [`--net=/proc/${server.child.pid}/ns/net`, process.execPath, CLI, ...args, '--project', 'demo'],
      { env: { PATH: process.env.PATH ?? '', TOOLPORT_URL: server.url, TOOLPORT_TOKEN: TOKEN }, timeout: 30_000 },
      (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function stop(server: Started | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

// Starting the demo (six samples) and a dozen CLI processes can take longer than the default 30 s when loaded.
describe.skipIf(!isolated && process.env.CI !== 'true')(
  'the demo works offline right after start',
  { timeout: 120_000 },
  () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toolport-demo-'));
    let server: Started | undefined;

    afterAll(async () => {
      await stop(server);
    });

    it('calls one tool of each kind with no network but loopback and no TOOLPORT_ALLOW_PRIVATE_NETWORKS', async () => {
      server = await startOffline(dataDir);
      const http = await cliIn(server, [
        'tools',
        'call',
        'task-manager__create_task',
        '--arg',
        'title=Write the report',
      ]);
      expect(http.code, http.stderr).toBe(0);
      expect(JSON.parse(http.stdout)).toMatchObject({ title: 'Write the report', status: 'todo' });
      const quotes = await cliIn(server, ['tools', 'call', 'quotes__search_quotes', '--arg', 'q=simplicity']);
      expect(quotes.code, quotes.stderr).toBe(0);
      expect(quotes.stdout).toContain('Dijkstra');
      const python = await cliIn(server, ['tools', 'call', 'text-tools__slugify', '--arg', 'title=Hello, World!']);
      expect(python.code, python.stderr).toBe(0);
      expect(python.stdout).toContain('hello-world');
      const mcp = await cliIn(server, ['tools', 'call', 'notes__add_note', '--arg', 'text=offline works']);
      expect(mcp.code, mcp.stderr).toBe(0);
      expect(mcp.stdout).toContain('offline works');
      // The internet samples are there, marked by their failure to reach the internet — not by breaking the others.
      const list = await cliIn(server, ['connectors', 'list', '--json']);
      const byName = Object.fromEntries(
        (JSON.parse(list.stdout) as { name: string; status: string }[]).map((c) => [c.name, c.status]),
      );
      expect(byName).toMatchObject({
        'task-manager': 'active',
        quotes: 'active',
        'text-tools': 'active',
        notes: 'active',
      });
    });

    it('keeps a deleted demo connector deleted across a restart', async () => {
      expect((await cliIn(server!, ['connectors', 'uninstall', 'weather'])).code).toBe(0);
      expect((await cliIn(server!, ['connectors', 'disable', 'quotes'])).code).toBe(0);
      await stop(server);
      server = await startOffline(dataDir);
      const list = await cliIn(server, ['connectors', 'list', '--json']);
      const rows = JSON.parse(list.stdout) as { name: string; enabled: boolean }[];
      expect(rows.map((c) => c.name)).not.toContain('weather');
      expect(rows.find((c) => c.name === 'quotes')?.enabled).toBe(false);
      // The local API moved to the new port with the server, and the demo's connectors followed it.
      const http = await cliIn(server, ['tools', 'call', 'task-manager__list_tasks']);
      expect(http.code, http.stderr).toBe(0);
      expect(http.stdout).toContain('Connect an MCP client');
    });
  },
);
