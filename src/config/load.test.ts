import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envName, loadConfig, unknownSettings } from './index.js';

describe('loadConfig', () => {
  it('fills defaults and freezes the result', () => {
    const config = loadConfig({ env: {} });
    expect(config.port).toBe(8090);
    expect(config.host).toBe('127.0.0.1');
    expect(config.allowPrivateNetworks).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('caps MCP sessions per key and tenant and expires idle ones after 5 minutes by default', () => {
    const config = loadConfig({ env: {} });
    expect([config.maxSessionsPerKey, config.maxSessionsPerTenant, config.sessionIdleMs]).toEqual([100, 500, 300_000]);
    const set = loadConfig({ env: { TOOLPORT_MAX_SESSIONS_PER_KEY: '0', TOOLPORT_MAX_SESSIONS_PER_TENANT: '7' } });
    expect([set.maxSessionsPerKey, set.maxSessionsPerTenant]).toEqual([0, 7]);
    expect(() => loadConfig({ env: { TOOLPORT_MAX_SESSIONS_PER_KEY: '-1' } })).toThrow(/TOOLPORT_MAX_SESSIONS_PER_KEY/);
  });

  it('maps TOOLPORT_* environment variables onto keys', () => {
    expect(envName('healthIntervalMs')).toBe('TOOLPORT_HEALTH_INTERVAL_MS');
    const config = loadConfig({
      env: { TOOLPORT_HOT_RELOAD: '1', TOOLPORT_HEALTH_INTERVAL_MS: '1500', TOOLPORT_ALLOW_PRIVATE_NETWORKS: '1' },
    });
    expect(config.hotReload).toBe(true);
    expect(config.healthIntervalMs).toBe(1500);
    expect(config.allowPrivateNetworks).toBe(true);
  });

  it('lets flags override env and env override the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tp-config-'));
    const file = join(dir, 'toolport.yaml');
    writeFileSync(file, 'port: 9001\nhost: 0.0.0.0\nlogLevel: debug\n');
    const config = loadConfig({ file, env: { TOOLPORT_PORT: '9002' }, flags: { port: 9003 } });
    expect(config.port).toBe(9003);
    expect(config.host).toBe('0.0.0.0');
    expect(config.logLevel).toBe('debug');
  });

  it('names the bad setting and its origin', () => {
    expect(() => loadConfig({ env: { TOOLPORT_PORT: 'eighty' } })).toThrow(/TOOLPORT_PORT from environment/);
    expect(() => loadConfig({ env: {}, flags: { databaseUrl: 'mysql://x' } })).toThrow(
      /databaseUrl from flags: must be a postgres/,
    );
  });

  it('rejects unknown keys in the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tp-config-'));
    const file = join(dir, 'toolport.yaml');
    writeFileSync(file, 'prot: 1\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/prot/);
  });
});

describe('unknownSettings', () => {
  it('names a misspelled TOOLPORT_ variable with the closest real one, and leaves known ones alone', () => {
    const warnings = unknownSettings({
      TOOLPORT_HEALT_INTERVAL_MS: '5',
      TOOLPORT_PORT: '1',
      TOOLPORT_TOKEN: 'x',
      TOOLPORT_SOMETHING_ELSE_ENTIRELY: '1',
      HOME: '/root',
    });
    expect(warnings).toEqual([
      'TOOLPORT_HEALT_INTERVAL_MS is not a Toolport setting and is ignored; did you mean TOOLPORT_HEALTH_INTERVAL_MS?',
      'TOOLPORT_SOMETHING_ELSE_ENTIRELY is not a Toolport setting and is ignored',
    ]);
  });
});
