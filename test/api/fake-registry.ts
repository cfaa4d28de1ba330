/**
 * A small RegistryApi over the real Store, standing in for the registry (written concurrently) so the
 * api's tests depend only on the RegistryApi contract. It keeps the contract's tenant scoping
 * (`not_found` outside the tenant) and deliberately leaks `config` in summaries, so the tests prove
 * the api strips secrets itself.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { createError, isoTime, isSlug, sha256, validationError, type ToolCallResult } from '../../src/core/index.js';
import type { ConnectorManifest } from '../../src/manifest/types.js';
import type { ConnectorSummary, RegistryApi, ToolSummary } from '../../src/registry/registry-api.js';
import type { InstallRequest, InstallResult, RegistryEvent } from '../../src/registry/types.js';
import type { ConnectorRecord, ConnectorVersionRecord, Store } from '../../src/store/store.js';

function toManifest(input: string | Record<string, unknown>): ConnectorManifest {
  let raw: unknown;
  try {
    raw = typeof input === 'string' ? parseYaml(input) : input;
  } catch {
    throw validationError('manifest is not valid YAML', [{ pointer: '', message: 'manifest is not valid YAML' }]);
  }
  const m = raw as Partial<ConnectorManifest> | null;
  if (!m || typeof m !== 'object')
    throw validationError('manifest must be an object', [{ pointer: '', message: 'must be an object' }]);
  if (typeof m.name !== 'string' || !isSlug(m.name))
    throw validationError('manifest name invalid', [{ pointer: '/name', message: 'name must be a slug' }]);
  if (typeof m.version !== 'string')
    throw validationError('manifest version invalid', [{ pointer: '/version', message: 'version is required' }]);
  return {
    name: m.name,
    version: m.version,
    kind: m.kind ?? 'http',
    config: m.config ?? {},
    tools: (m.tools ?? []).map((t) => ({ ...t, input_schema: t.input_schema ?? { type: 'object' } })),
  };
}

/** Creates the fake registry; `boom` tools throw a plain Error whose message holds a fake secret. */
export function createFakeRegistry(
  store: Store,
): RegistryApi & { installed: string[]; emit(event: RegistryEvent): void } {
  const listeners = new Set<(event: RegistryEvent) => void>();
  const project = async (tenantId: string, projectId: string) => {
    const p = await store.getProject(tenantId, projectId);
    if (!p) throw createError('not_found', `Project '${projectId}' not found.`);
    return p;
  };
  const connector = async (tenantId: string, projectId: string, name: string): Promise<ConnectorRecord> => {
    await project(tenantId, projectId);
    const c = await store.getConnector(tenantId, projectId, name);
    if (!c) throw createError('not_found', `Connector '${name}' not found.`);
    return c;
  };
  const currentManifest = async (c: ConnectorRecord): Promise<ConnectorManifest> =>
    (await store.getConnectorVersion(c.tenant_id, c.project_id, c.name, c.current_version))!.manifest;
  const summary = async (c: ConnectorRecord): Promise<ConnectorSummary> => {
    const m = await currentManifest(c);
    // `config` is left in on purpose: the api must not pass it on.
    return {
      ...c,
      version: m.version,
      tool_count: m.tools.length,
      tools: m.tools.map((t) => t.name),
      config_keys: Object.keys(c.config),
      runtime: {},
    } as ConnectorSummary;
  };
  const tools = async (tenantId: string, projectId: string): Promise<ToolSummary[]> => {
    const out: ToolSummary[] = [];
    for (const c of await store.listConnectors({ tenantId, projectId })) {
      for (const t of (await currentManifest(c)).tools) {
        out.push({
          name: t.name,
          qualified_name: `${c.name}__${t.name}`,
          connector: c.name,
          enabled: c.enabled,
          status: c.status,
          input_schema: t.input_schema,
          invocation_count: 0,
          last_used: null,
          loaded_at: null,
          connector_version: '1.0.0',
          usage: {
            calls: 0,
            errors: 0,
            total_latency_ms: 0,
            last_used_at: null,
            p50_ms: null,
            p95_ms: null,
            p99_ms: null,
          },
        });
      }
    }
    return out;
  };
  const installed: string[] = [];

  const api: RegistryApi & { installed: string[]; emit(event: RegistryEvent): void } = {
    installed,
    emit: (event) => listeners.forEach((l) => l(event)),
    async createProject(tenantId, input) {
      const now = isoTime();
      const record = {
        tenant_id: tenantId,
        id: input.id,
        name: input.name ?? input.id,
        description: input.description ?? '',
        created_at: now,
        updated_at: now,
      };
      await store.createProject(record);
      return record;
    },
    getProject: project,
    listProjects: (tenantId) => store.listProjects(tenantId),
    async updateProject(tenantId, projectId, patch) {
      const p = await store.updateProject(tenantId, projectId, { ...patch, updated_at: isoTime() });
      if (!p) throw createError('not_found', `Project '${projectId}' not found.`);
      return p;
    },
    async deleteProject(tenantId, projectId) {
      if (!(await store.deleteProject(tenantId, projectId)))
        throw createError('not_found', `Project '${projectId}' not found.`);
    },
    deleteTenant: (tenantId) => store.deleteTenant(tenantId),
    async ensureTenantDefaults(tenantId) {
      if (!(await store.getProject(tenantId, 'default'))) await api.createProject(tenantId, { id: 'default' });
    },
    async install(req: InstallRequest): Promise<InstallResult> {
      await project(req.tenantId, req.projectId);
      const manifest = toManifest(req.manifest ?? readFileSync(req.filePath ?? '', 'utf8'));
      const existing = await store.getConnector(req.tenantId, req.projectId, manifest.name);
      const hash = sha256(JSON.stringify(manifest));
      const now = isoTime();
      if (existing) {
        const current = await store.getConnectorVersion(
          req.tenantId,
          req.projectId,
          existing.name,
          existing.current_version,
        );
        if (current && current.hash === hash)
          return { connector: existing, version: current, changed: false, created: false };
      }
      const versions = existing ? await store.listConnectorVersions(req.tenantId, req.projectId, manifest.name) : [];
      const seq = versions.length + 1;
      const record: ConnectorRecord = {
        tenant_id: req.tenantId,
        project_id: req.projectId,
        name: manifest.name,
        kind: manifest.kind,
        enabled: req.enabled ?? true,
        status: req.enabled === false ? 'inactive' : 'active',
        status_reason: null,
        trust: req.trust ?? 'tenant',
        current_version: seq,
        source_path: req.filePath ?? null,
        config: { ...(existing?.config ?? {}), ...(req.config ?? {}) },
        metadata: {},
        created_at: existing?.created_at ?? now,
        updated_at: now,
      };
      const version: ConnectorVersionRecord = {
        tenant_id: req.tenantId,
        project_id: req.projectId,
        connector_name: manifest.name,
        seq,
        version: manifest.version,
        hash,
        manifest,
        diff: { added: manifest.tools.map((t) => t.name), removed: [], changed: [] },
        source_path: req.filePath ?? null,
        created_at: now,
      };
      await store.saveConnectorVersion(record, version);
      installed.push(manifest.name);
      return { connector: record, version, changed: true, created: !existing };
    },
    async listConnectors(tenantId, projectId) {
      await project(tenantId, projectId);
      return Promise.all((await store.listConnectors({ tenantId, projectId })).map(summary));
    },
    getConnector: async (t, p, n) => summary(await connector(t, p, n)),
    async setEnabled(t, p, n, enabled) {
      const c = {
        ...(await connector(t, p, n)),
        enabled,
        status: enabled ? ('active' as const) : ('inactive' as const),
      };
      await store.updateConnector(c);
      return summary(c);
    },
    async uninstall(t, p, n) {
      await connector(t, p, n);
      await store.deleteConnector(t, p, n);
    },
    async listVersions(t, p, n) {
      const c = await connector(t, p, n);
      return (await store.listConnectorVersions(t, p, n)).map((v) => ({
        ...v,
        current: v.seq === c.current_version,
        tool_count: v.manifest.tools.length,
      }));
    },
    async rollback(t, p, n, seq) {
      const c = await connector(t, p, n);
      if (!(await store.getConnectorVersion(t, p, n, seq))) throw createError('not_found', `Version ${seq} not found.`);
      const next = { ...c, current_version: seq };
      await store.updateConnector(next);
      return summary(next);
    },
    async updateConfig(t, p, n, patch) {
      const c = await connector(t, p, n);
      const config = { ...c.config };
      for (const [k, v] of Object.entries(patch))
        if (v === null) delete config[k];
        else config[k] = v;
      await store.updateConnector({ ...c, config });
      return summary({ ...c, config });
    },
    async listTools(t, p, filter) {
      await project(t, p);
      return (await tools(t, p)).filter(
        (x) =>
          (filter?.connector === undefined || x.connector === filter.connector) &&
          (filter?.enabled === undefined || x.enabled === filter.enabled),
      );
    },
    async resolveTool() {
      throw createError('internal', 'not used by the api');
    },
    async invokeTool(t, p, name, args): Promise<ToolCallResult> {
      const tool = (await tools(t, p)).find((x) => x.qualified_name === name || x.name === name);
      if (!tool || !tool.enabled) throw createError('tool_not_found', `No tool '${name}'.`);
      if (tool.name === 'boom') throw new Error('connection to postgres://admin:hunter2@db failed');
      const required = (tool.input_schema.required ?? []) as string[];
      const a = args as Record<string, unknown>;
      const missing = required.filter((k) => !(k in a));
      if (missing.length > 0)
        throw validationError(
          'Invalid arguments',
          missing.map((k) => ({ pointer: `/${k}`, message: `'${k}' is required` })),
        );
      return { content: [{ type: 'text', text: JSON.stringify(args) }], structuredContent: a };
    },
    async projectStats(t, p) {
      await project(t, p);
      const cs = await store.listConnectors({ tenantId: t, projectId: p });
      return {
        project_id: p,
        connector_count: cs.length,
        tool_count: (await tools(t, p)).length,
        enabled_connectors: cs.filter((c) => c.enabled).length,
        by_status: {},
        by_kind: {},
        calls: 0,
        errors: 0,
        avg_latency_ms: null,
      };
    },
    async globalStats(tenantId) {
      return { scope: tenantId ?? 'all', projects: (await store.listProjects(tenantId)).length };
    },
    async hotReload(t, p) {
      await project(t, p);
      return [];
    },
    async checkHealth(t, p, n) {
      await connector(t, p, n);
      const check = {
        tenant_id: t,
        project_id: p,
        connector_name: n,
        checked_at: isoTime(),
        ok: true,
        latency_ms: 1,
        message: null,
        details: {},
      };
      await store.addHealthCheck(check, 10);
      return check;
    },
    async healthHistory(t, p, n, limit = 20) {
      await connector(t, p, n);
      return store.listHealthChecks(t, p, n, limit);
    },
    async setProbe(t, p, n, probe) {
      const c = await connector(t, p, n);
      if (probe !== null && typeof (probe as { tool?: unknown }).tool !== 'string') {
        throw validationError('probe.tool is required', [
          { pointer: '/probe/tool', message: "field 'probe.tool' is required" },
        ]);
      }
      const next = { ...c, metadata: { ...c.metadata, probe } };
      await store.updateConnector(next);
      return summary(next);
    },
    async installSamples(t, p) {
      return [
        await api.install({
          tenantId: t,
          projectId: p,
          manifest: { name: 'sample', version: '1.0.0', tools: [{ name: 'echo' }] },
        }),
      ];
    },
    getSnapshot: () => undefined,
    callTool: async () => ({ content: [] }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return api;
}
