import { useState } from 'preact/hooks';
import { ApiError, createApiClient, messageOf, must, type Session } from './api/client';
import { TextField } from './components/common';
import type { Capabilities } from './state';

/** Asks the API what a token may do: list projects (any valid token), tenants (operator), keys (admin). */
export async function probeCapabilities(session: Session): Promise<Capabilities> {
  const api = createApiClient(session);
  await must(api.GET('/v1/projects'));
  const operator = (await api.GET('/v1/tenants')).response.ok;
  if (operator) {
    return {
      operator,
      admin: true,
      invoke: true,
      tenant: session.tenant ?? 'default',
      label: 'operator (admin token)',
    };
  }
  const keys = await api.GET('/v1/api-keys');
  if (!keys.response.ok) {
    return { operator, admin: false, invoke: true, tenant: '', label: 'API key (invoke)' };
  }
  const mine = keys.data?.api_keys.find((k) => k.prefix && session.token.startsWith(k.prefix));
  const scopes = mine?.scopes ?? ['admin'];
  const tenant = (mine as { tenant_id?: string } | undefined)?.tenant_id ?? '';
  return {
    operator,
    admin: scopes.includes('admin'),
    invoke: scopes.includes('invoke'),
    tenant,
    label: `API key ${mine?.name ?? ''} (${scopes.join(', ')})`.replace('  ', ' '),
  };
}

export function Login({ onLogin }: { onLogin(session: Session, caps: Capabilities): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const session: Session = { token: token.trim() };
    try {
      onLogin(session, await probeCapabilities(session));
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That token is unknown or revoked.'
          : `Could not sign in: ${messageOf(err)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form onSubmit={(e) => void submit(e)} class="panel" aria-labelledby="login-title">
        <h1 id="login-title">Toolport console</h1>
        <p class="muted">
          Sign in with the admin token (printed when the server starts, kept in <code>data/admin-token</code>) or a
          tenant API key. It stays in this tab only.
        </p>
        <TextField
          id="token"
          label="Admin token or API key"
          name="token"
          type="password"
          autoComplete="off"
          required
          value={token}
          onValue={setToken}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
