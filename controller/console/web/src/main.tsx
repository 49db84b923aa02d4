// The Fleetward console (docs/console.md): a single-page app routed on the location hash, rendering what the
// server's JSON API (controller/console/api.ts) computed. Text is always rendered as text (Preact escapes it):
// device names and versions come from the back end and are untrusted.
import { render, type ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './style.css';
import 'uplot/dist/uPlot.min.css';
import { AdoptionChart } from './chart.tsx';
import {
  get, OUTCOME_WORDS, OUTCOMES, type Device, type DeviceList, type Overview, type Paths, type Provisioning,
  type Release, type ReleaseView, type Stage, type Outcome,
} from './api.ts';
import { day, plural, safeUrl, when } from './format.ts';

// ---- routing ------------------------------------------------------------------------------------

interface Route { page: string; parts: string[]; params: URLSearchParams }

function parseHash(): Route {
  const h = location.hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const parts = path.split('/').filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
  return { page: parts[0] ?? '', parts: parts.slice(1), params: new URLSearchParams(q < 0 ? '' : h.slice(q + 1)) };
}

const enc = encodeURIComponent;
export const link = {
  overview: () => '#/',
  devices: (p: Record<string, string | undefined> = {}) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(p)) if (v) q.set(k, v);
    const s = q.toString();
    return `#/devices${s ? `?${s}` : ''}`;
  },
  device: (id: string) => `#/device/${enc(id)}`,
  release: (component: string, version: string) => `#/release/${enc(component)}/${enc(version)}`,
  releases: () => '#/releases',
  paths: () => '#/paths',
  provisioning: () => '#/provisioning',
};

function useRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

/**
 * Fetches `path` (again when it changes, and every `refreshMs` when given: the overview follows a running
 * rollout); `null` while loading. A refresh keeps the figures on screen until the new ones arrive.
 */
function useApi<T>(path: string, refreshMs?: number): { data: T | null; error: string | null } {
  const [state, setState] = useState<{ path: string; data: T | null; error: string | null }>({ path, data: null, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(() => { if (document.visibilityState === 'visible') setTick((n) => n + 1); }, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);
  useEffect(() => {
    let live = true;
    get<T>(path).then((data) => live && setState({ path, data, error: null }), (err: Error) => live && setState({ path, data: null, error: err.message }));
    return () => { live = false; };
  }, [path, tick]);
  return state.path === path ? state : { data: null, error: null };
}

// ---- layout -------------------------------------------------------------------------------------

const NAV: [string, string, string][] = [
  ['', 'Overview', link.overview()], ['releases', 'Releases', link.releases()], ['devices', 'Devices', link.devices()], ['paths', 'Update paths', link.paths()],
  ['provisioning', 'Provisioning', link.provisioning()],
];

function App() {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  // After navigating, the page's heading takes the focus: a keyboard or screen-reader user starts at the new
  // page. Not on the first load: there the skip link is the first stop of the Tab key.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) { first.current = false; return; }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route.page, route.parts.join('/')]);
  const current = route.page === 'device' ? 'devices' : route.page === 'release' ? 'releases' : route.page;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); main.current?.querySelector<HTMLElement>('h1')?.focus(); }}>Skip to content</a>
      <header class="top">
        <span class="brand">Fleetward</span>
        <nav aria-label="Console">
          <ul>
            {NAV.map(([page, label, href]) => (
              <li key={page}><a href={href} aria-current={current === page ? 'page' : undefined}>{label}</a></li>
            ))}
          </ul>
        </nav>
        <form method="post" action="/ui/logout" class="logout"><button type="submit">Sign out</button></form>
      </header>
      <main id="main" ref={main}>
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case '': return <OverviewPage />;
    case 'devices': return <DevicesPage params={route.params} />;
    case 'device': return <DevicePage id={route.parts[0] ?? ''} />;
    case 'releases': return <ReleasesPage />;
    case 'release': return <ReleasePage component={route.parts[0] ?? ''} version={route.parts[1] ?? ''} />;
    case 'paths': return <PathsPage />;
    case 'provisioning': return <ProvisioningPage />;
    default: return <><Title>Not found</Title><p>No page {route.page}. <a href={link.overview()}>Overview</a></p></>;
  }
}

