import { useMemo, useState } from 'preact/hooks';
import uPlot, { type AlignedData, type Options } from 'uplot';
import { must, type ApiClient } from '../api/client';
import { projectConnectors, projectTools } from '../api/queries';
import { Chart } from '../components/chart';
import { Empty, ErrorBox, Section, StatusBadge, Table, when } from '../components/common';
import { useApp, useLoad, useManagedConnector, type ConnectorPath, type PageProps } from '../state';

/** p50 as bars centred on each tool. */
const bars = uPlot.paths.bars?.({ size: [0.5, 60], align: 0 });

interface Check {
  checked_at: string;
  ok: boolean;
  latency_ms?: number | null;
  message?: string | null;
}

interface ToolUsage {
  qualified_name?: string;
  connector?: string;
  usage?: { calls?: number; errors?: number; p50_ms?: number; p95_ms?: number; p99_ms?: number };
}

export function HealthPage(_props: PageProps) {
  const app = useApp();
  const project = app.project;
  const connectors = useLoad(() => projectConnectors(app.api, project), [project]);
  const tools = useLoad(async () => (await projectTools(app.api, project)) as ToolUsage[], [project]);
  const [chosen, setChosen] = useState('');
  const name = chosen || connectors.data?.[0]?.name || '';

  return (
    <div class="stack">
      <Overview project={project} />
      <Section title="Health history">
        <ErrorBox error={connectors.error} />
        {connectors.data?.length === 0 && <Empty>No connectors in this project.</Empty>}
        {connectors.data && connectors.data.length > 0 && (
          <>
            <label for="health-connector">Connector</label>
            <select id="health-connector" value={name} onChange={(e) => setChosen(e.currentTarget.value)}>
              {connectors.data.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name} ({c.status})
                </option>
              ))}
            </select>
            {name && <HealthHistory key={`${project}/${name}`} project={project} name={name} />}
          </>
        )}
      </Section>
      <Section title="Call latency and error rates by tool">
        <ErrorBox error={tools.error} />
        <ToolLatency tools={tools.data ?? []} />
      </Section>
    </div>
  );
}

function Overview({ project }: { project: string }) {
  const app = useApp();
  const global = useLoad(async () => must(app.api.GET('/v1/stats')), []);
  const projectStats = useLoad(
    async () =>
      project
        ? must(app.api.GET('/v1/projects/{project_id}/stats', { params: { path: { project_id: project } } }))
        : undefined,
    [project],
  );
  const services = useLoad(
    async () => must(app.api.GET('/api/v1/services/stats/overview', { params: { query: project ? { project } : {} } })),
    [project],
  );
  const g = global.data as Record<string, unknown> | undefined;
  const p = projectStats.data as Record<string, unknown> | undefined;
  const errorRate = (calls: unknown, errors: unknown): string =>
    typeof calls === 'number' && calls > 0 && typeof errors === 'number'
      ? `${((errors / calls) * 100).toFixed(1)}%`
      : '—';
  return (
    <div class="grid three">
      <Section title="Tenant (/v1/stats)">
        <ErrorBox error={global.error} />
        {g && (
          <dl class="facts">
            <dt>Projects</dt>
            <dd>{String(g.total_projects ?? '—')}</dd>
            <dt>Connectors</dt>
            <dd>{String(g.total_connectors ?? '—')}</dd>
            <dt>Tools</dt>
            <dd>{String(g.total_tools ?? '—')}</dd>
            <dt>Calls / errors</dt>
            <dd>
              {String(g.calls ?? 0)} / {String(g.errors ?? 0)} ({errorRate(g.calls, g.errors)})
            </dd>
          </dl>
        )}
      </Section>
      <Section title={`Project ${project}`}>
        <ErrorBox error={projectStats.error} />
        {p && (
          <dl class="facts">
            <dt>Connectors (enabled)</dt>
            <dd>
              {String(p.connector_count ?? '—')} ({String(p.enabled_connectors ?? '—')})
            </dd>
            <dt>By status</dt>
            <dd>
              <Counts counts={p.by_status} />
            </dd>
            <dt>Calls / errors</dt>
            <dd>
              {String(p.calls ?? 0)} / {String(p.errors ?? 0)} ({errorRate(p.calls, p.errors)})
            </dd>
            <dt>Average latency</dt>
            <dd>{p.avg_latency_ms == null ? '—' : `${String(p.avg_latency_ms)} ms`}</dd>
          </dl>
        )}
      </Section>
      <Section title="Services (/api/v1/services/stats/overview)">
        <ErrorBox error={services.error} />
        {services.data && <ServicesOverview overview={services.data as Record<string, Record<string, unknown>>} />}
      </Section>
    </div>
  );
}

