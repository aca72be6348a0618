import { useEffect, useRef, useState } from 'preact/hooks';
import { attributeCatalog } from '../../../layers/core/attributes.js';
import { ApiError, call, segment, type ApplicationScope } from '../api';
import { formatTime } from '../format';
import { FieldErrors, fieldAria, fieldId, problemsAt } from '../forms';
import { ErrorMessage, useLoad } from '../load';
import { PagedListBody, usePagedList } from '../paging';
import { href, navigate } from '../router';
import { CriteriaFields, criteriaBody, type Criteria } from '../scope-criteria';
import { TableFrame } from '../table-frame';

/** The built-in scope that matches everything: listed by the API, never changed. */
const GLOBAL_SCOPE = 'Global';

/** A scope's criteria in one line: its formula and what each variable stands for. */
function criteriaSummary(scope: ApplicationScope): string {
  if (scope.expression === undefined || scope.expression.trim() === '') return 'every workload';
  const variables = (scope.variables ?? []).map(
    (v, i) => `v${i + 1}: ${v.attribute}${v.name === undefined ? '' : `[${v.name}]`} = ${v.value}`,
  );
  return [scope.expression, ...variables].join(' · ');
}

/** Application scopes: the list (paged with the API's cursors), and the editor of one. */
export function ScopesView() {
  const list = usePagedList<ApplicationScope>('/v1/application-scopes', {});
  return (
    <section aria-labelledby="scopes-title">
      <div class="title-row">
        <h1 id="scopes-title">Application scopes</h1>
        <a class="button" href={href('scopes', 'new')}>
          New application scope
        </a>
      </div>
      <p class="hint">
        Named, reusable workload selectors: a policy applies to the workloads of any of its application scopes (and of its own formula).
      </p>
      <PagedListBody list={list} label="Application scopes" empty="No application scopes.">
        {(items) => (
          <TableFrame label="Application scopes table" columns={['Name', 'Description', 'Criteria']}>
            {items.map((scope) => (
              <tr key={scope.name}>
                <th scope="row">
                  {scope.name === GLOBAL_SCOPE ? scope.name : <a href={href('scopes', 'edit', scope.name)}>{scope.name}</a>}
                </th>
                <td>{scope.description ?? ''}</td>
                <td>{criteriaSummary(scope)}</td>
              </tr>
            ))}
          </TableFrame>
        )}
      </PagedListBody>
    </section>
  );
}

interface Draft extends Criteria {
  readonly name: string;
  readonly description: string;
}

function draftOf(scope: ApplicationScope | undefined): Draft {
  return {
    name: scope?.name ?? '',
    description: scope?.description ?? '',
    expression: scope?.expression ?? '',
    variables: scope?.variables ?? [],
  };
}

