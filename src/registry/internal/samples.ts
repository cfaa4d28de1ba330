import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest } from '../../manifest/index.js';
import type { InstallRequest, InstallResult } from '../types.js';

/**
 * Installs every sample manifest of `dir` into a project. Two samples may describe the same connector (a
 * legacy-format twin): the first one wins. A sample that needs a secret (an API key) is installed disabled.
 */
export async function installSamples(
  dir: string,
  tenantId: string,
  projectId: string,
  install: (request: InstallRequest) => Promise<InstallResult>,
): Promise<InstallResult[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const results: InstallResult[] = [];
  const installed = new Set<string>();
  for (const file of files) {
    const filePath = join(dir, file);
    const parsed = parseManifest(await readFile(filePath, 'utf8'), { file: filePath });
    if (!parsed.ok || installed.has(parsed.manifest.name)) continue;
    installed.add(parsed.manifest.name);
    const needsSecret = Object.values(parsed.manifest.config).some((c) => c.required && c.default === undefined);
    results.push(await install({ tenantId, projectId, filePath, enabled: !needsSecret }));
  }
  return results;
}
