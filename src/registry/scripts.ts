import {
  createError,
  isoTime,
  isSlug,
  sha256,
  validationError,
  type Trust,
  type ValidationIssue,
} from '../core/index.js';
import type { ConnectorManifest, ScriptParameter, WrapperSpec } from '../manifest/types.js';
import type { ScriptRecord, Store } from '../store/store.js';
import type { Registry } from './registry-service.js';
import type { InstallResult } from './types.js';

/** The subset of a script analysis the registry relies on (produced by the Python runtime). */
export interface ScriptAnalysisResult {
  functions: { name: string; description?: string; inputSchema: Record<string, unknown> }[];
  syntax_error: { line: number; column: number; message: string } | null;
  has_main: boolean;
  cli_parameters: ScriptParameter[];
  cli_description?: string | null;
  missing_modules: string[];
}

const asRecord = (analysis: ScriptAnalysisResult): Record<string, unknown> =>
  analysis as unknown as Record<string, unknown>;

/** Options of the script service; the analyser and wrapper builder are the Python runtime's, wired in cli. */
export interface ScriptServiceOptions {
  registry: Registry;
  store: Store;
  /** Imports the script in a child process; `trust` says whose code it is (tenant code: sandboxed or refused). */
  analyze: (content: string, filename: string, trust: Trust) => Promise<ScriptAnalysisResult>;
  buildWrapper: (spec: WrapperSpec) => string;
  maxBytes: number;
}

/** The body of `generate_mcp_wrapper`. */
export interface GenerateWrapperRequest {
  service_name?: string;
  description?: string;
  /** `function` (selected functions become tools) or `executable` (script mode, one tool). */
  type?: 'function' | 'executable';
  functions?: string[];
  parameters?: ScriptParameter[];
  hosting_mode?: 'stdio' | 'sse';
  auto_activate?: boolean;
  allow_network?: boolean;
  timeout_ms?: number;
  config?: Record<string, string>;
  /** Config keys the script reads from its environment. */
  env?: string[];
  project?: string;
  metadata?: Record<string, unknown>;
}

/** A script as listed (without its content). */
export type ScriptSummary = Omit<ScriptRecord, 'content'>;

/**
 * Uploaded Python scripts: stored content-addressed in the store (so every node can run them), analysed in a
 * child process, and turned into python connectors ("services") of a project.
 */
export class ScriptService {
  readonly #o: ScriptServiceOptions;

  constructor(options: ScriptServiceOptions) {
    this.#o = options;
  }

  /** Checks, analyses and stores an upload. A syntax error is refused with its line. */
  async upload(tenantId: string, filename: string, data: Buffer, trust: Trust = 'tenant'): Promise<ScriptSummary> {
    if (!/\.py$/i.test(filename)) {
      throw validationError('not a Python script', [
        { pointer: '/file', message: `file name ${filename} must end in .py` },
      ]);
    }
    if (data.byteLength > this.#o.maxBytes) {
      throw createError('payload_too_large', `script is ${data.byteLength} bytes; the limit is ${this.#o.maxBytes}`);
    }
    let content: string;
    try {
      content = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      throw validationError('script is not UTF-8', [{ pointer: '/file', message: 'must be UTF-8 text' }]);
    }
    const analysis = await this.#o.analyze(content, filename, trust);
    if (analysis.syntax_error) {
      const { line, column, message } = analysis.syntax_error;
      throw validationError(`syntax error in ${filename} at line ${line}: ${message}`, [
        { pointer: '/file', message: `${filename}:${line}:${column}: ${message}`, file: filename, line, column },
      ]);
    }
    const record: ScriptRecord = {
      id: sha256(data),
      tenant_id: tenantId,
      filename: basename(filename),
      content,
      size: data.byteLength,
      analysis: asRecord(analysis),
      created_at: isoTime(),
    };
    const saved = await this.#o.store.saveScript(record);
    if (!saved.analysis) await this.#o.store.setScriptAnalysis(tenantId, saved.id, asRecord(analysis));
    const { content: _content, ...summary } = { ...saved, analysis: saved.analysis ?? asRecord(analysis) };
    return summary;
  }

  list(tenantId: string, search?: string): Promise<ScriptSummary[]> {
    return this.#o.store.listScripts(tenantId, search);
  }

  async get(tenantId: string, id: string): Promise<ScriptRecord> {
    const script = await this.#o.store.getScript(tenantId, id);
    if (!script) throw createError('not_found', `script ${id} not found`);
    return script;
  }