/** Create (name undefined) or edit an application scope; an edited one can also be deleted. */
export function ScopeEditorView({ name }: { name: string | undefined }) {
  const [stored, setStored] = useState<ApplicationScope | undefined>();
  const [draft, setDraft] = useState<Draft | undefined>(name === undefined ? draftOf(undefined) : undefined);
  const [saveError, setSaveError] = useState<ApiError | undefined>();
  const [saved, setSaved] = useState<number | undefined>();
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [busy, setBusy] = useState(false);

  const { error: loadError } = useLoad(
    name === undefined ? undefined : () => call<ApplicationScope>('GET', `/v1/application-scopes/${segment(name)}`),
    [name],
    (scope) => {
      setStored(scope);
      setDraft(draftOf(scope));
    },
  );

  if (loadError) return <ErrorMessage message={loadError} />;
  if (!draft) return <p role="status">Loading…</p>;

  const editing = stored !== undefined;
  const update = (change: Partial<Draft>): void => setDraft({ ...draft, ...change });
  const messages = (path: string): string[] => problemsAt(saveError, path).map((p) => p.message);

  const run = async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setSaveError(undefined);
    setSaved(undefined);
    try {
      await action();
    } catch (error) {
      setSaveError(error instanceof ApiError ? error : new ApiError(0, 'network', String(error), []));
    } finally {
      setBusy(false);
    }
  };

  const save = (event: Event): void => {
    event.preventDefault();
    void run(async () => {
      const body = {
        name: editing ? stored.name : draft.name,
        ...(draft.description === '' ? {} : { description: draft.description }),
        ...criteriaBody(draft),
      };
      // A replace is guarded by the version the form was loaded at: another user's change in between is refused, not overwritten.
      const answer = editing
        ? await call<ApplicationScope>('PUT', `/v1/application-scopes/${segment(stored.name)}`, {
            body,
            headers: { 'if-match': `"${stored.version}"` },
          })
        : await call<ApplicationScope>('POST', '/v1/application-scopes', { body });
      setStored(answer);
      setDraft(draftOf(answer));
      setSaved(answer.version);
      history.replaceState(null, '', href('scopes', 'edit', answer.name));
    });
  };

  const remove = (): void =>
    void run(async () => {
      if (!stored) return;
      await call('DELETE', `/v1/application-scopes/${segment(stored.name)}`, { headers: { 'if-match': `"${stored.version}"` } });
      navigate('scopes');
    });

  return (
    <section aria-labelledby="scope-editor-title" class="editor">
      <p>
        <a href={href('scopes')}>← Application scopes</a>
      </p>
      <h1 id="scope-editor-title">{editing ? `Application scope ${stored.name}` : 'New application scope'}</h1>
      {saveError && (
        <div class="error-summary" role="alert">
          <p class="error">{saveError.message}</p>
          {saveError.problems.length > 0 && (
            <ul>
              {saveError.problems.map((p) => (
                <li key={`${p.path}:${p.message}`}>
                  {p.path || 'application scope'}: {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {saved !== undefined && (
        <p role="status" class="notice">
          Saved (version {saved}).
        </p>
      )}
      <form onSubmit={save} noValidate>
        {!editing && (
          <>
            <label for={fieldId('name')}>Name</label>
            <input
              autocomplete="off"
              value={draft.name}
              onInput={(e) => update({ name: e.currentTarget.value })}
              {...fieldAria('name', messages('name'))}
            />
            <FieldErrors path="name" messages={messages('name')} />
          </>
        )}
        <label for={fieldId('description')}>Description</label>
        <textarea
          rows={2}
          value={draft.description}
          onInput={(e) => update({ description: e.currentTarget.value })}
          {...fieldAria('description', messages('description'))}
        />
        <FieldErrors path="description" messages={messages('description')} />
        <fieldset>
          <legend>Criteria</legend>
          <CriteriaFields
            prefix=""
            criteria={draft}
            attributes={attributeCatalog}
            messages={messages}
            onChange={(criteria) => update({ expression: criteria.expression, variables: criteria.variables })}
          />
        </fieldset>
        <div class="actions">
          <button type="submit" disabled={busy}>
            {editing ? 'Save changes' : 'Create application scope'}
          </button>
          {editing && (
            <button type="button" class="secondary" disabled={busy} onClick={() => setConfirmingDelete(true)}>
              Delete {stored.name}
            </button>
          )}
          {stored?.updatedAt && (
            <span class="hint">
              Version {stored.version}, changed {formatTime(stored.updatedAt)} by {stored.updatedBy}
            </span>
          )}
        </div>
      </form>
      {editing && confirmingDelete && (
        <DeleteConfirmation scope={stored.name} busy={busy} onConfirm={remove} onCancel={() => setConfirmingDelete(false)} />
      )}
    </section>
  );
}

function DeleteConfirmation({
  scope,
  busy,
  onConfirm,
  onCancel,
}: {
  scope: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const confirmButton = useRef<HTMLButtonElement>(null);
  useEffect(() => confirmButton.current?.focus(), []);
  return (
    <div class="warning confirmation" role="group" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete application scope {scope}?</h2>
      <p>The API refuses while a policy names it; remove it from those policies first.</p>
      <div class="actions">
        <button ref={confirmButton} type="button" class="danger" disabled={busy} onClick={onConfirm}>
          Delete application scope {scope}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
