import { fileURLToPath } from 'node:url';
import type { ConnectorManifest, McpConnectorSpec } from '../../src/manifest/types.js';

/** The stdio upstream fixture (a real SDK v2 server). */
export const FIXTURE = fileURLToPath(new URL('./fixtures/upstream.mjs', import.meta.url));

/** A normalised `kind: mcp` manifest; `mcp` overrides the stdio fixture launch. */
export function mcpManifest(mcp: Partial<McpConnectorSpec> = {}, name = 'up'): ConnectorManifest {
  return {
    name,
    version: '1.0.0',
    kind: 'mcp',
    config: { token: { secret: true, required: false }, mode: { secret: false, required: false, default: 'fast' } },
    mcp: { command: process.execPath, args: [FIXTURE], env: {}, headers: {}, ...mcp },
    tools: [],
  };
}

/** The YAML of a connector running a Node script as its stdio upstream, as a user would install it. */
export function stdioManifestYaml(name: string, script: string, env: Record<string, string> = {}): string {
  const envYaml = Object.entries(env)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  return `name: ${name}
version: 1.0.0
kind: mcp
mcp:
  command: ${JSON.stringify(process.execPath)}
  args: [${JSON.stringify(script)}]
${envYaml ? `  env:\n${envYaml}\n` : ''}`;
}

/** The YAML of a stdio fixture connector, as a user would install it. */
export function mcpManifestYaml(name = 'up', env: Record<string, string> = {}): string {
  return stdioManifestYaml(name, FIXTURE, env);
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
