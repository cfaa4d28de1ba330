import { useState } from 'preact/hooks';
import { must, postForm } from '../api/client';
import { ConfirmButton, Empty, ErrorBox, Json, Section, StatusBadge } from '../components/common';
import { useAction, useApp, useLoad, useManaged, type PageProps } from '../state';

interface Analysis {
  functions?: {
    name: string;
    description?: string;
    inputSchema?: Record<string, unknown>;
    is_async?: boolean;
    line?: number;
  }[];
  skipped?: { name: string; reason: string }[];
  warnings?: ({ message?: string; line?: number } | string)[];
  missing_modules?: string[];
  syntax_error?: unknown;
  import_error?: unknown;
  has_main?: boolean;
  cli_parameters?: {
    name: string;
    type?: string;
    description?: string;
    required?: boolean;
    default?: unknown;
    flag?: string;
  }[];
}

interface Script {
  id: string;
  filename?: string;
  size?: number;
  analysis?: Analysis;
}

type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'array';

export function PythonPage(_props: PageProps) {
  const app = useApp();
  const [script, setScript] = useState<Script | null>(null);
  const upload = useAction();
  const [dragging, setDragging] = useState(false);
  const scripts = useLoad(
    async () => (await must(app.api.GET('/api/v1/scripts'))) as unknown as { scripts?: Script[] },
    [],
    false,
  );

  const send = async (file: File | undefined): Promise<void> => {
    if (!file) return;
    const form = new FormData();
    form.append('file', file, file.name);
    const result = await upload.run(() => postForm(app.session, '/api/v1/upload_script', form));
    if (result) {
      setScript(result as Script);
      scripts.reload();
    }
  };
  const open = async (id: string): Promise<void> => {
    const result = await upload.run(() => must(app.api.GET('/api/v1/scripts/{id}', { params: { path: { id } } })));
    if (result) setScript(result as unknown as Script);
  };

  return (
    <div class="stack">
      <Section title="Upload a Python script">
        <div
          class={`dropzone ${dragging ? 'dragging' : ''}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            void send(e.dataTransfer?.files[0]);
          }}
        >
          <p>Drop a .py file here, or</p>
          <label class="button" for="script-file">
            Choose a .py file
          </label>
          <input
            id="script-file"
            class="visually-hidden"
            type="file"
            accept=".py,text/x-python"
            onChange={(e) => void send(e.currentTarget.files?.[0])}
          />
          {upload.busy && <p role="status">Uploading and analysing…</p>}
        </div>
        <ErrorBox error={upload.error} />
        {(scripts.data?.scripts?.length ?? 0) > 0 && (
          <details>
            <summary>Scripts uploaded before</summary>
            <ul>
              {scripts.data?.scripts?.map((s) => (
                <li key={s.id}>
                  <button type="button" class="link" onClick={() => void open(s.id)}>
                    {s.filename ?? s.id.slice(0, 12)}
                  </button>
                </li>
              ))}
            </ul>
          </details>
        )}
      </Section>
      {script && <ScriptAnalysis key={script.id} script={script} />}
      <Services />
    </div>
  );
}

function ScriptAnalysis({ script }: { script: Script }) {
  const app = useApp();
  const analysis = script.analysis ?? {};
  const functions = analysis.functions ?? [];
  const [mode, setMode] = useState<'function' | 'executable'>(
    functions.length || !analysis.has_main ? 'function' : 'executable',
  );
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [params, setParams] = useState((analysis.cli_parameters ?? []).map((p) => ({ ...p, include: true })));
  const [name, setName] = useState(
    (script.filename ?? 'service')
      .replace(/\.py$/, '')
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-'),
  );
  const [autoActivate, setAutoActivate] = useState(true);
  const action = useAction();
  const [created, setCreated] = useState<Record<string, unknown> | null>(null);

  const toggle = (fn: string): void => {
    const next = new Set(chosen);
    if (next.has(fn)) next.delete(fn);
    else next.add(fn);
    setChosen(next);
  };

  const generate = async (event: Event): Promise<void> => {
    event.preventDefault();
    const body = {
      service_name: name.trim(),
      type: mode,
      auto_activate: autoActivate,
      ...(app.project ? { project: app.project } : {}),
      ...(mode === 'function'
        ? { functions: [...chosen] }
        : {
            parameters: params
              .filter((p) => p.include)
              .map((p) => ({
                name: p.name,
                type: (p.type ?? 'string') as ParamType,
                ...(p.description ? { description: p.description } : {}),
                ...(p.required !== undefined ? { required: p.required } : {}),
                ...(p.flag ? { flag: p.flag } : {}),
                ...(p.default !== undefined ? { default: p.default } : {}),
              })),
          }),
    };
    const result = await action.run(() =>
      must(app.api.POST('/api/v1/scripts/{id}/generate_mcp_wrapper', { params: { path: { id: script.id } }, body })),
    );
    if (result) {
      setCreated(result as Record<string, unknown>);
      app.notify(`Service ${name} generated`);
    }
  };

  const service = created?.service as
    { service_id?: string; project_id?: string; status?: string; tools?: { name: string }[] } | undefined;
  return (
    <Section title={`Analysis of ${script.filename ?? script.id.slice(0, 12)}`}>
      {analysis.syntax_error != null && <p class="error">Syntax error: {JSON.stringify(analysis.syntax_error)}</p>}
      {analysis.import_error != null && <p class="error">Import error: {JSON.stringify(analysis.import_error)}</p>}
      {(analysis.missing_modules?.length ?? 0) > 0 && (
        <p class="warn">Missing modules: {analysis.missing_modules?.join(', ')}</p>
      )}
      {(analysis.warnings?.length ?? 0) > 0 && (
        <ul class="warn" aria-label="Warnings">
          {analysis.warnings?.map((w, i) => (
            <li key={i}>
              {typeof w === 'string' ? w : `${w.line ? `line ${w.line}: ` : ''}${w.message ?? JSON.stringify(w)}`}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={(e) => void generate(e)} class="stack" aria-label="Generate service">
        <fieldset class="row wrap">
          <legend>Mode</legend>
          <label class="check">
            <input type="radio" name="mode" checked={mode === 'function'} onChange={() => setMode('function')} />{' '}
            Functions become tools
          </label>
          <label class="check">
            <input type="radio" name="mode" checked={mode === 'executable'} onChange={() => setMode('executable')} />{' '}
            The script is one tool (CLI parameters)
          </label>
        </fieldset>
        {mode === 'function' ? (
          <>
            {functions.length === 0 && <Empty>No public functions found.</Empty>}
            <ul class="functions" aria-label="Functions">
              {functions.map((f) => (
                <li key={f.name}>
                  <label class="check">
                    <input type="checkbox" checked={chosen.has(f.name)} onChange={() => toggle(f.name)} />{' '}
                    <code>{f.name}</code>
                    {f.is_async && <span class="badge">async</span>}
                    {f.line && <span class="muted"> line {f.line}</span>}
                    {f.description && <span class="muted"> — {f.description}</span>}
                  </label>
                  <details>
                    <summary>Schema of {f.name}</summary>
                    <Json value={f.inputSchema} label={`Input schema of ${f.name}`} />
                  </details>
                </li>
              ))}
            </ul>
            {(analysis.skipped?.length ?? 0) > 0 && (
              <details>
                <summary>Skipped names ({analysis.skipped?.length})</summary>
                <ul>
                  {analysis.skipped?.map((s) => (
                    <li key={s.name}>
                      <code>{s.name}</code>: {s.reason}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </>
        ) : (
          <>
            {params.length === 0 && <Empty>No CLI parameters were found; the tool will take none.</Empty>}
            <ul class="functions" aria-label="CLI parameters">
              {params.map((p, i) => (
                <li key={p.name}>
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={p.include}
                      onChange={() => setParams(params.map((x, j) => (j === i ? { ...x, include: !x.include } : x)))}
                    />{' '}
                    <code>{p.flag ?? p.name}</code> <span class="muted">{p.type}</span>
                    {p.required && <span class="badge">required</span>}
                    {p.description && <span class="muted"> — {p.description}</span>}
                  </label>
                </li>
              ))}
            </ul>
          </>
        )}
        <div class="row wrap">
          <label for="service-name">Service name</label>
          <input id="service-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <label class="check">
            <input type="checkbox" checked={autoActivate} onChange={(e) => setAutoActivate(e.currentTarget.checked)} />{' '}
            Activate right away
          </label>
          <button type="submit" class="primary" disabled={action.busy || (mode === 'function' && chosen.size === 0)}>
            {action.busy ? 'Generating…' : 'Generate service'}
          </button>
        </div>
      </form>
      <ErrorBox error={action.error} />
      {service && (
        <div class="result" role="status">
          Service <strong>{service.service_id}</strong> in project {service.project_id} is{' '}
          <StatusBadge status={service.status} /> with tools{' '}
          {service.tools?.map((t) => (
            <a key={t.name} class="tool-link" href={`#/tools?tool=${service.service_id}__${t.name}`}>
              {t.name}
            </a>
          ))}
        </div>
      )}
    </Section>
  );
}

