import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientConfig } from '../../src/gateway/index.js';
import { type RunningGateway, TOKENS, createFixtureProvider, startGateway } from './fixtures.js';

const require = createRequire(import.meta.url);
const INSPECTOR = join(
  dirname(require.resolve('@modelcontextprotocol/inspector/package.json')),
  'clients',
  'launcher',
  'build',
  'index.js',
);

let gw: RunningGateway;

beforeAll(async () => {
  gw = await startGateway(await createFixtureProvider());
});
afterAll(async () => {
  await gw.close();
});

/** Runs the Inspector CLI (asynchronously: the gateway under test lives in this process). */
function inspector(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [INSPECTOR, '--cli', ...args],
      { timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('MCP Inspector CLI', () => {
  const url = () => `${gw.baseUrl}/mcp/p1`;
  const auth = ['--transport', 'http', '--header', `Authorization: Bearer ${TOKENS.tenantA}`];

  it('lists the tools of a project', async () => {
    const { code, stdout, stderr } = await inspector([url(), ...auth, '--method', 'tools/list']);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('echo__echo');
    expect(stdout).toContain('other__echo');
  });

  it('calls a tool', async () => {
    const { code, stdout, stderr } = await inspector([
      url(),
      ...auth,
      '--method',
      'tools/call',
      '--tool-name',
      'echo__echo',
      '--tool-arg',
      'text=from-inspector',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('from-inspector');
  });

  it('runs the command line the client-config generator produces', async () => {
    const { inspector: entry } = buildClientConfig({ baseUrl: gw.baseUrl, projectId: 'p1', token: TOKENS.tenantA });
    // `npx @modelcontextprotocol/inspector --cli URL …` → the same arguments against the installed launcher.
    const args = entry.command
      .replace(/^npx @modelcontextprotocol\/inspector --cli /, '')
      .match(/"[^"]*"|\S+/g)!
      .map((a) => a.replace(/^"|"$/g, ''));
    const { code, stdout, stderr } = await inspector(args);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('echo__add');
  });
});
