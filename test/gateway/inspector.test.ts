import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientConfig } from '../../src/gateway/index.js';
import { type RunningGateway, TOKENS, createFixtureProvider, startGateway } from './fixtures.js';

// The Inspector is installed apart from the project, in test/tools (it declares Node >= 22.19; `npm test` installs
// it there through scripts/ensure-tools.mjs).
const TOOLS = resolve(import.meta.dirname, '../tools/node_modules/@modelcontextprotocol/inspector');
const INSPECTOR = join(TOOLS, 'clients', 'launcher', 'build', 'index.js');
const installed = existsSync(INSPECTOR);
if (!installed) {
  const why = `the MCP Inspector is not installed in test/tools (run: node scripts/ensure-tools.mjs test/tools)`;
  if (process.env.CI === 'true') throw new Error(why);
  console.warn(`[inspector] SKIPPED: ${why}`);
}

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

describe.skipIf(!installed)('MCP Inspector CLI', () => {
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