interface Service {
  service_id: string;
  name?: string;
  type?: string;
  status?: string;
  status_reason?: string | null;
  enabled?: boolean;
  project_id?: string;
  tools?: { name: string; description?: string }[];
  routes?: Record<string, string>;
}

function Services() {
  const app = useApp();
  const project = app.project;
  const query = project ? { project } : {};
  const services = useManaged(
    async () =>
      (await must(app.api.GET('/api/v1/services/', { params: { query } }))) as unknown as { services?: Service[] },
    [project],
  );
  const [health, setHealth] = useState<Record<string, unknown>>({});

  const act = (id: string, what: 'activate' | 'deactivate' | 'delete' | 'health'): void => {
    const params = { params: { path: { id }, query } };
    void services.change(async () => {
      if (what === 'activate') await must(app.api.POST('/api/v1/services/{id}/activate', params));
      else if (what === 'deactivate') await must(app.api.POST('/api/v1/services/{id}/deactivate', params));
      else if (what === 'delete') await must(app.api.DELETE('/api/v1/services/{id}', params));
      else {
        const result = await must(app.api.POST('/api/v1/services/{id}/health', params));
        setHealth((h) => ({ ...h, [id]: result }));
      }
    });
  };

  return (
    <Section title={`Services in ${project || 'the default project'} (/api/v1/services)`}>
      <ErrorBox error={services.error} />
      {services.data?.services?.length === 0 && <Empty>No Python services yet.</Empty>}
      <ul class="cards" aria-label="Services">
        {services.data?.services?.map((s) => (
          <li key={s.service_id} class="card" data-service={s.service_id}>
            <div class="card-head row spread">
              <strong>{s.service_id}</strong>
              <StatusBadge status={s.status} reason={s.status_reason} />
            </div>
            <p class="muted small-text">
              {s.type} · {s.routes?.mcp}
            </p>
            <p class="small-text">
              Tools:{' '}
              {s.tools?.map((t) => (
                <a key={t.name} class="tool-link" href={`#/tools?tool=${s.service_id}__${t.name}`}>
                  {t.name}
                </a>
              ))}
            </p>
            {app.caps.admin && (
              <div class="row wrap">
                {s.enabled ? (
                  <button type="button" class="small" onClick={() => act(s.service_id, 'deactivate')}>
                    Deactivate
                  </button>
                ) : (
                  <button type="button" class="small" onClick={() => act(s.service_id, 'activate')}>
                    Activate
                  </button>
                )}
                <button type="button" class="small" onClick={() => act(s.service_id, 'health')}>
                  Check health
                </button>
                <ConfirmButton label="Delete" onConfirm={() => act(s.service_id, 'delete')} />
              </div>
            )}
            {health[s.service_id] !== undefined && (
              <Json value={health[s.service_id]} label={`Health of ${s.service_id}`} />
            )}
          </li>
        ))}
      </ul>
    </Section>
  );
}