  /** Deletes a script no service uses any more (409 naming the services otherwise). */
  async delete(tenantId: string, id: string): Promise<void> {
    await this.get(tenantId, id);
    const users = (await this.#o.store.listConnectors({ tenantId })).filter((c) => c.metadata.script_id === id);
    if (users.length) {
      throw createError(
        'conflict',
        `script ${id} is used by ${users.map((u) => `${u.project_id}/${u.name}`).join(', ')}`,
        {
          services: users.map((u) => u.name),
        },
      );
    }
    await this.#o.store.deleteScript(tenantId, id);
  }

  /** Re-runs the analysis (e.g. after the runtime learned new types) and stores it. */
  async discover(tenantId: string, id: string, trust: Trust = 'tenant'): Promise<ScriptAnalysisResult> {
    const script = await this.get(tenantId, id);
    const analysis = await this.#o.analyze(script.content, script.filename, trust);
    await this.#o.store.setScriptAnalysis(tenantId, id, asRecord(analysis));
    return analysis;
  }

  /** Turns a stored script into a python connector of a project, registered (and activated when asked). */
  async generateWrapper(
    tenantId: string,
    id: string,
    request: GenerateWrapperRequest,
    trust: Trust = 'tenant',
  ): Promise<InstallResult> {
    const script = await this.get(tenantId, id);
    const analysis =
      (script.analysis as unknown as ScriptAnalysisResult | null) ?? (await this.discover(tenantId, id, trust));
    const type =
      request.type ??
      (request.parameters || (!analysis.functions.length && analysis.has_main) ? 'executable' : 'function');
    const name = request.service_name ?? slugFrom(script.filename);
    const issues: ValidationIssue[] = [];
    if (!isSlug(name))
      issues.push({ pointer: '/service_name', message: 'must be a slug: lower-case letters, digits, - and _' });
    const available = new Set(analysis.functions.map((f) => f.name));
    if (type === 'function') {
      if (!analysis.functions.length) {
        issues.push({
          pointer: '/functions',
          message: analysis.missing_modules.length
            ? `the script imports missing modules: ${analysis.missing_modules.join(', ')}`
            : 'the script has no public function to expose',
        });
      }
      (request.functions ?? []).forEach((f, i) => {
        if (!available.has(f)) issues.push({ pointer: `/functions/${i}`, message: `no public function named ${f}` });
      });
    }
    if (issues.length) throw validationError('cannot generate a wrapper', issues);
    const config: ConnectorManifest['config'] = {};
    for (const key of new Set([...(request.env ?? []), ...Object.keys(request.config ?? {})])) {
      config[key] = { secret: true, required: false, env: key };
    }
    const manifest = {
      name,
      version: '1.0.0',
      kind: 'python',
      description:
        request.description ??
        (type === 'executable' ? analysis.cli_description : undefined) ??
        `Python service from ${script.filename}`,
      ...(Object.keys(config).length ? { config } : {}),
      python: {
        script_id: id,
        mode: type === 'executable' ? 'script' : 'functions',
        ...(type === 'function' && request.functions?.length ? { functions: request.functions } : {}),
        ...(type === 'executable'
          ? { parameters: request.parameters ?? analysis.cli_parameters, tool_name: name }
          : {}),
        ...(request.allow_network === undefined ? {} : { allow_network: request.allow_network }),
        ...(request.timeout_ms === undefined ? {} : { timeout_ms: request.timeout_ms }),
      },
    };
    const existing = await this.#o.store.getConnector(tenantId, request.project ?? 'default', name);
    if (existing) {
      // A regenerated wrapper is a new version of the service.
      const versions = await this.#o.store.listConnectorVersions(tenantId, request.project ?? 'default', name);
      manifest.version = `1.0.${versions.length}`;
    }
    return this.#o.registry.install({
      tenantId,
      projectId: request.project ?? 'default',
      manifest,
      ...(request.config ? { config: request.config } : {}),
      enabled: request.auto_activate ?? false,
      metadata: {
        ...(request.metadata ?? {}),
        script_id: id,
        service_type: type,
        hosting_mode: request.hosting_mode ?? 'sse',
      },
      trust,
    });
  }

  /** The standalone wrapper of a python service: one file runnable with nothing but Python 3. */
  async wrapperFor(tenantId: string, projectId: string, name: string): Promise<{ filename: string; content: string }> {
    const manifest = await this.#o.registry.getManifest(tenantId, projectId, name);
    const spec = manifest.python;
    if (manifest.kind !== 'python' || !spec?.script_id) {
      throw createError('unprocessable', `service ${name} is not built from an uploaded Python script`);
    }
    const script = await this.get(tenantId, spec.script_id);
    return {
      filename: `${name}_mcp_server.py`,
      content: this.#o.buildWrapper({
        content: script.content,
        filename: script.filename,
        mode: spec.mode,
        ...(spec.functions.length ? { functions: spec.functions } : {}),
        ...(spec.mode === 'script' ? { parameters: spec.parameters, toolName: spec.tool_name ?? name } : {}),
        ...(manifest.description ? { description: manifest.description } : {}),
      }),
    };
  }
}

function basename(filename: string): string {
  return filename.split(/[\\/]/).pop() ?? filename;
}

function slugFrom(filename: string): string {
  const base = basename(filename)
    .replace(/\.py$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  return (base || 'script').slice(0, 64);
}