/** `{active: 4, error: 1}` as status badges with counts. */
function Counts({ counts }: { counts: unknown }) {
  const entries = Object.entries((counts ?? {}) as Record<string, number>);
  return (
    <span class="row wrap">
      {entries.map(([status, n]) => (
        <span key={status}>
          <StatusBadge status={status} /> {n}
        </span>
      ))}
    </span>
  );
}

function ServicesOverview({ overview }: { overview: Record<string, Record<string, unknown>> }) {
  const registry = overview.registry ?? {};
  const health = overview.health ?? {};
  return (
    <dl class="facts">
      <dt>Services</dt>
      <dd>{String(registry.total_services ?? '—')}</dd>
      <dt>By status</dt>
      <dd>
        <Counts counts={registry.by_status} />
      </dd>
      <dt>By type</dt>
      <dd>
        {Object.entries((registry.by_type ?? {}) as Record<string, number>)
          .map(([type, n]) => `${type} ${n}`)
          .join(' · ') || '—'}
      </dd>
      <dt>Health</dt>
      <dd>
        {String(health.healthy ?? 0)} healthy · {String(health.unhealthy ?? 0)} unhealthy ·{' '}
        {String(health.unknown ?? 0)} unknown
      </dd>
      <dt>Average check</dt>
      <dd>
        {health.average_response_time_ms == null ? '—' : `${Number(health.average_response_time_ms).toFixed(1)} ms`}
      </dd>
    </dl>
  );
}

/** How many of a connector's newest checks the page shows (the route answers 20 unless asked for more). */
const HISTORY_WINDOW = 100;

/** A connector's newest recorded health checks, at most `HISTORY_WINDOW`, newest first. */
async function loadChecks(api: ApiClient, path: ConnectorPath): Promise<Check[]> {
  const answer = await must(
    api.GET('/v1/projects/{project_id}/connectors/{name}/health', {
      params: { path, query: { limit: HISTORY_WINDOW } },
    }),
  );
  return (answer.checks ?? []) as Check[];
}

/**
 * The checks oldest first, each with a key of its own: checks carry no id and two can share a time, so the key is
 * the time and how many older checks of the window share it (which stays put as newer checks arrive).
 */
function keyedOldestFirst(newestFirst: Check[]): (Check & { key: string })[] {
  const oldestFirst = newestFirst
    .map((check, i) => ({ check, i }))
    .sort((a, b) => Date.parse(a.check.checked_at) - Date.parse(b.check.checked_at) || b.i - a.i);
  const seen = new Map<string, number>();
  return oldestFirst.map(({ check }) => {
    const n = seen.get(check.checked_at) ?? 0;
    seen.set(check.checked_at, n + 1);
    return { ...check, key: `${check.checked_at}#${n}` };
  });
}

