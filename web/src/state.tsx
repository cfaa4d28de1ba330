import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient, ApiError, Session } from './api/client';
import type { RegistryEvent } from './api/events';

/** What the signed-in token may do, found out at login by asking the API. */
export interface Capabilities {
  operator: boolean;
  admin: boolean;
  invoke: boolean;
  tenant: string;
  /** Shown in the header: "operator" or the key's name and scopes. */
  label: string;
}

export interface AppState {
  session: Session;
  api: ApiClient;
  caps: Capabilities;
  project: string;
  setProject(id: string): void;
  /** Increases with every event of the stream; pages reload when it changes. */
  tick: number;
  lastEvent: RegistryEvent | null;
  live: boolean;
  notify(message: string): void;
  logout(): void;
  /** The operator switches the tenant it acts in (X-Tenant-Id). */
  actAs(tenant: string | undefined): void;
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const app = useContext(AppContext);
  if (!app) throw new Error('useApp outside the signed-in app');
  return app;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload(): void;
}

/**
 * Loads data and loads it again when `deps` change or, with `live`, when an event arrives (debounced, so a
 * burst of events costs one request).
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], live = true): Loaded<T> {
  const { tick } = useApp();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const liveTick = live ? tick : 0;
  const first = useRef(true);

  useEffect(() => {
    let cancelled = false;
    const delay = first.current ? 0 : 120;
    first.current = false;
    const timer = setTimeout(() => {
      setLoading(true);
      loadRef
        .current()
        .then((value) => {
          if (cancelled) return;
          setData(value);
          setError(undefined);
        })
        .catch((err: unknown) => {
          if (!cancelled) setError(err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => {
          if (!cancelled) setLoading(false);
        });
    }, delay);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [...deps, liveTick, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data, error, loading, reload };
}

/**
 * Loads `loaded` again `everyMs` after each of its loads ended, for as long as the calling component is mounted: for
 * data that changes without an event saying so. The next poll is set only when a load has ended, so none pile up;
 * while the tab is hidden, the poll waits until it is shown again.
 */
export function usePolling({ loading, reload }: Pick<Loaded<unknown>, 'loading' | 'reload'>, everyMs: number): void {
  useEffect(() => {
    if (loading) return undefined;
    const poll = (): void => {
      if (document.visibilityState === 'hidden') document.addEventListener('visibilitychange', poll, { once: true });
      else reload();
    };
    const timer = setTimeout(poll, everyMs);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', poll);
    };
  }, [loading, reload, everyMs]);
}

/** Runs an action, tracking busy state and the error it threw. */
export function useAction(): {
  busy: boolean;
  error: ApiError | Error | undefined;
  run<T>(action: () => Promise<T>): Promise<T | undefined>;
  clear(): void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action();
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(undefined) };
}

/** Data a page loads and changes: `useLoad` and `useAction` together, with one error and one busy flag. */
export interface Managed<T> {
  data: T | undefined;
  /** The load's error, else the last action's. */
  error: ApiError | Error | undefined;
  loading: boolean;
  /** An action is running. */
  busy: boolean;
  reload(): void;
  /** Runs `fn` as the action and loads the data again when it succeeded; resolves to whether it did. */
  change(fn: () => Promise<unknown>): Promise<boolean>;
  /** Runs `fn` as the action without loading again (its effect comes back through the event stream). */
  act(fn: () => Promise<unknown>): Promise<boolean>;
}

/** `useLoad(load, deps, live)` with an action whose success loads the data again (`change`). */
export function useManaged<T>(load: () => Promise<T>, deps: unknown[], live = true): Managed<T> {
  const loaded = useLoad(load, deps, live);
  const action = useAction();
  const act = async (fn: () => Promise<unknown>): Promise<boolean> =>
    (await action.run(async () => {
      await fn();
      return true;
    })) === true;
  const change = async (fn: () => Promise<unknown>): Promise<boolean> => {
    const done = await act(fn);
    if (done) loaded.reload();
    return done;
  };
  return {
    data: loaded.data,
    error: loaded.error ?? action.error,
    loading: loaded.loading,
    busy: action.busy,
    reload: loaded.reload,
    change,
    act,
  };
}

/** The path parameters of one connector's routes. */
export interface ConnectorPath {
  project_id: string;
  name: string;
}

/**
 * `useManaged` for data of one connector: `load` gets the client and the connector's path (also returned, for the
 * actions), and runs again when the connector changes.
 */
export function useManagedConnector<T>(
  project: string,
  name: string,
  load: (api: ApiClient, path: ConnectorPath) => Promise<T>,
): Managed<T> & { path: ConnectorPath } {
  const { api } = useApp();
  const path = { project_id: project, name };
  return { ...useManaged(() => load(api, path), [project, name]), path };
}

/** What every page receives from the shell. */
export interface PageProps {
  params: URLSearchParams;
  reloadProjects(): void;
}