function Title({ children }: { children: ComponentChildren }) {
  useEffect(() => { document.title = `${typeof children === 'string' ? children : 'Fleetward'} · Fleetward console`; });
  return <h1 tabIndex={-1}>{children}</h1>;
}

function Loading({ error }: { error: string | null }) {
  return error ? <p class="error" role="alert">{error}</p> : <p class="loading" aria-live="polite">Loading…</p>;
}

function Badge({ state }: { state: string }) {
  return <span class={`badge badge-${state}`}>{state.replace(/([a-z])([A-Z])/g, '$1 $2')}</span>;
}

function OutcomeBadge({ outcome }: { outcome: Outcome }) {
  return <span class={`badge outcome-${outcome}`}>{OUTCOME_WORDS[outcome]}</span>;
}

/** A stacked bar of a stage's devices by outcome; the numbers are in its label and its title. */
function OutcomeBar({ counts, total }: { counts: Partial<Record<Outcome, number>>; total: number }) {
  const words = OUTCOMES.filter((o) => counts[o]).map((o) => `${counts[o]} ${OUTCOME_WORDS[o].toLowerCase()}`).join(', ');
  return (
    <div class="bar" role="img" aria-label={words || 'no devices'} title={words}>
      {OUTCOMES.map((o) => counts[o] ? <span key={o} class={`seg outcome-${o}`} style={{ width: `${(counts[o]! / Math.max(1, total)) * 100}%` }} /> : null)}
    </div>
  );
}

function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  return <div class="progress"><progress value={value} max={Math.max(1, max)} aria-label={label} /> <span>{value}/{max}</span></div>;
}

// ---- overview -----------------------------------------------------------------------------------

function OverviewPage() {
  const { data, error } = useApi<Overview>('overview', 3000);
  if (!data) return <><Title>Overview</Title><Loading error={error} /></>;
  const o = data;
  return (
    <>
      <Title>Overview</Title>
      <p class="lead">
        Last pass <strong data-testid="last-pass">{when(o.at)}</strong> · revision <code data-testid="revision">{o.revision ? o.revision.slice(0, 19) : '(none applied)'}</code>
        {o.ready ? <> · Ready <Badge state={o.ready.status === 'True' ? 'Ready' : 'NotReady'} /> {o.ready.reason} since {when(o.ready.since)}</> : null}
      </p>
      {o.newestRevision && o.newestRevision !== o.revision
        ? <div class="notice warn" role="status">Newest revision {o.newestRevision.slice(0, 19)} was not applied:<ul>{o.revisionErrors.slice(0, 5).map((e) => <li key={e}><code>{e}</code></li>)}</ul></div> : null}
      {o.autoUpdatesPausedUntil
        ? <div class="notice warn" role="status" data-testid="paused">Automatic updates are paused until <strong>{when(o.autoUpdatesPausedUntil)}</strong> (FleetPolicy/default). <code>fleetward resume</code> lifts it sooner.</div> : null}
      <section aria-labelledby="h-outcomes">
        <h2 id="h-outcomes">Devices by outcome <span class="muted">({plural(o.devices, 'device')})</span></h2>
        <ul class="cards">
          {OUTCOMES.filter((k) => k !== 'rolledBack' && k !== 'windowMissed' || o.outcomes[k]).map((k) => (
            <li key={k} class={`card outcome-${k}`}>
              <a href={link.devices({ outcome: k })}>
                <span class="num" data-testid={`outcome-${k}`}>{o.outcomes[k].toLocaleString('en-US')}</span>
                <span class="label">{OUTCOME_WORDS[k]}</span>
              </a>
            </li>
          ))}
        </ul>
        <p class="muted">Operations issued {o.operationsIssued.toLocaleString('en-US')} · in flight {o.operationsInFlight.toLocaleString('en-US')}{o.quarantined ? ` · ${o.quarantined} damaged record(s) quarantined` : ''}</p>
      </section>
      <section aria-labelledby="h-stages">
        <h2 id="h-stages">Phases and rings</h2>
        <div class="table-wrap"><table class="stages">
          <thead><tr><th scope="col">Stage</th><th scope="col">Devices</th><th scope="col">Progress</th>{OUTCOMES.slice(0, 5).map((k) => <th scope="col" key={k}>{OUTCOME_WORDS[k]}</th>)}</tr></thead>
          <tbody>
            {o.stages.map((s: Stage) => (
              <tr key={`${s.kind}/${s.name}`} data-testid={`stage-${s.kind}-${s.name}`}>
                <th scope="row"><a href={link.devices({ stage: s.kind === 'none' ? 'none' : `${s.kind}/${s.name}` })}>{s.kind === 'none' ? s.name : `${s.kind} ${s.name}`}</a></th>
                <td class="n">{s.devices}</td>
                <td><OutcomeBar counts={s} total={s.devices} /></td>
                {OUTCOMES.slice(0, 5).map((k) => <td class="n" key={k}>{s[k] ?? 0}</td>)}
              </tr>
            ))}
          </tbody>
        </table></div>
      </section>
      <section aria-labelledby="h-releases">
        <h2 id="h-releases">Releases in progress</h2>
        {o.releases.length === 0 ? <p>No release is being deployed.</p> : <ReleaseTable releases={o.releases} />}
        <p>{o.releasesInProgress > o.releases.length ? `${o.releases.length} of ${o.releasesInProgress} in progress shown, paused first. ` : ''}<a href={link.releases()}>All {plural(o.releasesTotal, 'release')}</a></p>
      </section>
    </>
  );
}