function HealthHistory({ project, name }: { project: string; name: string }) {
  const app = useApp();
  const history = useManagedConnector(project, name, loadChecks);
  const checks = useMemo(() => keyedOldestFirst(history.data ?? []), [history.data]);
  const data = useMemo<AlignedData>(
    () => [
      checks.map((c) => Date.parse(c.checked_at) / 1000),
      checks.map((c) => c.latency_ms ?? null),
      checks.map((c) => (c.ok ? null : (c.latency_ms ?? 0))),
    ],
    [checks],
  );
  const options = useMemo<Omit<Options, 'width'>>(
    () => ({
      height: 220,
      scales: { x: { time: true } },
      series: [
        {},
        { label: 'latency (ms)', stroke: '#2563eb', width: 2, points: { show: true } },
        {
          label: 'failed check',
          stroke: '#dc2626',
          paths: () => null,
          points: { show: true, size: 8, fill: '#dc2626' },
        },
      ],
      axes: [{}, { label: 'ms' }],
    }),
    [],
  );
  const failures = checks.filter((c) => !c.ok).length;
  const check = (): void => {
    void history.change(() =>
      must(app.api.POST('/v1/projects/{project_id}/connectors/{name}/health', { params: { path: history.path } })),
    );
  };
  return (
    <div class="stack">
      <div class="row wrap">
        <span>
          {/* A full window may leave older checks out: say the numbers are of the newest only. */}
          {checks.length >= HISTORY_WINDOW ? `last ${checks.length}` : checks.length} checks, {failures} failed
          {checks.length ? ` (${((failures / checks.length) * 100).toFixed(0)}% error rate)` : ''}
        </span>
        {app.caps.admin && (
          <button type="button" class="small" disabled={history.busy} onClick={check}>
            Check now
          </button>
        )}
      </div>
      <ErrorBox error={history.error} />
      {checks.length === 0 ? (
        <Empty>No health checks recorded yet.</Empty>
      ) : (
        <Chart options={options} data={data} label={`Health check latency of ${name} over time`} />
      )}
      {checks.length > 0 && (
        <details>
          <summary>Recent checks</summary>
          <ul>
            {checks
              .slice(-10)
              .reverse()
              .map((c) => (
                <li key={c.key}>
                  <StatusBadge status={c.ok ? 'active' : 'error'} /> {when(c.checked_at)} · {c.latency_ms ?? '—'} ms
                  {c.message ? ` · ${c.message}` : ''}
                </li>
              ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function ToolLatency({ tools }: { tools: ToolUsage[] }) {
  const used = tools.filter((t) => (t.usage?.calls ?? 0) > 0);
  const data = useMemo<AlignedData>(
    () => [
      used.map((_, i) => i),
      used.map((t) => t.usage?.p50_ms ?? null),
      used.map((t) => t.usage?.p95_ms ?? null),
      used.map((t) => t.usage?.p99_ms ?? null),
    ],
    [tools],
  );
  const options = useMemo<Omit<Options, 'width'>>(
    () => ({
      height: 220,
      scales: {
        x: { time: false, range: (_u, min, max) => [min - 0.6, max + 0.6] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] },
      },
      series: [
        { label: 'tool' },
        { label: 'p50 ms', stroke: '#16a34a', fill: '#16a34a55', width: 1, paths: bars, points: { show: false } },
        { label: 'p95 ms', stroke: '#d97706', paths: () => null, points: { show: true, size: 9, fill: '#d97706' } },
        { label: 'p99 ms', stroke: '#dc2626', paths: () => null, points: { show: true, size: 9, fill: '#dc2626' } },
      ],
      axes: [
        {
          splits: () => used.map((_, i) => i),
          values: (_u, ticks) => ticks.map((i) => used[i]?.qualified_name ?? ''),
        },
        { label: 'ms' },
      ],
    }),
    [tools],
  );
  return (
    <>
      {used.length === 0 ? (
        <Empty>No calls recorded yet: try a tool in the playground.</Empty>
      ) : (
        <Chart options={options} data={data} label="Call latency percentiles by tool" />
      )}
      <Table label="Usage by tool" columns={['Tool', 'Calls', 'Errors', 'Error rate', 'p50 / p95 / p99 ms']}>
        {tools.map((t) => {
          const calls = t.usage?.calls ?? 0;
          const errors = t.usage?.errors ?? 0;
          return (
            <tr key={t.qualified_name}>
              <th scope="row">{t.qualified_name}</th>
              <td>{calls}</td>
              <td>{errors}</td>
              <td>{calls ? `${((errors / calls) * 100).toFixed(1)}%` : '—'}</td>
              <td>
                {t.usage?.p50_ms ?? '—'} / {t.usage?.p95_ms ?? '—'} / {t.usage?.p99_ms ?? '—'}
              </td>
            </tr>
          );
        })}
      </Table>
    </>
  );
}
