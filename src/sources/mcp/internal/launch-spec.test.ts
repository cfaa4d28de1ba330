import { describe, expect, it } from 'vitest';
import type { ConnectorManifest, McpConnectorSpec } from '../../../manifest/types.js';
import { describeLaunch, resolveLaunchSpec } from './launch-spec.js';

function manifest(mcp: Partial<McpConnectorSpec>): ConnectorManifest {
  return {
    name: 'm',
    version: '1.0.0',
    kind: 'mcp',
    config: { key: { secret: true, required: true }, region: { secret: false, required: false, default: 'eu' } },
    mcp: { args: [], env: {}, headers: {}, ...mcp },
    tools: [],
  };
}

describe('resolveLaunchSpec', () => {
  it('resolves config references in command, args, env and cwd; defaults fill unset keys', () => {
    const launch = resolveLaunchSpec(
      manifest({ command: 'srv', args: ['--region=${config.region}'], env: { API_KEY: '${config.key}' }, cwd: '/tmp' }),
      { key: 'k1' },
    );
    expect(launch).toMatchObject({ transport: 'stdio', command: 'srv', args: ['--region=eu'], cwd: '/tmp' });
    expect(launch.transport === 'stdio' && launch.env.API_KEY).toBe('k1');
  });

  it('gives a stdio child only PATH, HOME and LANG from the server environment', () => {
    const launch = resolveLaunchSpec(manifest({ command: 'srv' }), { key: 'k' });
    const keys = launch.transport === 'stdio' ? Object.keys(launch.env) : [];
    expect(keys.every((k) => ['PATH', 'HOME', 'LANG'].includes(k))).toBe(true);
    expect(keys).toContain('PATH');
  });

  it('resolves url and headers for a remote upstream and describes it without secrets', () => {
    const launch = resolveLaunchSpec(
      manifest({
        url: 'https://mcp.example.com/${config.region}/mcp?x=1',
        headers: { Authorization: 'Bearer ${config.key}' },
      }),
      { key: 'secret-token' },
    );
    expect(launch.transport).toBe('http');
    expect(launch.transport === 'http' && launch.headers).toEqual({ Authorization: 'Bearer secret-token' });
    expect(describeLaunch(launch)).toBe('https://mcp.example.com/eu/mcp');
  });

  it('lists every missing config value and bad field by JSON pointer', () => {
    expect(() =>
      resolveLaunchSpec(manifest({ url: 'ftp://${config.key}/x', headers: { A: '${config.key}' } }), {}),
    ).toThrow(
      expect.objectContaining({
        code: 'validation_failed',
        details: {
          issues: [
            { pointer: '/mcp/url', message: 'config key key has no value' },
            { pointer: '/mcp/url', message: 'must be an http(s) URL' },
            { pointer: '/mcp/headers/A', message: 'config key key has no value' },
          ],
        },
      }),
    );
  });

  it('rejects a section with both or neither of command and url, and a non-mcp manifest', () => {
    expect(() => resolveLaunchSpec(manifest({ command: 'a', url: 'http://x' }), {})).toThrow(/cannot start/);
    expect(() => resolveLaunchSpec(manifest({}), {})).toThrow(/cannot start/);
    expect(() => resolveLaunchSpec({ ...manifest({}), kind: 'http' }, {})).toThrow(/not an mcp connector/);
  });
});