function ReleaseTable({ releases }: { releases: Release[] }) {
  return (
    <div class="table-wrap">
    <table class="releases">
      <thead><tr><th scope="col">Release</th><th scope="col">State</th><th scope="col">Stages</th><th scope="col">Failed</th><th scope="col">Held</th></tr></thead>
      <tbody>
        {releases.map((r) => (
          <tr key={`${r.component}@${r.version}`}>
            <th scope="row"><a href={link.release(r.component, r.version)}>{r.component} {r.version}</a></th>
            <td><Badge state={r.state} />{r.reason ? <div class="muted small">{r.reason}</div> : null}</td>
            <td>
              <ul class="stage-bars">
                {r.stages.map((s) => (
                  <li key={s.name}><span class="stage-name">{s.name}</span> <Progress value={s.updated} max={s.devices} label={`${r.component} ${r.version} ${s.kind} ${s.name}: ${s.updated} of ${s.devices} updated`} /></li>
                ))}
              </ul>
            </td>
            <td class="n">{r.failed}</td>
            <td class="n">{r.held}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

// ---- devices ------------------------------------------------------------------------------------

const FILTERS: [keyof DeviceList['facets'] | 'q', string][] = [
  ['group', 'Group'], ['stage', 'Phase or ring'], ['model', 'Model'], ['site', 'Site'], ['label', 'Label'], ['outcome', 'Outcome'],
];
const PAGE = 50;

function DevicesPage({ params }: { params: URLSearchParams }) {
  const filters: Record<string, string | undefined> = {};
  for (const [k] of FILTERS) filters[k] = params.get(k) ?? undefined;
  filters.q = params.get('q') ?? undefined;
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) query.set(k, v);
  query.set('offset', String(offset));
  query.set('limit', String(PAGE));
  const { data, error } = useApi<DeviceList>(`devices?${query}`);
  const go = (changes: Record<string, string | undefined>) => { location.hash = link.devices({ ...filters, ...changes, offset: undefined }).slice(1); };
  const [q, setQ] = useState(filters.q ?? '');
  return (
    <>
      <Title>Devices</Title>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); go({ q: q || undefined }); }}>
        <div class="field">
          <label for="f-q">Name or id</label>
          <input id="f-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </div>
        {FILTERS.map(([k, label]) => (
          <div class="field" key={k}>
            <label for={`f-${k}`}>{label}</label>
            <select id={`f-${k}`} value={filters[k] ?? ''} onChange={(e) => go({ [k]: (e.target as HTMLSelectElement).value || undefined })}>
              <option value="">All</option>
              {(data?.facets[k as keyof DeviceList['facets']] ?? []).map((f) => (
                <option key={f.value} value={f.value}>{k === 'outcome' ? OUTCOME_WORDS[f.value as Outcome] : f.value} ({f.devices})</option>
              ))}
              {filters[k] && !data ? <option value={filters[k]}>{filters[k]}</option> : null}
            </select>
          </div>
        ))}
        <div class="field actions"><button type="submit">Search</button> <a href={link.devices()}>Clear</a></div>
      </form>
      {!data ? <Loading error={error} /> : (
        <>
          <p aria-live="polite"><span data-testid="device-total">{data.total.toLocaleString('en-US')}</span> device{data.total === 1 ? '' : 's'} match{data.total === 1 ? 'es' : ''}{data.total ? `, ${data.offset + 1}–${data.offset + data.items.length} shown` : ''}.</p>
          <div class="table-wrap">
            <table class="devices">
              <thead><tr><th scope="col">Device</th><th scope="col">Model</th><th scope="col">Group</th><th scope="col">Stage</th><th scope="col">Site</th><th scope="col">Firmware</th><th scope="col">Teams app</th><th scope="col">Outcome</th></tr></thead>
              <tbody>
                {data.items.map((d) => (
                  <tr key={d.id}>
                    <th scope="row"><a href={link.device(d.id)}>{d.name}</a>{d.name !== d.id ? <div class="muted small">{d.id}</div> : null}</th>
                    <td>{d.manufacturer} {d.model}</td>
                    <td>{d.group ?? '—'}</td>
                    <td>{d.stage}</td>
                    <td>{d.site ?? '—'}</td>
                    <td><code>{d.firmware ?? '—'}</code></td>
                    <td><code>{d.teamsClient ?? '—'}</code></td>
                    <td><OutcomeBadge outcome={d.outcome} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages">
            {data.offset > 0 ? <a href={link.devices({ ...filters, offset: String(Math.max(0, data.offset - PAGE)) })} rel="prev">← Previous</a> : <span aria-disabled="true" class="muted">← Previous</span>}
            <span>Page {Math.floor(data.offset / PAGE) + 1} of {Math.max(1, Math.ceil(data.total / PAGE))}</span>
            {data.offset + data.items.length < data.total ? <a href={link.devices({ ...filters, offset: String(data.offset + PAGE) })} rel="next">Next →</a> : <span aria-disabled="true" class="muted">Next →</span>}
          </nav>
        </>
      )}
    </>
  );
}

// ---- one device ---------------------------------------------------------------------------------

function DevicePage({ id }: { id: string }) {
  const { data, error } = useApi<Device>(`devices/${encodeURIComponent(id)}`);
  if (!data) return <><Title>{id}</Title><Loading error={error} /></>;
  const d = data;
  return (
    <>
      <Title>{d.name}</Title>
      <p class="lead"><code>{d.id}</code> · {d.manufacturer} {d.model} ({d.deviceType}) · <OutcomeBadge outcome={d.outcome} /></p>
      <dl class="facts">
        <dt>Group</dt><dd>{d.group ? <a href={link.devices({ group: d.group })}>{d.group}</a> : '(none)'}</dd>
        <dt>{d.ring ? 'Ring' : 'Phase'}</dt><dd>{d.ring ?? d.phase ?? '—'}</dd>
        <dt>Maintenance window</dt><dd>{d.maintenanceWindow ?? '—'}</dd>
        <dt>Time zone</dt><dd>{d.timeZone ?? '—'}</dd>
        <dt>MAC address</dt><dd><code>{d.macAddress ?? '—'}</code></dd>
        <dt>Online</dt><dd>{d.online === null ? '—' : d.online ? 'yes' : 'no'}{d.activityState ? ` · ${d.activityState}` : ''}{d.healthStatus ? ` · health ${d.healthStatus}` : ''}</dd>
        <dt>Labels</dt><dd>{Object.entries(d.labels).map(([k, v]) => <code class="label" key={k}>{k}={v}</code>)}</dd>
      </dl>
      <section aria-labelledby="h-components">
        <h2 id="h-components">Components: why not updated, and when</h2>
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Component</th><th scope="col">Current</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Reason</th><th scope="col">Not before</th></tr></thead>
            <tbody>
              {d.components.map((c) => (
                <tr key={c.component}>
                  <th scope="row">{c.component}</th>
                  <td><code>{c.currentVersion ?? '—'}</code>{c.unsupported ? <div class="badge badge-Paused">unsupported</div> : null}</td>
                  <td><code>{c.targetVersion ?? '—'}</code></td>
                  <td><OutcomeBadge outcome={c.outcome} /></td>
                  <td><strong>{c.reason}</strong>{c.message ? <div class="small">{c.message}</div> : null}{c.softwareUpdate ? <div class="small">SoftwareUpdate/{c.softwareUpdate}</div> : null}</td>
                  <td>{when(c.notBefore)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="h-history">
        <h2 id="h-history">Operation history</h2>
        {d.historyLost ? <p class="notice warn">History lost {when(d.historyLost.at)}: {d.historyLost.reason}</p> : null}
        {d.history.length === 0 ? <p>No operation recorded.</p> : (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Created</th><th scope="col">Operation</th><th scope="col">Component</th><th scope="col">From → to</th><th scope="col">Status</th><th scope="col">Detail</th></tr></thead>
              <tbody>
                {d.history.map((h) => {
                  const logs = safeUrl(h.diagnostics?.logsUrl ?? h.logsUrl);
                  return (
                    <tr key={h.operationId}>
                      <td>{when(h.createdAt)}</td>
                      <td>{h.operationType}<div class="muted small">{h.issuedBy}{h.reason ? ` · ${h.reason}` : ''}</div></td>
                      <td>{h.component ?? '—'}</td>
                      <td><code>{h.fromVersion ?? '—'}</code> → <code>{h.toVersion ?? '—'}</code></td>
                      <td><Badge state={h.refused ? 'refused' : h.status} />{h.forced ? <div class="small">forced</div> : null}</td>
                      <td class="small">
                        {h.error ? <div>{h.error.code}: {h.error.message}</div> : null}
                        {h.rolledBack ? <div>rolled back: reports {h.rolledBack.reportedVersion} since {when(h.rolledBack.detectedAt)}</div> : null}
                        {h.windowOverrun ? <div>started after its maintenance window</div> : null}
                        {h.diagnostics ? <div>diagnostics {h.diagnostics.operationId} ({h.diagnostics.status})</div> : null}
                        {logs ? <a href={logs} rel="noopener noreferrer">diagnostics logs</a> : null}
                        {h.softwareUpdate ? <div>SoftwareUpdate/{h.softwareUpdate}</div> : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="h-prov">
        <h2 id="h-prov">Provisioning</h2>
        {d.provisioning
          ? <p>Batch <a href={link.provisioning()}>{d.provisioning.batch}</a>: <Badge state={d.provisioning.state} /> {d.provisioning.location ?? ''}{d.provisioning.codeExpiresAt ? ` · code expires ${when(d.provisioning.codeExpiresAt)}` : ''}</p>
          : <p>Not in a provisioning batch.</p>}
      </section>
    </>
  );
}

// ---- one release --------------------------------------------------------------------------------

function ReleasePage({ component, version }: { component: string; version: string }) {
  const { data, error } = useApi<ReleaseView>(`releases/${encodeURIComponent(component)}/${encodeURIComponent(version)}`);
  const title = `${component} ${version}`;
  if (!data) return <><Title>{title}</Title><Loading error={error} /></>;
  const r = data.release;
  const f = data.forecast;
  const times = r.stages.flatMap((s) => [s.startsAt, s.endsAt]).filter((t): t is string => !!t).map(Date.parse);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const span = Math.max(1, t1 - t0);
  return (
    <>
      <Title>{title}</Title>
      <p class="lead"><Badge state={r.state} /> {r.reason ?? ''} {r.startsAt ? `· ${day(r.startsAt)} → ${day(r.endsAt)}` : ''}</p>
      {r.pause ? <div class="notice warn" role="status">Paused in ring {r.pause.ring}: {r.pause.failed} of {r.pause.targeted} targeted devices failed, above its failure threshold of {r.pause.threshold}%.</div> : null}
      <section aria-labelledby="h-timeline">
        <h2 id="h-timeline">Stages</h2>
        <div class="table-wrap"><table class="timeline">
          <thead><tr><th scope="col">Stage</th><th scope="col">State</th><th scope="col">Starts</th><th scope="col">Ends</th><th scope="col">Timeline</th><th scope="col">Updated</th><th scope="col">Failed</th></tr></thead>
          <tbody>
            {r.stages.map((s) => {
              const a = s.startsAt ? Date.parse(s.startsAt) : NaN;
              const b = s.endsAt ? Date.parse(s.endsAt) : NaN;
              return (
                <tr key={s.name}>
                  <th scope="row">{s.kind} {s.name}</th>
                  <td><Badge state={s.state} /></td>
                  <td>{day(s.startsAt)}</td>
                  <td>{day(s.endsAt)}</td>
                  <td class="track">{Number.isFinite(a) && Number.isFinite(b) ? <span class="span" style={{ marginLeft: `${((a - t0) / span) * 100}%`, width: `${Math.max(1, ((b - a) / span) * 100)}%` }} /> : null}</td>
                  <td><Progress value={s.updated} max={s.devices} label={`${s.name}: ${s.updated} of ${s.devices} updated`} /></td>
                  <td class="n">{s.failed}</td>
                </tr>
              );
            })}
          </tbody>
        </table></div>
      </section>
      <section aria-labelledby="h-forecast">
        <h2 id="h-forecast">Forecast and what happened</h2>
        {f ? (
          <>
            <AdoptionChart forecast={f.adoption} actual={data.actual} label={`${title}: % of ${plural(f.eligibleDevices, 'eligible device')}`} />
            {f.notes.length ? <ul class="notes">{f.notes.map((n) => <li key={n}>{n}</li>)}</ul> : null}
          </>
        ) : <p>{data.forecastError ?? 'No forecast.'}</p>}
      </section>
      <section aria-labelledby="h-failed">
        <h2 id="h-failed">Failed and held devices</h2>
        <p>{plural(r.failed, 'device')} failed, {r.held} held, {r.rolledBack} rolled back.</p>
        <DeviceLinks title="Failed" ids={r.failedDevices} total={r.failed} />
        <DeviceLinks title="Held" ids={r.heldDevices} total={r.held} />
        <DeviceLinks title="Rolled back" ids={r.rolledBackDevices} total={r.rolledBack} />
        {data.retry.total ? (
          <>
            <h3>Retry them</h3>
            <p>{plural(data.retry.total, 'device')} can be retried. In the config repository, run:</p>
            <pre class="copy"><code>{data.retry.command}</code></pre>
            <p>It writes a SoftwareUpdate like this one (commit it, or <code>kubectl apply -f</code> it):</p>
            <pre class="copy"><code>{data.retry.yaml}</code></pre>
          </>
        ) : <p><code>{data.retry.command}</code> finds nothing to retry: no device failed to install it, is held after its retries or rolled it back (devices on it that went unhealthy, and devices held by a pause, are not retried; see <code>fleetward status --device ID</code>).</p>}
      </section>
    </>
  );
}

function ReleasesPage() {
  const { data, error } = useApi<{ releases: Release[] }>('releases');
  if (!data) return <><Title>Releases</Title><Loading error={error} /></>;
  return (
    <>
      <Title>Releases</Title>
      <p class="lead">Every release the last pass knew, in its seed-001 state: paused first, then in progress, scheduled, completed (with failures), deprecated and not required.</p>
      <ReleaseTable releases={data.releases} />
    </>
  );
}

function DeviceLinks({ title, ids, total }: { title: string; ids: string[] | undefined; total: number }) {
  if (!ids?.length) return null;
  return (
    <>
      <h3>{title}</h3>
      <ul class="inline">{ids.map((id) => <li key={id}><a href={link.device(id)}>{id}</a></li>)}</ul>
      {total > ids.length ? <p class="muted">… and {total - ids.length} more.</p> : null}
    </>
  );
}

// ---- update paths -------------------------------------------------------------------------------

function PathsPage() {
  const { data, error } = useApi<Paths>('paths');
  if (!data) return <><Title>Update paths</Title><Loading error={error} /></>;
  return (
    <>
      <Title>Update paths</Title>
      <p class="lead">Per model, how many devices sit on each current → new version path (seed 000 “Software auto-updates”), and how many are blocked, and why. As of {when(data.at)}.</p>
      {data.paths.length === 0 ? <p>No active update path.</p> : (
        <div class="table-wrap">
          <table class="paths">
            <thead><tr><th scope="col">Model</th><th scope="col">Component</th><th scope="col">Current → new</th><th scope="col">Eligible devices</th><th scope="col">Active stage</th><th scope="col">Blocked, and why</th></tr></thead>
            <tbody>
              {data.paths.map((p) => (
                <tr key={`${p.manufacturer}/${p.model}/${p.component}/${p.currentVersion}/${p.newVersion}`}>
                  <th scope="row"><a href={link.devices({ model: p.model })}>{p.manufacturer} {p.model}</a></th>
                  <td>{p.component}</td>
                  <td><code>{p.currentVersion}</code> → <code>{p.newVersion || '—'}</code></td>
                  <td class="n">{p.eligibleDevices}</td>
                  <td>{p.activeStage ?? '—'}</td>
                  <td>{p.blocked.length ? <ul class="plain">{p.blocked.map((b) => <li key={b.reason}>{b.devices} · {b.reason}</li>)}</ul> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

// ---- provisioning -------------------------------------------------------------------------------

function ProvisioningPage() {
  const { data, error } = useApi<Provisioning>('provisioning');
  if (!data) return <><Title>Provisioning</Title><Loading error={error} /></>;
  return (
    <>
      <Title>Provisioning</Title>
      <p class="lead">Remote provisioning batches (seed 004): each device's state and when its verification code expires. Codes themselves are never shown here: <code>fleetward provision export</code> hands them to technicians.</p>
      {data.batches.length === 0 ? <p>No provisioning batch.</p> : data.batches.map((b) => (
        <section key={b.batch} aria-labelledby={`h-b-${b.batch}`}>
          <h2 id={`h-b-${b.batch}`}>{b.batch}</h2>
          <p>{Object.entries(b.counts).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`).join(' · ') || 'no devices'}{b.lastReconciledAt ? ` · as of ${when(b.lastReconciledAt)}` : ''}</p>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">MAC address</th><th scope="col">Location</th><th scope="col">State</th><th scope="col">Code expires</th><th scope="col">Detail</th></tr></thead>
              <tbody>
                {b.devices.map((d) => (
                  <tr key={d.macAddress}>
                    <th scope="row"><code>{d.macAddress}</code></th>
                    <td>{d.location ?? '—'}</td>
                    <td><Badge state={d.state} /></td>
                    <td>{when(d.codeExpiresAt)}</td>
                    <td class="small">{d.message ?? ''}{d.requiredFirmware ? ` (needs firmware ${d.requiredFirmware})` : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </>
  );
}

render(<App />, document.getElementById('app')!);
