import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { ActivityEntry } from '../api';
import { briefJson, structuralDiff, type FieldChange } from '../diff';
import { formatTime, instant } from '../format';
import { PagedListBody, usePagedList } from '../paging';
import { TableFrame } from '../table-frame';

const ACTIVITY_COLUMNS = ['Time', 'Action', 'Resource', 'By', 'Changes'];

const changeWords: Readonly<Record<FieldChange['kind'], string>> = { added: 'added', removed: 'removed', changed: 'changed' };

/** An image the store could not keep whole (both images of a near-limit item did not fit one entry). */
function isTruncated(image: unknown): boolean {
  return typeof image === 'object' && image !== null && (image as { truncated?: unknown }).truncated === true;
}

/** The fields an entry changed, each at its path with the value before and after. */
function EntryDiff({ entry }: { entry: ActivityEntry }) {
  if (isTruncated(entry.before) || isTruncated(entry.after))
    return (
      <p>
        This resource was too large for the trail to keep both images; only its versions are known: {briefJson(entry.before)} →{' '}
        {briefJson(entry.after)}.
      </p>
    );
  const changes = structuralDiff(entry.before, entry.after);
  if (changes.length === 0) return <p>No field changed.</p>;
  return (
    <table class="diff">
      <caption>
        Changes to {entry.resource}: {changes.length} field{changes.length === 1 ? '' : 's'}
      </caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Change</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((change) => (
          <tr key={change.path} class={`diff-${change.kind}`}>
            <th scope="row">
              <code>{change.path || '(whole value)'}</code>
            </th>
            <td>{changeWords[change.kind]}</td>
            <td>{change.kind === 'added' ? '—' : <code>{briefJson(change.before)}</code>}</td>
            <td>{change.kind === 'removed' ? '—' : <code>{briefJson(change.after)}</code>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The activity trail, newest first, one page at a time with the API's cursors; each entry opens its diff. */
export function ActivityView() {
  const [draftSince, setDraftSince] = useState('');
  const [since, setSince] = useState('');
  const [open, setOpen] = useState<string | undefined>();
  const list = usePagedList<ActivityEntry>('/v1/activity', { since: instant(since) });

  return (
    <section aria-labelledby="activity-title">
      <h1 id="activity-title">Activity</h1>
      <p>Every configuration change: who made it, when, and what it changed. Open an entry to see its fields before and after.</p>
      <form
        class="filters"
        aria-label="Activity filters"
        onSubmit={(e) => {
          e.preventDefault();
          setSince(draftSince);
        }}
      >
        <div>
          <label for="activity-since">From</label>
          <input id="activity-since" type="datetime-local" value={draftSince} onInput={(e) => setDraftSince(e.currentTarget.value)} />
        </div>
        <div class="actions">
          <button type="submit">Apply filters</button>
        </div>
      </form>
      <PagedListBody list={list} label="Activity" empty="No configuration changes match.">
        {(items) => (
          <TableFrame label="Activity table" columns={ACTIVITY_COLUMNS}>
            {items.map((entry) => (
              <Fragment key={entry.id}>
                <tr>
                  <td>{formatTime(entry.time)}</td>
                  <td>{entry.action}</td>
                  <td>{entry.resource}</td>
                  <td>{entry.actor}</td>
                  <td>
                    <button
                      type="button"
                      class="link"
                      aria-expanded={open === entry.id}
                      aria-controls={`activity-${entry.id}`}
                      onClick={() => setOpen(open === entry.id ? undefined : entry.id)}
                    >
                      {open === entry.id ? 'Hide' : 'Show'}
                      <span class="visually-hidden">
                        {' '}
                        changes of {entry.action} {entry.resource} at {formatTime(entry.time)}
                      </span>
                    </button>
                  </td>
                </tr>
                {open === entry.id && (
                  <tr id={`activity-${entry.id}`}>
                    <td colSpan={ACTIVITY_COLUMNS.length}>
                      <EntryDiff entry={entry} />
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
