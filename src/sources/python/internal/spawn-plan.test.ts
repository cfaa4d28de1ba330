import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { silentLogger } from '../../../core/index.js';
import type { ConnectorManifest } from '../../../manifest/types.js';

import { configEnv, createSpawnSpec, serveArgs } from './spawn-plan.js';

const manifest = (overrides: Partial<ConnectorManifest> = {}): ConnectorManifest => ({
  name: 'weather',
  version: '1.0.0',
  kind: 'python',
  description: 'Weather tools',
  config: {
    api_key: { secret: true, required: true, env: 'WEATHER_KEY' },
    region: { secret: false, required: false, default: 'eu' },
    'bad name': { secret: false, required: false },
  },
  python: {
    script: '/srv/scripts/weather.py',
    mode: 'functions',
    functions: [],
    parameters: [],
    allow_network: false,
    timeout_ms: 1000,
    memory_mb: 128,
    max_workers: 2,
  },
  tools: [],
  ...overrides,
});

const install = { executable: '/opt/py/bin/python3.11', prefixes: ['/opt/py'], version: '3.11.7' };

describe('configEnv', () => {
  it('maps declared keys to their env names, applies defaults, drops undeclared and invalid names', () => {
    const env = configEnv(manifest(), { api_key: 's3cret', 'bad name': 'x', undeclared: 'y' }, silentLogger);
    expect(env).toEqual({ WEATHER_KEY: 's3cret', region: 'eu' });
  });
});

describe('serveArgs', () => {
  it('passes selected functions and the memory limit', () => {
    const m = manifest();
    m.python!.functions = ['forecast', 'alerts'];
    expect(serveArgs(m, m.python!, '/srv/scripts/weather.py')).toEqual([
      'serve',
      '/srv/scripts/weather.py',
      '--functions',
      'forecast,alerts',
      '--memory-mb',
      '128',
    ]);
  });

  it('describes script mode with its parameters and tool name', () => {
    const m = manifest();
    m.python = { ...m.python!, mode: 'script', parameters: [{ name: 'city', type: 'string', required: true }] };
    expect(serveArgs(m, m.python, '/s.py')).toEqual([
      'serve',
      '/s.py',
      '--mode',
      'script',
      '--params-json',
      '[{"name":"city","type":"string","required":true}]',
      '--tool-name',
      'weather',
      '--description',
      'Weather tools',
      '--memory-mb',
      '128',
    ]);
  });
});

describe('createSpawnSpec', () => {
  const input = {
    install,
    runner: '/pkg/python/toolport_runner.py',
    runnerDir: '/pkg/python',
    script: '/srv/scripts/weather.py',
    scratch: '/tmp/scratch-1',
    runnerArgs: ['serve', '/srv/scripts/weather.py'],
    secretsEnv: { WEATHER_KEY: 's3cret' },
    allowNetwork: false,
  };

  it('never puts config values on a sandboxed command line', () => {
    const spec = createSpawnSpec({ ...input, sandboxed: true });
    expect(spec.command).toBe('bwrap');
    expect(spec.args.join(' ')).not.toContain('s3cret');
    expect(spec.env).not.toHaveProperty('WEATHER_KEY');
    expect(spec.args).toEqual(
      expect.arrayContaining(['--unshare-all', '--die-with-parent', '--clearenv', '--remount-ro']),
    );
    expect(spec.args).not.toContain('--share-net');
    expect(spec.prepare).toBeTypeOf('function');
  });

  it('shares the network only when the connector allows it', () => {
    expect(createSpawnSpec({ ...input, sandboxed: true, allowNetwork: true }).args).toContain('--share-net');
  });

  it('runs the real interpreter directly with a scrubbed env when not sandboxed', () => {
    const spec = createSpawnSpec({ ...input, sandboxed: false });
    expect(spec.command).toBe('/opt/py/bin/python3.11');
    expect(spec.cwd).toBe('/tmp/scratch-1');
    expect(Object.keys(spec.env).sort()).toEqual([
      'HOME',
      'LANG',
      'PATH',
      'PYTHONDONTWRITEBYTECODE',
      'PYTHONUNBUFFERED',
      'TMPDIR',
      'WEATHER_KEY',
    ]);
  });

  it('gives proxied code no host network: the egress forwarder is the entry point, the private dir is bound', () => {
    const spec = createSpawnSpec({ ...input, sandboxed: true, network: 'proxy', privateDir: '/tmp/tp-1' });
    expect(spec.args).not.toContain('--share-net');
    const bind = spec.args.indexOf('/tmp/tp-1');
    expect(spec.args.slice(bind - 1, bind + 2)).toEqual(['--ro-bind', '/tmp/tp-1', '/run/toolport']);
    const entry = spec.args.indexOf('/pkg/python/toolport_egress.py');
    expect(spec.args.slice(entry, entry + 5)).toEqual([
      '/pkg/python/toolport_egress.py',
      '--socket',
      '/run/toolport/egress.sock',
      '--',
      '/pkg/python/toolport_runner.py',
    ]);
  });

  it('makes the scratch a size-limited tmpfs and binds the script folder only when asked', () => {
    const spec = createSpawnSpec({ ...input, sandboxed: true, scratchMb: 8, bindScriptDir: true });
    const tmpfs = spec.args.indexOf('--tmpfs');
    expect(spec.args.slice(tmpfs - 2, tmpfs + 2)).toEqual([
      '--size',
      String(8 * 1024 * 1024),
      '--tmpfs',
      '/tmp/scratch-1',
    ]);
    expect(spec.args).toEqual(expect.arrayContaining(['--ro-bind', '/srv/scripts', '/srv/scripts']));
    expect(createSpawnSpec({ ...input, sandboxed: true }).args).not.toContain('/srv/scripts');
  });

  it('writes secrets to the private dir, names the in-sandbox path, and removes the file after start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spawn-plan-'));
    try {
      const spec = createSpawnSpec({ ...input, sandboxed: true, privateDir: dir });
      const prepared = spec.prepare!();
      expect(prepared.args[0]).toBe('--env-file');
      expect(prepared.args[1]).toMatch(/^\/run\/toolport\/\.toolport-env-[0-9a-f]+\.json$/);
      expect(readdirSync(dir)).toHaveLength(1);
      prepared.cleanup!();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
