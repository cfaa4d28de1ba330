import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, must, type ApiClient, type Issue } from '../api/client';
import { projectConnectors } from '../api/queries';
import {
  ActionForm,
  ConfirmButton,
  Empty,
  ErrorBox,
  Section,
  StatusBadge,
  Table,
  TableHead,
  TextField,
  when,
} from '../components/common';
import { YamlEditor } from '../components/yaml-editor';
import { useAction, useApp, useManaged, useManagedConnector, type ConnectorPath, type PageProps } from '../state';
import { diffBetween, type VersionInfo } from './version-diff';

const STARTER = `name: my-connector
version: 1.0.0
description: What these tools do.
kind: http
http:
  base_url: https://api.example.com
tools:
  - name: get_item
    description: Fetch one item by id.
    endpoint: GET /items/{id}
    input_schema:
      type: object
      required: [id]
      properties:
        id: { type: string }
`;

export function ConnectorsPage(_props: PageProps) {
  const app = useApp();
  const project = app.project;
  const path = { project_id: project };
  const list = useManaged(() => projectConnectors(app.api, project), [project]);
  const [open, setOpen] = useState<string | null>(null);

  const toggle = (name: string, enable: boolean): void => {
    void list.act(async () => {
      const params = { params: { path: { ...path, name } } };
      if (enable) await must(app.api.POST('/v1/projects/{project_id}/connectors/{name}/enable', params));
      else await must(app.api.POST('/v1/projects/{project_id}/connectors/{name}/disable', params));
      app.notify(`${name} ${enable ? 'enabled' : 'disabled'}`);
    });
  };
  const uninstall = (name: string): void => {
    void list.change(async () => {
      await must(
        app.api.DELETE('/v1/projects/{project_id}/connectors/{name}', { params: { path: { ...path, name } } }),
      );
      app.notify(`${name} uninstalled`);
    });
  };

  return (
    <div class="stack">
      <Section title={`Connectors in ${project || '…'}`}>
        <ErrorBox error={list.error} />
        {list.data?.length === 0 && <Empty>No connectors yet: install one below.</Empty>}
        <Table
          label="Connectors"
          class="responsive"
          columns={['Name', 'Kind', 'Version', 'Status', 'Tools', 'Actions']}
        >
          {list.data?.map((c) => (
            <Fragment key={c.name}>
              <tr data-connector={c.name}>
                <th scope="row">
                  {c.name}
                  {c.description && <div class="muted small-text">{c.description}</div>}
                </th>
                <td data-label="Kind">{c.kind}</td>
                <td data-label="Version">
                  {c.version} <span class="muted">(#{c.current_version})</span>
                </td>
                <td data-label="Status">
                  <StatusBadge status={c.status} reason={c.status_reason} />
                  {c.status_reason && <div class="muted small-text reason">{c.status_reason}</div>}
                </td>
                <td data-label="Tools">{c.tool_count}</td>
                <td class="actions">
                  {app.caps.admin && (
                    <button
                      type="button"
                      class="small"
                      disabled={list.busy}
                      onClick={() => toggle(c.name ?? '', !c.enabled)}
                      aria-label={`${c.enabled ? 'Disable' : 'Enable'} ${c.name}`}
                    >
                      {c.enabled ? 'Disable' : 'Enable'}
                    </button>
                  )}
                  <button
                    type="button"
                    class="small"
                    aria-expanded={open === c.name}
                    onClick={() => setOpen(open === c.name ? null : (c.name ?? null))}
                  >
                    Versions
                  </button>
                  {app.caps.admin && <ConfirmButton label="Uninstall" onConfirm={() => uninstall(c.name ?? '')} />}
                </td>
              </tr>
              {open === c.name && (
                <tr>
                  <td colSpan={6}>
                    <Versions project={project} name={c.name ?? ''} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </Table>
      </Section>
      {app.caps.admin && project && <InstallManifest project={project} onInstalled={list.reload} />}
      {app.caps.operator && project && <InstallFromFile project={project} onInstalled={list.reload} />}
    </div>
  );
}

/** A connector's versions, newest first, each with its tool diff from the one before. */
async function loadVersions(api: ApiClient, path: ConnectorPath): Promise<VersionInfo[]> {
  return (await must(api.GET('/v1/projects/{project_id}/connectors/{name}/versions', { params: { path } })))
    .versions as VersionInfo[];
}

function Versions({ project, name }: { project: string; name: string }) {
  const app = useApp();
  const versions = useManagedConnector(project, name, loadVersions);
  const list = versions.data ?? [];
  const [from, setFrom] = useState<number | undefined>(undefined);
  const [to, setTo] = useState<number | undefined>(undefined);
  const a = from ?? list[1]?.seq ?? list[0]?.seq;
  const b = to ?? list[0]?.seq;
  const diff = a !== undefined && b !== undefined ? diffBetween(list, a, b) : undefined;

  const rollback = (seq: number): void => {
    void versions.act(async () => {
      await must(
        app.api.POST('/v1/projects/{project_id}/connectors/{name}/rollback', {
          params: { path: versions.path },
          body: { version: seq },
        }),
      );
      app.notify(`${name} rolled back to #${seq}`);
    });
  };

  return (
    <div class="versions">
      <ErrorBox error={versions.error} />
      <table aria-label={`Versions of ${name}`}>
        <TableHead columns={['#', 'Version', 'Created', 'Changes from the previous', '']} />
        <tbody>
          {list.map((v) => (
            <tr key={v.seq}>
              <td>{v.seq}</td>
              <td>
                {v.version} {v.current && <span class="badge badge-active">current</span>}
              </td>
              <td>{when(v.created_at)}</td>
              <td>
                <DiffText diff={v.diff} />
              </td>
              <td>
                {!v.current && app.caps.admin && (
                  <button type="button" class="small" onClick={() => rollback(v.seq)}>
                    Roll back to #{v.seq}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.length > 1 && (
        <div class="row wrap">
          <VersionSelect label="Compare" list={list} value={a} onChange={setFrom} />
          <VersionSelect label="with" list={list} value={b} onChange={setTo} />
          {diff && (
            <span aria-live="polite">
              Tool diff: <DiffText diff={diff} />
            </span>
          )}
        </div>
      )}
    </div>
  );
}

/** A labelled picker of one version of a connector (the two ends of a tool diff). */
function VersionSelect(props: {
  label: string;
  list: readonly VersionInfo[];
  value: number | undefined;
  onChange(seq: number): void;
}) {
  return (
    <label>
      {props.label}{' '}
      <select value={props.value} onChange={(e) => props.onChange(Number(e.currentTarget.value))}>
        {props.list.map((v) => (
          <option key={v.seq} value={v.seq}>
            #{v.seq} ({v.version})
          </option>
        ))}
      </select>
    </label>
  );
}

function DiffText({ diff }: { diff: VersionInfo['diff'] }) {
  if (!diff) return <span class="muted">—</span>;
  const parts = [
    ...(diff.added ?? []).map((t) => <span class="diff-add">+{t}</span>),
    ...(diff.removed ?? []).map((t) => <span class="diff-del">−{t}</span>),
    ...(diff.changed ?? []).map((t) => <span class="diff-chg">~{t}</span>),
  ];
  return parts.length ? <span class="diff">{parts}</span> : <span class="muted">no tool changes</span>;
}

function InstallManifest({ project, onInstalled }: { project: string; onInstalled(): void }) {
  const app = useApp();
  const [text, setText] = useState(STARTER);
  const [enabled, setEnabled] = useState(true);
  const [issues, setIssues] = useState<Issue[]>([]);
  const action = useAction();

  const install = async (event: Event): Promise<void> => {
    event.preventDefault();
    setIssues([]);
    const result = await action.run(() =>
      must(
        app.api.POST('/v1/projects/{project_id}/connectors/install-from-manifest', {
          params: { path: { project_id: project } },
          body: { manifest: text, enabled },
        }),
      ),
    );
    if (result) {
      app.notify(`Installed ${result.connector?.name ?? 'connector'} version #${result.version?.seq ?? ''}`);
      onInstalled();
    }
  };
  const error = action.error;
  const shown = error instanceof ApiError && error.issues.length ? error.issues : issues;

  return (
    <Section title="Install from a manifest">
      <form onSubmit={(e) => void install(e)} class="stack" aria-label="Install from a manifest">
        <YamlEditor id="manifest-yaml" label="Manifest (YAML)" value={text} onInput={setText} issues={shown} />
        {error && !(error instanceof ApiError && error.issues.length) && <ErrorBox error={error} />}
        {shown.length > 0 && (
          <p class="error" role="alert">
            The server rejected the manifest: {shown.length} issue{shown.length > 1 ? 's' : ''}, marked at their lines.
          </p>
        )}
        <div class="row">
          <label class="check">
            <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} /> Enable
            right away
          </label>
          <button type="submit" class="primary" disabled={action.busy}>
            Install
          </button>
        </div>
      </form>
    </Section>
  );
}

function InstallFromFile({ project, onInstalled }: { project: string; onInstalled(): void }) {
  const app = useApp();
  const [path, setPath] = useState('');
  const action = useAction();
  const install = async (): Promise<void> => {
    const result = await action.run(() =>
      must(
        app.api.POST('/v1/projects/{project_id}/connectors/install-from-file', {
          params: { path: { project_id: project } },
          body: { file_path: path.trim() },
        }),
      ),
    );
    if (result) {
      app.notify('Installed from file');
      onInstalled();
    }
  };
  return (
    <Section title="Install from a file on the server (operator)">
      <ActionForm
        class="row wrap"
        label="Install from file"
        onSubmit={install}
        submit="Install file"
        disabled={action.busy}
      >
        <TextField
          id="file-path"
          label="Manifest path on the server"
          class="grow"
          required
          placeholder="/srv/connectors/weather.yaml"
          value={path}
          onValue={setPath}
        />
      </ActionForm>
      <ErrorBox error={action.error} />
    </Section>
  );
}
