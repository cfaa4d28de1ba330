import { useEffect, useState } from 'preact/hooks';
import { must } from '../api/client';
import { projectTools } from '../api/queries';
import { Empty, ErrorBox, Json, Section, StatusBadge, when } from '../components/common';
import { initialValue, SchemaForm, type Schema } from '../components/schema-form';
import { useAction, useApp, useLoad, type PageProps } from '../state';

interface ToolInfo {
  name?: string;
  qualified_name?: string;
  connector?: string;
  enabled?: boolean;
  status?: string;
  description?: string;
  input_schema?: Record<string, unknown>;
  output_schema?: Record<string, unknown>;
  usage?: {
    calls?: number;
    errors?: number;
    total_latency_ms?: number;
    last_used_at?: string | null;
    p50_ms?: number;
    p95_ms?: number;
  };
  health?: { status?: string; last_checked_at?: string | null };
}

export function ToolsPage({ params }: PageProps) {
  const app = useApp();
  const project = app.project;
  const tools = useLoad(async () => (await projectTools(app.api, project)) as ToolInfo[], [project]);
  const [query, setQuery] = useState('');
  const wanted = params.get('tool');
  const [selected, setSelected] = useState<string | null>(wanted);
  useEffect(() => {
    if (wanted) setSelected(wanted);
  }, [wanted]);

  const q = query.trim().toLowerCase();
  const shown = (tools.data ?? []).filter(
    (t) => !q || `${t.qualified_name} ${t.description ?? ''} ${t.connector}`.toLowerCase().includes(q),
  );
  const tool = tools.data?.find((t) => t.qualified_name === selected);

  return (
    <div class="grid tools">
      <Section title={`Catalog of ${project || '…'}`}>
        <label for="tool-search">Search tools</label>
        <input
          id="tool-search"
          type="search"
          placeholder="name, description or connector"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <ErrorBox error={tools.error} />
        {tools.data && shown.length === 0 && <Empty>No tools match.</Empty>}
        <ul class="tool-list" aria-label="Tools">
          {shown.map((t) => (
            <li key={t.qualified_name}>
              <button
                type="button"
                class={`tool-item ${t.qualified_name === selected ? 'selected' : ''}`}
                aria-pressed={t.qualified_name === selected}
                data-tool={t.qualified_name}
                onClick={() => setSelected(t.qualified_name ?? null)}
              >
                <span class="tool-name">{t.qualified_name}</span>
                <StatusBadge status={t.enabled ? t.status : 'inactive'} />
                <span class="muted small-text">{t.description}</span>
                <span class="muted small-text">
                  {t.usage?.calls ?? 0} calls · {t.usage?.errors ?? 0} errors
                </span>
              </button>
            </li>
          ))}
        </ul>
      </Section>
      {tool ? (
        <ToolDetail key={tool.qualified_name} project={project} tool={tool} />
      ) : (
        <Section title="Tool">{<Empty>Choose a tool to see its schemas and try it.</Empty>}</Section>
      )}
    </div>
  );
}

function ToolDetail({ project, tool }: { project: string; tool: ToolInfo }) {
  const app = useApp();
  const schema = (tool.input_schema ?? { type: 'object' }) as Schema;
  const [args, setArgs] = useState<unknown>(() => initialValue(schema) ?? {});
  const [result, setResult] = useState<{
    content?: Record<string, unknown>[];
    structuredContent?: unknown;
    isError?: boolean;
  } | null>(null);
  const action = useAction();
  const usage = tool.usage ?? {};

  const call = async (event: Event): Promise<void> => {
    event.preventDefault();
    setResult(null);
    const out = await action.run(() =>
      must(
        app.api.POST('/v1/projects/{project_id}/tools/{tool_name}/invoke', {
          params: { path: { project_id: project, tool_name: tool.qualified_name ?? '' } },
          body: { arguments: args ?? {} },
        }),
      ),
    );
    if (out) setResult(out);
  };

  return (
    <div class="stack">
      <Section title={tool.qualified_name ?? 'Tool'}>
        <p>{tool.description}</p>
        <dl class="facts">
          <dt>Connector</dt>
          <dd>{tool.connector}</dd>
          <dt>Health</dt>
          <dd>
            <StatusBadge status={tool.health?.status} /> {when(tool.health?.last_checked_at)}
          </dd>
          <dt>Calls</dt>
          <dd>{usage.calls ?? 0}</dd>
          <dt>Errors</dt>
          <dd>{usage.errors ?? 0}</dd>
          <dt>Latency p50 / p95</dt>
          <dd>
            {usage.p50_ms ?? '—'} / {usage.p95_ms ?? '—'} ms
          </dd>
          <dt>Last used</dt>
          <dd>{when(usage.last_used_at)}</dd>
        </dl>
        <details>
          <summary>Input schema</summary>
          <Json value={tool.input_schema} label="Input schema" />
        </details>
        {tool.output_schema && (
          <details>
            <summary>Output schema</summary>
            <Json value={tool.output_schema} label="Output schema" />
          </details>
        )}
      </Section>
      <Section title="Playground">
        {!app.caps.invoke && <p class="muted">This key has no 'invoke' scope: calls will be refused.</p>}
        <form onSubmit={(e) => void call(e)} class="stack" aria-label="Playground">
          <SchemaForm schema={schema} value={args} onChange={setArgs} idPrefix="arg" />
          <details>
            <summary>Arguments as JSON</summary>
            <Json value={args ?? {}} label="Arguments" />
          </details>
          <button type="submit" class="primary" disabled={action.busy}>
            {action.busy ? 'Calling…' : 'Call tool'}
          </button>
        </form>
        <ErrorBox error={action.error} />
        {result && (
          <div class={`result ${result.isError ? 'is-error' : ''}`} aria-live="polite" data-testid="tool-result">
            <h3>{result.isError ? 'The tool reported an error' : 'Result'}</h3>
            {(result.content ?? []).map((item, i) =>
              item.type === 'text' ? (
                <pre key={i} class="result-text">
                  {String(item.text)}
                </pre>
              ) : (
                <Json key={i} value={item} label={`Content item ${i + 1}`} />
              ),
            )}
            {result.structuredContent !== undefined && (
              <>
                <h4>Structured content</h4>
                <Json value={result.structuredContent} label="Structured content" />
              </>
            )}
          </div>
        )}
      </Section>
    </div>
  );
}
