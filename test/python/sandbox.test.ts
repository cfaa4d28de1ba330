import { readdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ToolSource } from '../../src/core/index.js';
import { createPythonSource } from '../../src/sources/python/index.js';

import { createWorkdir, firstText, pythonManifest, sandboxAvailable } from './helpers.js';

const SCRIPT = `
import os, socket


def connect(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as conn:
        return conn.recv(16).decode()


def env() -> list[str]:
    return sorted(os.environ)


def env_value(name: str) -> str | None:
    return os.environ.get(name)


def try_write(paths: list[str]) -> dict:
    outcome = {}
    for path in paths:
        try:
            with open(path, "w") as fh:
                fh.write("x")
            outcome[path] = "written"
        except OSError as exc:
            outcome[path] = type(exc).__name__
    return outcome


def try_read(path: str) -> str:
    try:
        with open(path) as fh:
            return "read:" + fh.read()
    except OSError as exc:
        return type(exc).__name__


def where() -> dict:
    return {"cwd": os.getcwd(), "home": os.path.expanduser("~"), "tmp": os.environ.get("TMPDIR")}
`;

const BASE_ENV = ['HOME', 'LANG', 'PATH', 'PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED', 'TMPDIR'];

describe('python sandbox (bubblewrap)', async () => {
  const available = await sandboxAvailable();
  const work = createWorkdir('sandbox');
  const script = work.write('tools/sandboxed.py', SCRIPT);
  const neighbour = work.write('tools/other-tenant-secret.txt', 'top secret');
  const sources: ToolSource[] = [];
  let server: Server;
  let port = 0;
  let accepted = 0;

  const open = (
    python: Parameters<typeof pythonManifest>[1] = {},
    sandbox: 'required' | 'off' = 'required',
  ): ToolSource => {
    const source = createPythonSource({
      manifest: pythonManifest(script, python, {
        api_token: { secret: true, required: true, env: 'API_TOKEN' },
        REGION: { secret: false, required: false, default: 'eu-1' },
      }),
      config: { api_token: 'tok-123', undeclared: 'must-not-appear' },
      sandbox,
      scratchRoot: join(work.dir, 'scratch'),
    });
    sources.push(source);
    return source;
  };

  beforeAll(async () => {
    process.env.TOOLPORT_SECRET_FOR_TEST = 'leak-me-not';
    server = createServer((socket) => {
      accepted++;
      socket.end('hello');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    delete process.env.TOOLPORT_SECRET_FOR_TEST;
    await Promise.all(sources.map((s) => s.close()));
    await new Promise((resolve) => server.close(resolve));
    work.cleanup();
  });

  describe.skipIf(!available)('with bwrap', () => {
    it('reports itself as sandboxed', async () => {
      const source = open();
      await source.load();
      expect(source.info!()).toMatchObject({ sandboxed: true });
    });

    it('blocks network access unless the connector allows it', async () => {
      const blocked = await open().invoke('connect', { port });
      expect(blocked.isError).toBe(true);
      expect(firstText(blocked)).toMatch(/^(ConnectionRefusedError|OSError)/);
      expect(accepted).toBe(0);

      const allowed = await open({ allow_network: true }).invoke('connect', { port });
      expect(allowed.structuredContent).toEqual({ result: 'hello' });
      expect(accepted).toBe(1);
    });

    it('passes only the scrubbed environment plus declared config', async () => {
      const source = open();
      const keys = (await source.invoke('env', {})).structuredContent!.result;
      expect(keys).toEqual([...BASE_ENV, 'API_TOKEN', 'REGION'].sort());
      expect((await source.invoke('env_value', { name: 'API_TOKEN' })).structuredContent).toEqual({
        result: 'tok-123',
      });
      expect((await source.invoke('env_value', { name: 'REGION' })).structuredContent).toEqual({ result: 'eu-1' });
      // The secrets file handed to the runner is gone once the worker has started.
      const scratchDirs = readdirSync(join(work.dir, 'scratch'));
      for (const dir of scratchDirs) {
        expect(readdirSync(join(work.dir, 'scratch', dir)).filter((f) => f.startsWith('.toolport-env'))).toEqual([]);
      }
    });

    it('makes the filesystem read-only except the scratch dir, which is cwd, HOME and TMPDIR', async () => {
      const source = open();
      const where = (await source.invoke('where', {})).structuredContent as { cwd: string; home: string; tmp: string };
      expect(where.cwd).toBe(where.home);
      expect(where.tmp).toBe(where.home);
      expect(where.cwd.startsWith(join(work.dir, 'scratch'))).toBe(true);
      const scratchFile = join(where.cwd, 'out.txt');
      const writes = await source.invoke('try_write', {
        paths: [
          scratchFile,
          script,
          join(work.dir, 'tools', 'new.txt'),
          '/usr/toolport-x',
          '/etc/toolport-x',
          '/tmp/toolport-x',
          '/toolport-x',
        ],
      });
      expect(writes.structuredContent).toEqual({
        [scratchFile]: 'written',
        [script]: 'OSError',
        [join(work.dir, 'tools', 'new.txt')]: expect.stringMatching(/^(OSError|FileNotFoundError|PermissionError)$/),
        '/usr/toolport-x': 'OSError',
        '/etc/toolport-x': 'OSError',
        '/tmp/toolport-x': expect.stringMatching(/^(OSError|FileNotFoundError|PermissionError)$/),
        '/toolport-x': expect.stringMatching(/^(OSError|FileNotFoundError|PermissionError)$/),
      });
      // Files beside the script (other scripts, other tenants) are not even visible.
      expect((await source.invoke('try_read', { path: neighbour })).structuredContent).toEqual({
        result: 'FileNotFoundError',
      });
    });
  });

  describe('without bwrap (sandbox off)', () => {
    it('still scrubs the environment and runs in the scratch dir', async () => {
      const source = open({}, 'off');
      const keys = (await source.invoke('env', {})).structuredContent!.result;
      expect(keys).toEqual([...BASE_ENV, 'API_TOKEN', 'REGION'].sort());
      expect(source.info!()).toMatchObject({ sandboxed: false });
      const where = (await source.invoke('where', {})).structuredContent as { cwd: string; home: string; tmp: string };
      expect(where.cwd.startsWith(join(work.dir, 'scratch'))).toBe(true);
    });
  });
});
