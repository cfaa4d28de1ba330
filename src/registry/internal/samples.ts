import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest } from '../../manifest/index.js';
import type { InstallRequest, InstallResult } from '../types.js';

/**
 * Installs every sample manifest of `dir` into a project. Two samples may describe the same connector (a
 * legacy-format twin): the first one wins. A sample that needs a secret (an API key) that `configFor` does not
 * give is installed disabled.
 */
export async function installSamples(
  dir: string,
  tenantId: string,
  projectId: string,
  install: (request: InstallRequest) => Promise<InstallResult>,
  configFor: (connector: string) => Record<string, string> | undefined = () => undefined,
): Promise<InstallResult[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const results: InstallResult[] = [];
  const installed = new Set<string>();
  for (const file of files) {
    const filePath = join(dir, file);
    const parsed = parseManifest(await readFile(filePath, 'utf8'), { file: filePath });
    if (!parsed.ok || installed.has(parsed.manifest.name)) continue;
    installed.add(parsed.manifest.name);
    const config = configFor(parsed.manifest.name) ?? {};
    const needsSecret = Object.entries(parsed.manifest.config).some(
      ([key, c]) => c.required && c.default === undefined && config[key] === undefined,
    );
    // Samples ship with the server: the operator's content, whoever asks for them.
    results.push(await install({ tenantId, projectId, filePath, config, enabled: !needsSecret, trust: 'operator' }));
  }
  return results;
}
