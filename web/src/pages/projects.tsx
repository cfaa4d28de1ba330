import { useState } from 'preact/hooks';
import { must } from '../api/client';
import { projectConnectors } from '../api/queries';
import { ConfirmButton, CopyButton, Empty, ErrorBox, Section } from '../components/common';
import { useApp, useLoad, useManaged, type PageProps } from '../state';

/** The client-config snippets the server builds for a project, by client. */
const SNIPPETS: { key: string; label: string; pick(c: Record<string, unknown>): unknown }[] = [
  {
    key: 'claude-stdio',
    label: 'Claude Desktop (stdio)',
    pick: (c) => (c.claude_desktop as Record<string, unknown>)?.stdio,
  },
  {
    key: 'claude-remote',
    label: 'Claude Desktop (remote)',
    pick: (c) => (c.claude_desktop as Record<string, unknown>)?.remote,
  },
  { key: 'cursor', label: 'Cursor', pick: (c) => c.cursor },
  { key: 'vscode', label: 'VS Code', pick: (c) => c.vscode },
  { key: 'inspector', label: 'MCP Inspector', pick: (c) => c.inspector },
];

export function ProjectsPage({ reloadProjects }: PageProps) {
  const app = useApp();
  const projects = useManaged(async () => (await must(app.api.GET('/v1/projects'))).projects, []);
  const [form, setForm] = useState({ id: '', name: '', description: '' });

  const create = async (event: Event): Promise<void> => {
    event.preventDefault();
    await projects.change(async () => {
      const created = await must(
        app.api.POST('/v1/projects', {
          body: {
            id: form.id.trim(),
            ...(form.name.trim() ? { name: form.name.trim() } : {}),
            ...(form.description.trim() ? { description: form.description.trim() } : {}),
          },
        }),
      );
      setForm({ id: '', name: '', description: '' });
      app.notify(`Project ${created.id} created`);
      app.setProject(created.id ?? form.id);
      reloadProjects();
    });
  };

  const remove = async (id: string): Promise<void> => {
    await projects.change(async () => {
      await must(app.api.DELETE('/v1/projects/{project_id}', { params: { path: { project_id: id } } }));
      app.notify(`Project ${id} deleted`);
      reloadProjects();
    });
  };

  return (
    <div class="grid two">
      <Section title="Projects">
        <ErrorBox error={projects.error} />
        {projects.data?.length === 0 && <Empty>No projects yet.</Empty>}
        <ul class="cards" aria-label="Project list">
          {projects.data?.map((p) => (
            <li key={p.id} class={`card ${p.id === app.project ? 'selected' : ''}`} data-project={p.id}>
              <div class="card-head">
                <strong>{p.id}</strong>
                {p.name && p.name !== p.id && <span class="muted"> {p.name}</span>}
              </div>
              {p.description && <p class="muted">{p.description}</p>}
              <div class="row">
                <button
                  type="button"
                  class="small"
                  aria-pressed={p.id === app.project}
                  onClick={() => app.setProject(p.id ?? '')}
                >
                  {p.id === app.project ? 'Selected' : 'Select'}
                </button>
                {app.caps.admin && p.id !== 'default' && (
                  <ConfirmButton label="Delete" onConfirm={() => void remove(p.id ?? '')} />
                )}
              </div>
            </li>
          ))}
        </ul>
        {app.caps.admin && (
          <form onSubmit={(e) => void create(e)} class="stack" aria-label="Create project">
            <h3>New project</h3>
            <label for="project-id">Id (lower-case letters, digits, - or _)</label>
            <input
              id="project-id"
              required
              pattern="[a-z0-9]([a-z0-9_\-]{0,62}[a-z0-9])?"
              value={form.id}
              onInput={(e) => setForm({ ...form, id: e.currentTarget.value })}
            />
            <label for="project-name">Name</label>
            <input
              id="project-name"
              value={form.name}
              onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
            />
            <label for="project-description">Description</label>
            <input
              id="project-description"
              value={form.description}
              onInput={(e) => setForm({ ...form, description: e.currentTarget.value })}
            />
            <button type="submit" class="primary" disabled={projects.busy}>
              Create project
            </button>
          </form>
        )}
      </Section>
      {app.project && <ProjectDetails project={app.project} />}
    </div>
  );
}

function ProjectDetails({ project }: { project: string }) {
  const app = useApp();
  const config = useLoad(
    async () =>
      (await must(
        app.api.GET('/v1/projects/{project_id}/client-config', { params: { path: { project_id: project } } }),
      )) as Record<string, unknown>,
    [project],
    false,
  );
  const connectors = useLoad(() => projectConnectors(app.api, project), [project]);
  const c = config.data;
  const mcpUrl = typeof c?.mcp_url === 'string' ? c.mcp_url : `${location.origin}/mcp/${project}`;
  const sseUrl = typeof c?.sse_url === 'string' ? c.sse_url : `${location.origin}/sse/${project}`;
  return (
    <Section title={`Connect to ${project}`}>
      <ErrorBox error={config.error} />
      <h3>MCP URLs</h3>
      <dl class="urls">
        <dt>Streamable HTTP (all connectors)</dt>
        <dd>
          <code>{mcpUrl}</code> <CopyButton text={mcpUrl} />
        </dd>
        <dt>Legacy HTTP+SSE</dt>
        <dd>
          <code>{sseUrl}</code> <CopyButton text={sseUrl} />
        </dd>
        {connectors.data?.map((conn) => (
          <div key={conn.name}>
            <dt>Only {conn.name}</dt>
            <dd>
              <code>{`${mcpUrl}/${conn.name}`}</code> <CopyButton text={`${mcpUrl}/${conn.name}`} />
            </dd>
          </div>
        ))}
      </dl>
      <h3>Client configuration</h3>
      <p class="muted">Replace &lt;YOUR_API_KEY&gt; with a key from the Access page.</p>
      {c &&
        SNIPPETS.map((s) => {
          const value = s.pick(c);
          if (value === undefined) return null;
          const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
          return (
            <div key={s.key} class="snippet">
              <div class="row spread">
                <h4>{s.label}</h4>
                <CopyButton text={text} label={`Copy ${s.label}`} />
              </div>
              <pre>{text}</pre>
            </div>
          );
        })}
    </Section>
  );
}
