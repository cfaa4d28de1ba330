import { useState } from 'preact/hooks';
import { ApiError, must } from '../api/client';
import {
  ActionForm,
  ConfirmButton,
  CopyButton,
  Empty,
  ErrorBox,
  Section,
  Table,
  TextField,
  when,
} from '../components/common';
import { useApp, useLoad, useManaged, usePolling, type PageProps } from '../state';

export function AccessPage(_props: PageProps) {
  const app = useApp();
  return (
    <div class="stack">
      {app.caps.operator && <Tenants />}
      {app.caps.admin ? <ApiKeys /> : <p class="muted">This key has no 'admin' scope: keys and webhooks are hidden.</p>}
      {app.caps.admin && app.project && <Webhooks project={app.project} />}
    </div>
  );
}

function Tenants() {
  const app = useApp();
  const tenants = useManaged(async () => (await must(app.api.GET('/v1/tenants'))).tenants, []);
  const [id, setId] = useState('');
  const create = async (): Promise<void> => {
    await tenants.change(async () => {
      await must(app.api.POST('/v1/tenants', { body: { id: id.trim() } }));
      setId('');
    });
  };
  // A tenant that still holds projects, connectors or scripts is refused (409, listing them) unless forced: the
  // refusal is shown with a second, explicit button that forces the delete.
  const [refused, setRefused] = useState<{ id: string; error: ApiError } | null>(null);
  const remove = (tenant: string, force = false): void => {
    setRefused(null);
    void tenants.change(async () => {
      try {
        await must(
          app.api.DELETE('/v1/tenants/{id}', { params: { path: { id: tenant }, query: force ? { force } : {} } }),
        );
      } catch (err) {
        if (force || !(err instanceof ApiError && err.status === 409 && typeof err.details.projects === 'number')) {
          throw err;
        }
        setRefused({ id: tenant, error: err });
      }
    });
  };
  const current = app.session.tenant ?? 'default';
  return (
    <Section title="Tenants (operator)">
      <ErrorBox error={tenants.error} />
      <Table label="Tenants" columns={['Id', 'Name', 'Created', 'Actions']}>
        {tenants.data?.map((t) => (
          <tr key={t.id}>
            <th scope="row">{t.id}</th>
            <td>{t.name}</td>
            <td>{when(t.created_at)}</td>
            <td class="actions">
              {t.id === current ? (
                <span class="badge badge-active">acting in</span>
              ) : (
                <button type="button" class="small" onClick={() => app.actAs(t.id === 'default' ? undefined : t.id)}>
                  Act in {t.id}
                </button>
              )}
              {t.id !== 'default' && <ConfirmButton label="Delete" onConfirm={() => remove(t.id ?? '')} />}
            </td>
          </tr>
        ))}
      </Table>
      {refused && (
        <div class="stack">
          <ErrorBox error={refused.error} />
          <div class="row wrap" role="group" aria-label={`Delete tenant ${refused.id} anyway`}>
            <button type="button" class="small danger" disabled={tenants.busy} onClick={() => remove(refused.id, true)}>
              Delete tenant and everything it owns
            </button>
            <button type="button" class="small" onClick={() => setRefused(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <ActionForm
        class="row wrap"
        label="Create tenant"
        onSubmit={create}
        submit="Create tenant"
        disabled={tenants.busy}
      >
        <TextField id="tenant-id" label="New tenant id" required value={id} onValue={setId} />
      </ActionForm>
    </Section>
  );
}

function ApiKeys() {
  const app = useApp();
  const keys = useManaged(async () => (await must(app.api.GET('/v1/api-keys'))).api_keys, []);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<'admin' | 'invoke'>>(new Set(['invoke']));
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);

  const create = async (): Promise<void> => {
    await keys.change(async () => {
      const created = await must(app.api.POST('/v1/api-keys', { body: { name: name.trim(), scopes: [...scopes] } }));
      if (!created.key) return;
      setShown({ name: name.trim(), key: created.key });
      setName('');
    });
  };
  const revoke = (id: string): void => {
    void keys.change(async () => {
      await must(app.api.DELETE('/v1/api-keys/{key_id}', { params: { path: { key_id: id } } }));
      app.notify('Key revoked');
    });
  };
  const flip = (scope: 'admin' | 'invoke'): void => {
    const next = new Set(scopes);
    if (next.has(scope)) next.delete(scope);
    else next.add(scope);
    setScopes(next);
  };

  return (
    <Section title={`API keys of tenant ${app.session.tenant ?? (app.caps.tenant || 'default')}`}>
      <ErrorBox error={keys.error} />
      {shown && (
        <div class="result" role="status" data-testid="new-key">
          <p>
            <strong>Key {shown.name}</strong> — copy it now, it is shown only once:
          </p>
          <div class="row wrap">
            <code class="secret">{shown.key}</code>
            <CopyButton text={shown.key} label="Copy key" />
            <button type="button" class="small" onClick={() => setShown(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      {keys.data?.length === 0 && <Empty>No API keys yet.</Empty>}
      <Table label="API keys" columns={['Name', 'Prefix', 'Scopes', 'Created', 'Last used', 'State']}>
        {keys.data?.map((k) => (
          <tr key={k.id} data-key={k.name}>
            <th scope="row">{k.name}</th>
            <td>
              <code>{k.prefix}…</code>
            </td>
            <td>{k.scopes?.join(', ')}</td>
            <td>{when(k.created_at)}</td>
            <td>{when(k.last_used_at)}</td>
            <td>
              {k.revoked_at ? (
                <span class="badge badge-inactive">revoked</span>
              ) : (
                <ConfirmButton label="Revoke" onConfirm={() => revoke(k.id ?? '')} />
              )}
            </td>
          </tr>
        ))}
      </Table>
      <ActionForm
        class="stack"
        label="Create API key"
        onSubmit={create}
        submit="Create key"
        disabled={keys.busy || scopes.size === 0}
      >
        <h3>New key</h3>
        <TextField id="key-name" label="Name" required value={name} onValue={setName} />
        <fieldset class="row">
          <legend>Scopes</legend>
          <label class="check">
            <input type="checkbox" checked={scopes.has('invoke')} onChange={() => flip('invoke')} /> invoke (call tools,
            connect over MCP)
          </label>
          <label class="check">
            <input type="checkbox" checked={scopes.has('admin')} onChange={() => flip('admin')} /> admin (manage
            projects, connectors, keys)
          </label>
        </fieldset>
      </ActionForm>
    </Section>
  );
}

function Webhooks({ project }: { project: string }) {
  const app = useApp();
  const path = { project_id: project };
  const hooks = useManaged(
    async () =>
      (await must(app.api.GET('/v1/projects/{project_id}/webhooks', { params: { path } }))) as { webhooks?: Hook[] },
    [project],
  );
  const [url, setUrl] = useState('');
  // The new webhook's signing secret, shown once: until Done or until that webhook is deleted.
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const create = async (): Promise<void> => {
    await hooks.change(async () => {
      const created = await must(
        app.api.POST('/v1/projects/{project_id}/webhooks', { params: { path }, body: { url: url.trim() } }),
      );
      setSecret(created.secret ? { id: created.id ?? '', secret: created.secret } : null);
      setUrl('');
    });
  };
  const remove = (id: string): void => {
    void hooks.change(async () => {
      await must(
        app.api.DELETE('/v1/projects/{project_id}/webhooks/{webhook_id}', {
          params: { path: { ...path, webhook_id: id } },
        }),
      );
      setSecret((shown) => (shown?.id === id ? null : shown));
    });
  };
  return (
    <Section title={`Webhooks of ${project}`}>
      <ErrorBox error={hooks.error} />
      {secret && (
        <div class="result" role="status">
          Signing secret (shown once): <code class="secret">{secret.secret}</code> <CopyButton text={secret.secret} />{' '}
          <button type="button" class="small" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      {hooks.data?.webhooks?.length === 0 && <Empty>No webhooks.</Empty>}
      <ul class="cards" aria-label="Webhooks">
        {hooks.data?.webhooks?.map((h) => (
          <li key={h.id} class="card">
            <div class="row spread">
              <code>{h.url}</code>
              <span class="muted small-text">{h.events?.join(', ')}</span>
            </div>
            <div class="row">
              <button
                type="button"
                class="small"
                aria-expanded={open === h.id}
                onClick={() => setOpen(open === h.id ? null : h.id)}
              >
                Delivery log
              </button>
              <ConfirmButton label="Delete" onConfirm={() => remove(h.id)} />
            </div>
            {open === h.id && <Deliveries project={project} id={h.id} />}
          </li>
        ))}
      </ul>
      <ActionForm class="row wrap" label="Create webhook" onSubmit={create} submit="Add webhook" disabled={hooks.busy}>
        <TextField
          id="webhook-url"
          label="Receiver URL"
          class="grow"
          type="url"
          required
          value={url}
          onValue={setUrl}
        />
      </ActionForm>
    </Section>
  );
}

interface Hook {
  id: string;
  url?: string;
  events?: string[];
}

function Deliveries({ project, id }: { project: string; id: string }) {
  const app = useApp();
  const deliveries = useLoad(
    async () =>
      (
        await must(
          app.api.GET('/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries', {
            params: { path: { project_id: project, webhook_id: id } },
          }),
        )
      ).deliveries,
    [project, id],
  );
  // Attempts are logged once the receiver answered, and no event says so: the open log asks again every 2 s.
  usePolling(deliveries, 2_000);
  return (
    <div>
      <ErrorBox error={deliveries.error} />
      {deliveries.data?.length === 0 && <Empty>No deliveries yet.</Empty>}
      <ul class="small-text">
        {deliveries.data?.map((d, i) => (
          <li key={`${d.id}-${d.attempt}-${i}`}>
            <span class={`badge ${d.ok ? 'badge-active' : 'badge-error'}`}>{d.ok ? 'ok' : 'failed'}</span> {d.event} ·
            attempt {d.attempt} · {d.status_code ?? '—'} {d.error ? `· ${d.error}` : ''} · {when(d.delivered_at)}
          </li>
        ))}
      </ul>
    </div>
  );
}
