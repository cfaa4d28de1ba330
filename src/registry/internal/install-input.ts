import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { sha256, validationError, type ToolDefinition, type ValidationIssue } from '../../core/index.js';
import { formatIssues, parseManifestOffThread } from '../../manifest/index.js';
import type { ConnectorManifest } from '../../manifest/types.js';
import type { InstallRequest } from '../types.js';

/**
 * Reads (when only a file is named), parses and validates an install request's manifest; resolves python script
 * paths, then lets `admit` refuse it before any script file is read (so a refused path cannot probe the disk).
 */
export async function parseInstallRequest(
  request: InstallRequest,
  admit: (manifest: ConnectorManifest) => void | Promise<void> = () => undefined,
): Promise<{ manifest: ConnectorManifest; scriptHash: string }> {
  const file = request.filePath ? resolve(request.filePath) : undefined;
  let input = request.manifest;
  if (input === undefined) {
    if (!file) throw validationError('nothing to install', [{ pointer: '/manifest', message: 'is required' }]);
    try {
      input = await readFile(file, 'utf8');
    } catch {
      throw validationError('manifest file cannot be read', [
        { pointer: '/file_path', message: `file ${file} cannot be read` },
      ]);
    }
  }
  const parsed = await parseManifestOffThread(input, file ? { file, baseDir: dirname(file) } : {});
  if (!parsed.ok) throw validationError(`manifest is invalid:\n${formatIssues(parsed.issues)}`, parsed.issues);
  const manifest = parsed.manifest;
  let scriptHash = '';
  if (manifest.kind === 'python' && manifest.python?.script) {
    const script = isAbsolute(manifest.python.script)
      ? manifest.python.script
      : resolve(file ? dirname(file) : process.cwd(), manifest.python.script);
    manifest.python.script = script;
  }
  // A relative working folder of a stdio upstream is the manifest file's folder, like a python script path.
  if (manifest.kind === 'mcp' && manifest.mcp?.cwd !== undefined && file && !isAbsolute(manifest.mcp.cwd)) {
    if (!manifest.mcp.cwd.includes('${')) manifest.mcp.cwd = resolve(dirname(file), manifest.mcp.cwd);
  }
  await admit(manifest);
  if (manifest.kind === 'python' && manifest.python?.script) {
    const script = manifest.python.script;
    try {
      scriptHash = sha256(await readFile(script));
    } catch {
      throw validationError('python script not found', [
        { pointer: '/python/script', message: `file ${script} cannot be read`, ...(file ? { file } : {}) },
      ]);
    }
  }
  return { manifest, scriptHash };
}

/** Checks config values against the keys a manifest declares (`requireAll`: every required key must be set). */
export function checkConfig(manifest: ConnectorManifest, config: Record<string, string>, requireAll: boolean): void {
  const issues: ValidationIssue[] = [];
  for (const [key, spec] of Object.entries(manifest.config)) {
    if (requireAll && spec.required && config[key] === undefined && spec.default === undefined) {
      issues.push({ pointer: `/config/${key}`, message: `required config key ${key} is missing` });
    }
  }
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'string') issues.push({ pointer: `/config/${key}`, message: 'must be a string' });
  }
  if (issues.length) throw validationError('connector config is incomplete', issues);
}

/** A discovered tool definition in manifest form (what a version records of python and mcp connectors). */
export function toManifestTool(def: ToolDefinition): ConnectorManifest['tools'][number] {
  return {
    name: def.name,
    ...(def.title === undefined ? {} : { title: def.title }),
    ...(def.description === undefined ? {} : { description: def.description }),
    input_schema: def.inputSchema,
    ...(def.outputSchema === undefined ? {} : { output_schema: def.outputSchema }),
    ...(def.annotations === undefined ? {} : { annotations: def.annotations }),
  };
}
