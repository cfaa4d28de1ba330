import type { ConnectorSummary, RegistryApi, ToolSummary } from '../../../registry/registry-api.js';

/** The `/api/v1/services` view of a connector (the ServiceConfig of the scripts platform). */
export interface ServiceConfig {
  service_id: string;
  name: string;
  description: string;
  /** `function` | `executable` for Python services; the connector kind (`http`, `mcp`) otherwise. */
  type: string;
  hosting_mode: 'stdio' | 'sse';
  script_id: string | null;
  project_id: string;
  version: string;
  tools: {
    name: string;
    description?: string;
    input_schema: Record<string, unknown>;
    output_schema?: Record<string, unknown>;
  }[];
  routes: { mcp: string; sse: string; stdio: string; wrapper: string | null };
  status: string;
  status_reason: string | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  /** Which config keys are set; values are masked, never returned. */
  config: Record<string, string>;
  metadata: Record<string, unknown>;
  runtime: Record<string, unknown>;
}

const MASK = '********';
const SERVICE_META = new Set(['script_id', 'service_type', 'hosting_mode']);

/** Maps a connector summary (and its tools) onto the ServiceConfig shape. */
export function toServiceConfig(summary: ConnectorSummary, tools: ToolSummary[], pythonMode?: string): ServiceConfig {
  const meta = summary.metadata ?? {};
  const scriptId = typeof meta.script_id === 'string' ? meta.script_id : null;
  const type =
    typeof meta.service_type === 'string'
      ? meta.service_type
      : summary.kind === 'python'
        ? pythonMode === 'script'
          ? 'executable'
          : 'function'
        : summary.kind;
  const project = encodeURIComponent(summary.project_id);
  const name = encodeURIComponent(summary.name);
  return {
    service_id: summary.name,
    name: summary.name,
    description: summary.description ?? '',
    type,
    hosting_mode: meta.hosting_mode === 'stdio' ? 'stdio' : 'sse',
    script_id: scriptId,
    project_id: summary.project_id,
    version: summary.version,
    tools: tools.map((t) => ({
      name: t.name,
      ...(t.description === undefined ? {} : { description: t.description }),
      input_schema: t.input_schema,
      ...(t.output_schema === undefined ? {} : { output_schema: t.output_schema }),
    })),
    routes: {
      mcp: `/mcp/${project}/${name}`,
      sse: `/sse/${project}/${name}`,
      stdio: `toolport stdio --project ${summary.project_id} --connector ${summary.name}`,
      wrapper: scriptId
        ? `/api/v1/services/${name}/wrapper${summary.project_id === 'default' ? '' : `?project=${project}`}`
        : null,
    },
    status: summary.status,
    status_reason: summary.status_reason,
    enabled: summary.enabled,
    created_at: summary.created_at,
    updated_at: summary.updated_at,
    config: Object.fromEntries(summary.config_keys.map((k) => [k, MASK])),
    metadata: Object.fromEntries(Object.entries(meta).filter(([k]) => !SERVICE_META.has(k))),
    runtime: summary.runtime,
  };
}

/** Loads one service view. */
export async function loadService(
  registry: RegistryApi,
  tenantId: string,
  projectId: string,
  name: string,
): Promise<ServiceConfig> {
  const summary = await registry.getConnector(tenantId, projectId, name);
  const tools = await registry.listTools(tenantId, projectId, { connector: name });
  const mode =
    summary.kind === 'python' ? (await registry.getManifest(tenantId, projectId, name)).python?.mode : undefined;
  return toServiceConfig(summary, tools, mode);
}
