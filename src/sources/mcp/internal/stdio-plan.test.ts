import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { silentLogger } from '../../../core/index.js';

import { planStdioProcess, tenantEnv } from './stdio-plan.js';

const launch = {
  transport: 'stdio' as const,
  command: process.execPath,
  args: ['/srv/mcp/server.js'],
  env: { PATH: '/evil', API_TOKEN: 's3cret', LD_PRELOAD: '/scratch/x.so', HOME: '/root' },
};
const sandbox = (allowUnsandboxed = false) => ({
  scratch: join(mkdtempSync(join(tmpdir(), 'toolport-plan-')), 'scratch'),
  protect: ['/var/lib/toolport'],
  readOnly: ['/srv/mcp/server.js'],
  allowUnsandboxed,
});

describe('planStdioProcess', () => {
  it('runs an operator upstream as configured, with the manifest env over the default variables', async () => {
    const spec = await planStdioProcess({
      launch: { ...launch, cwd: '/srv' },
      trust: 'operator',
      logger: silentLogger,
    });
    expect(spec).toMatchObject({ command: process.execPath, args: ['/srv/mcp/server.js'], cwd: '/srv', tag: true });
    expect(spec.env.API_TOKEN).toBe('s3cret');
  });

  it('wraps a tenant upstream in bwrap with a scrubbed env passed outside argv', async () => {
    const box = sandbox();
    const spec = await planStdioProcess({
      launch,
      trust: 'tenant',
      sandbox: box,
      logger: silentLogger,
      detect: async () => ({ available: true }),
    });
    expect(spec.command).toBe('bwrap');
    expect(spec.args.slice(-2)).toEqual([expect.stringContaining('node'), '/srv/mcp/server.js']);
    expect(spec.args.join(' ')).not.toContain('s3cret');
    expect(spec.env).toMatchObject({ HOME: box.scratch, TMPDIR: box.scratch, API_TOKEN: 's3cret' });
    expect(spec.env.LD_PRELOAD).toBeUndefined();
    expect(spec.env.PATH).not.toContain('/evil');
    expect(spec.cwd).toBe(box.scratch);
  });

  it('checks and runs the configured bubblewrap command (TOOLPORT_BWRAP_PATH), not whatever bwrap is on PATH', async () => {
    const asked: string[] = [];
    const spec = await planStdioProcess({
      launch,
      trust: 'tenant',
      sandbox: { ...sandbox(), bwrap: '/opt/bubblewrap/bin/bwrap' },
      logger: silentLogger,
      detect: async (command) => {
        asked.push(command);
        return { available: true };
      },
    });
    expect(asked).toEqual(['/opt/bubblewrap/bin/bwrap']);
    expect(spec.command).toBe('/opt/bubblewrap/bin/bwrap');
  });

  it('refuses a tenant upstream without bwrap, naming TOOLPORT_ALLOW_UNSANDBOXED', async () => {
    await expect(
      planStdioProcess({
        launch,
        trust: 'tenant',
        sandbox: sandbox(),
        logger: silentLogger,
        detect: async () => ({ available: false, reason: 'no user namespaces' }),
      }),
    ).rejects.toMatchObject({
      code: 'upstream_unavailable',
      message: expect.stringContaining('TOOLPORT_ALLOW_UNSANDBOXED'),
    });
  });

  it('runs it unsandboxed (scrubbed env, scratch cwd) only when the operator opted out', async () => {
    const box = sandbox(true);
    const spec = await planStdioProcess({
      launch,
      trust: 'tenant',
      sandbox: box,
      logger: silentLogger,
      detect: async () => ({ available: false }),
    });
    expect(spec.command).not.toBe('bwrap');
    expect(spec).toMatchObject({ cwd: box.scratch, tag: true, env: { HOME: box.scratch } });
  });

  it('confines a tenant upstream to its limits, bwrap included; an operator upstream is not confined', async () => {
    const limits = { maxProcesses: 16, maxMemoryMb: 64 };
    const spec = await planStdioProcess({
      launch,
      trust: 'tenant',
      sandbox: { ...sandbox(), limits },
      logger: silentLogger,
      detect: async () => ({ available: true }),
      cgroups: null,
    });
    // Without writable cgroups: rlimits set by a shell that then execs bwrap.
    const jail = spec.confine!(spec.command, spec.args);
    expect(jail.command).toBe('/bin/sh');
    expect(jail.args.slice(3, 6)).toEqual(['16', String(64 * 1024), 'bwrap']);
    expect(jail.args.slice(5)).toEqual([spec.command, ...spec.args]);
    const operator = await planStdioProcess({
      launch,
      trust: 'operator',
      sandbox: { ...sandbox(), limits },
      logger: silentLogger,
    });
    expect(operator.confine).toBeUndefined();
  });
});

describe('tenantEnv', () => {
  it("drops names that steer the host's loader or belong to the sandbox", () => {
    expect(tenantEnv({ LD_LIBRARY_PATH: 'x', GCONV_PATH: 'x', TMPDIR: 'x', KEY: 'v' })).toEqual({ KEY: 'v' });
  });
});
