import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AuditEvent } from '../api';
import { formatTime, instant } from '../format';
import { PagedListBody, usePagedList } from '../paging';
import { TableFrame } from '../table-frame';
import { AuditChart } from './audit-chart';

interface Filters {
  readonly status: string;
  readonly policy: string;
  readonly type: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly since: string;
  readonly until: string;
}

const NO_FILTERS: Filters = { status: '', policy: '', type: '', cluster: '', namespace: '', since: '', until: '' };

const AUDIT_COLUMNS = ['Time', 'Verdict', 'Policy', 'Control', 'Action', 'Workload', 'User', 'Command', 'Detail'];

/** How often a followed audit log asks for its first page again. */
const FOLLOW_INTERVAL_MS = 5000;

function workloadOf(event: AuditEvent): string {
  const w = event.workload;
  const place = [w.cluster, w.namespace, w.pod ?? w.function ?? w.host].filter((part) => part !== null && part !== undefined).join('/');
  return w.container ? `${place} (${w.container})` : place;
}

/** The audit log, newest first, one page at a time with the API's cursors; filters, detail and follow live. */
export function AuditView() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [follow, setFollow] = useState(false);
  const [open, setOpen] = useState<string | undefined>();
  const list = usePagedList<AuditEvent>('/v1/audit-events', {
    status: applied.status || undefined,
    policy: applied.policy || undefined,
    type: applied.type || undefined,
    cluster: applied.cluster || undefined,
    namespace: applied.namespace || undefined,
    since: instant(applied.since),
    until: instant(applied.until),
  });

  // Following reloads the newest page only: an older page stays as it is while it is read.
  const { reload, pageNumber } = list;
  useEffect(() => {
    if (!follow || pageNumber !== 1) return undefined;
    const timer = setInterval(reload, FOLLOW_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [follow, pageNumber, reload]);

  const text = (key: keyof Filters, label: string) => (
    <div>
      <label for={`audit-${key}`}>{label}</label>
      <input id={`audit-${key}`} value={draft[key]} onInput={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })} />
    </div>
  );

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form
        class="filters"
        aria-label="Audit log filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(draft);
        }}
      >
        <div>
          <label for="audit-status">Verdict</label>
          <select id="audit-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value })}>
            <option value="">Detect and Block</option>
            <option value="Detect">Detect</option>
            <option value="Block">Block</option>
          </select>
        </div>
        {text('policy', 'Policy')}
        <div>
          <label for="audit-type">Type</label>
          <select id="audit-type" value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value })}>
            <option value="">Any type</option>
            <option value="container">container</option>
            <option value="function">function</option>
            <option value="host">host</option>
          </select>
        </div>
        {text('cluster', 'Cluster')}
        {text('namespace', 'Namespace')}
        <div>
          <label for="audit-since">From</label>
          <input
            id="audit-since"
            type="datetime-local"
            value={draft.since}
            onInput={(e) => setDraft({ ...draft, since: e.currentTarget.value })}
          />
        </div>
        <div>
          <label for="audit-until">To</label>
          <input
            id="audit-until"
            type="datetime-local"
            value={draft.until}
            onInput={(e) => setDraft({ ...draft, until: e.currentTarget.value })}
          />
        </div>
        <div class="actions">
          <button type="submit">Apply filters</button>
          <div class="check">
            <input type="checkbox" id="audit-follow" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
            <label for="audit-follow">Follow live</label>
          </div>
        </div>
      </form>
      <AuditChart since={instant(applied.since)} until={instant(applied.until)} />
      <PagedListBody list={list} label="Audit events" empty="No audit events match.">
        {(items) => (
          <TableFrame label="Audit events table" columns={AUDIT_COLUMNS}>
            {items.map((event) => (
              <Fragment key={event.id}>
                <tr>
                  <td>{formatTime(event.time)}</td>
                  <td>
                    <span class={`status status-${event.status}`}>{event.status}</span>
                  </td>
                  <td>{event.policy}</td>
                  <td>{event.controlName}</td>
                  <td>{event.action}</td>
                  <td>{workloadOf(event)}</td>
                  <td>{event.user?.name ?? '—'}</td>
                  <td>
                    <code>{event.command?.join(' ') ?? '—'}</code>
                  </td>
                  <td>
                    <button
                      type="button"
                      class="link"
                      aria-expanded={open === event.id}
                      aria-controls={`event-${event.id}`}
                      onClick={() => setOpen(open === event.id ? undefined : event.id)}
                    >
                      {open === event.id ? 'Hide' : 'Show'}
                      <span class="visually-hidden"> detail of event {event.id}</span>
                    </button>
                  </td>
                </tr>
                {open === event.id && (
                  <tr id={`event-${event.id}`}>
                    <td colSpan={AUDIT_COLUMNS.length}>
                      <p>{event.message}</p>
                      <pre class="detail">{JSON.stringify(event, null, 2)}</pre>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </TableFrame>
        )}
      </PagedListBody>
    </section>
  );
}
