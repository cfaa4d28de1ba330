import { useEffect, useMemo, useState } from 'preact/hooks';
import { createApiClient, must, type Session } from './api/client';
import { openEventStream, type RegistryEvent } from './api/events';
import { Login } from './login';
import { AccessPage } from './pages/access';
import { ConnectorsPage } from './pages/connectors';
import { HealthPage } from './pages/health';
import { ProjectsPage } from './pages/projects';
import { PythonPage } from './pages/python';
import { ToolsPage } from './pages/tools';
import { AppContext, useApp, useLoad, type AppState, type Capabilities } from './state';

const SESSION_KEY = 'toolport.session';

const PAGES = [
  { id: 'projects', title: 'Projects', Page: ProjectsPage },
  { id: 'connectors', title: 'Connectors', Page: ConnectorsPage },
  { id: 'tools', title: 'Tools', Page: ToolsPage },
  { id: 'python', title: 'Python', Page: PythonPage },
  { id: 'health', title: 'Health & usage', Page: HealthPage },
  { id: 'access', title: 'Access', Page: AccessPage },
] as const;

interface Stored {
  session: Session;
  caps: Capabilities;
  project?: string;
}

function readStored(): Stored | undefined {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as Stored) : undefined;
  } catch {
    return undefined;
  }
}

/** `#/tools?tool=x` → { page: 'tools', params }. */
function parseHash(): { page: string; params: URLSearchParams } {
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { page: path || 'projects', params: new URLSearchParams(query) };
}

export function useRoute(): { page: string; params: URLSearchParams } {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const onChange = (): void => setRoute(parseHash());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function App() {
  const [stored, setStored] = useState<Stored | undefined>(readStored);
  useEffect(() => {
    if (stored) sessionStorage.setItem(SESSION_KEY, JSON.stringify(stored));
    else sessionStorage.removeItem(SESSION_KEY);
  }, [stored]);

  if (!stored) return <Login onLogin={(session, caps) => setStored({ session, caps })} />;
  return (
    <SignedIn key={`${stored.session.token}/${stored.session.tenant ?? ''}`} stored={stored} setStored={setStored} />
  );
}

function SignedIn({ stored, setStored }: { stored: Stored; setStored(s: Stored | undefined): void }) {
  const api = useMemo(() => createApiClient(stored.session), [stored.session]);
  const [tick, setTick] = useState(0);
  const [lastEvent, setLastEvent] = useState<RegistryEvent | null>(null);
  const [live, setLive] = useState(false);
  const [notice, setNotice] = useState('');

  useEffect(
    () =>
      openEventStream(stored.session, {
        onEvent: (event) => {
          setLastEvent(event);
          setTick((t) => t + 1);
        },
        onState: setLive,
        onUnauthorized: () => setStored(undefined),
      }),
    [stored.session],
  );

  const state: AppState = {
    session: stored.session,
    api,
    caps: stored.caps,
    project: stored.project ?? '',
    setProject: (project) => setStored({ ...stored, project }),
    tick,
    lastEvent,
    live,
    notify: setNotice,
    logout: () => setStored(undefined),
    actAs: (tenant) =>
      setStored({
        session: { ...stored.session, ...(tenant ? { tenant } : { tenant: undefined }) },
        caps: { ...stored.caps, tenant: tenant ?? 'default' },
      }),
  };
  return (
    <AppContext.Provider value={state}>
      <Shell notice={notice} />
    </AppContext.Provider>
  );
}

function Shell({ notice }: { notice: string }) {
  const app = useApp();
  const route = useRoute();
  const projects = useLoad(async () => (await must(app.api.GET('/v1/projects'))).projects, []);
  const list = projects.data ?? [];
  // Pick a project when none is chosen (or the chosen one is gone): `demo` if present, else the first.
  useEffect(() => {
    if (!projects.data) return;
    if (!list.some((p) => p.id === app.project)) {
      const next = list.find((p) => p.id === 'demo') ?? list[0];
      if (next?.id) app.setProject(next.id);
    }
  }, [projects.data]);
  const current = PAGES.find((p) => p.id === route.page) ?? PAGES[0];

  return (
    <div class="shell">
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          // The hash is the router's: move focus without navigating.
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <strong class="brand">Toolport</strong>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a key={p.id} href={`#/${p.id}`} aria-current={p.id === current.id ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <div class="who">
          <label for="project-select">Project</label>
          <select id="project-select" value={app.project} onChange={(e) => app.setProject(e.currentTarget.value)}>
            {list.map((p) => (
              <option key={p.id} value={p.id}>
                {p.id}
              </option>
            ))}
          </select>
          <span
            class={`live ${app.live ? 'on' : 'off'}`}
            role="status"
            title="Updates arrive from the /v1/events stream"
          >
            {app.live ? 'live' : 'offline'}
          </span>
          <span class="muted" title={app.caps.label}>
            {app.caps.label}
            {app.session.tenant ? ` · tenant ${app.session.tenant}` : ''}
          </span>
          <button type="button" class="small" onClick={app.logout}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <h1 class="page-title">{current.title}</h1>
        <current.Page params={route.params} reloadProjects={projects.reload} />
      </main>
      <div class="toast" role="status" aria-live="polite">
        {notice}
      </div>
    </div>
  );
}
