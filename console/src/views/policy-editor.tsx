import { useState } from 'preact/hooks';
import { attributeCatalog } from '../../../layers/core/attributes.js';
import { ApiError, call, query, segment, type ApplicationScope, type ControlDescription, type Policy, type PolicyTemplate } from '../api';
import { formatTime, pendingSwitch } from '../format';
import {
  FieldErrors,
  fieldAria,
  fieldId,
  OptionField,
  optionInput,
  optionProperties,
  optionValue,
  problemsAt,
  type OptionInput,
} from '../forms';
import { ErrorMessage, useLoad } from '../load';
import { href } from '../router';
import { CriteriaFields, criteriaBody, type Variable } from '../scope-criteria';
import { ReadinessPanel } from './readiness';

type PolicyType = Policy['type'];
type Mode = Policy['enforcementMode'];

interface ControlDraft {
  readonly enabled: boolean;
  readonly options: Readonly<Record<string, OptionInput>>;
}

/** A policy while it is edited: what the form shows, turned into the API's JSON only on save. */
interface Draft {
  readonly name: string;
  readonly type: PolicyType;
  readonly description: string;
  readonly enabled: boolean;
  readonly enforcementMode: Mode;
  readonly applicationScopes: readonly string[];
  readonly expression: string;
  readonly variables: readonly Variable[];
  readonly controls: Readonly<Record<string, ControlDraft>>;
  /** keep: leave the pending switch as it is; cancel: remove it; schedule: a new one (replacing any). */
  readonly switchAction: 'keep' | 'cancel' | 'schedule';
  readonly switchTo: Mode;
  readonly switchWhen: 'afterDays' | 'at';
  readonly switchAfterDays: string;
  readonly switchAt: string;
}

const POLICY_TYPES: readonly PolicyType[] = ['container', 'function', 'host'];

/** The form of a stored policy (or a template's), with every control of its type as the catalog describes it. */
function draftOf(policy: Partial<Policy> & { type: PolicyType }, catalog: readonly ControlDescription[]): Draft {
  const controls: Record<string, ControlDraft> = {};
  const stored = (policy.controls ?? {}) as Record<string, Record<string, unknown> | undefined>;
  for (const control of catalog.filter((c) => c.policyType === policy.type)) {
    const values = stored[control.key];
    controls[control.key] = {
      enabled: values?.enabled === true,
      options: Object.fromEntries(optionProperties(control.options).map(([name, schema]) => [name, optionInput(schema, values?.[name])])),
    };
  }
  return {
    name: policy.name ?? '',
    type: policy.type,
    description: policy.description ?? '',
    enabled: policy.enabled ?? true,
    enforcementMode: policy.enforcementMode ?? 'audit',
    applicationScopes: policy.scope?.applicationScopes ?? ['Global'],
    expression: policy.scope?.expression ?? '',
    variables: policy.scope?.variables ?? [],
    controls,
    switchAction: 'keep',
    switchTo: policy.enforcementMode === 'enforce' ? 'audit' : 'enforce',
    switchWhen: 'afterDays',
    switchAfterDays: '3',
    switchAt: '',
  };
}

/** The controls object of the API: enabled controls with their options; on edit, null removes a control. */
function controlsOf(draft: Draft, catalog: readonly ControlDescription[], before: Policy | undefined): Record<string, unknown> {
  const controls: Record<string, unknown> = {};
  const stored = (before?.controls ?? {}) as Record<string, unknown>;
  for (const control of catalog.filter((c) => c.policyType === draft.type)) {
    const form = draft.controls[control.key];
    if (form?.enabled) {
      const options: Record<string, unknown> = { enabled: true };
      for (const [name, schema] of optionProperties(control.options)) {
        const input = form.options[name];
        if (input === undefined) continue;
        // A write-only option left empty keeps what is stored (the API never shows it back).
        if (schema.writeOnly && input === '') continue;
        options[name] = optionValue(schema, input);
      }
      controls[control.key] = options;
    } else if (before && stored[control.key] !== undefined) {
      controls[control.key] = null;
    }
  }
  return controls;
}

function switchOf(draft: Draft): unknown {
  if (draft.switchAction === 'cancel') return null;
  if (draft.switchAction !== 'schedule') return undefined;
  if (draft.switchWhen === 'afterDays') {
    const days = draft.switchAfterDays.trim();
    return { to: draft.switchTo, afterDays: /^\d+$/.test(days) ? Number(days) : days };
  }
  // datetime-local is the browser's local time; the API takes an instant.
  const at = new Date(draft.switchAt);
  return { to: draft.switchTo, at: Number.isNaN(at.getTime()) ? draft.switchAt : at.toISOString() };
}

/** The application scopes the picker loads at a time (the API's cursors lead to the rest). */
const SCOPE_PAGE = 200;

interface ScopePage {
  readonly items: ApplicationScope[];
  readonly nextCursor?: string;
}

interface Saved {
  readonly version: number;
  readonly warnings: readonly string[];
}

/** Create (name undefined) or edit a runtime policy. */
export function PolicyEditorView({ name }: { name: string | undefined }) {
  const [catalog, setCatalog] = useState<readonly ControlDescription[] | undefined>();
  const [templates, setTemplates] = useState<readonly PolicyTemplate[]>([]);
  const [scopes, setScopes] = useState<readonly ApplicationScope[]>([]);
  // Where the picker's next page of application scopes starts; undefined once all are loaded.
  const [scopesCursor, setScopesCursor] = useState<string | undefined>();
  const [scopesError, setScopesError] = useState<string | undefined>();
  const [stored, setStored] = useState<Policy | undefined>();
  const [draft, setDraft] = useState<Draft | undefined>();
  const [saveError, setSaveError] = useState<ApiError | undefined>();
  const [saved, setSaved] = useState<Saved | undefined>();
  const [busy, setBusy] = useState(false);

  const { error: loadError } = useLoad(
    () =>
      Promise.all([
        call<{ items: ControlDescription[] }>('GET', '/v1/controls'),
        call<{ items: PolicyTemplate[] }>('GET', '/v1/policy-templates'),
        call<ScopePage>('GET', `/v1/application-scopes${query({ limit: SCOPE_PAGE })}`),
        name === undefined ? Promise.resolve(undefined) : call<Policy>('GET', `/v1/policies/${segment(name)}`),
      ]),
    [name],
    ([controls, templateList, scopeList, policy]) => {
      setCatalog(controls.items);
      setTemplates(templateList.items);
      setScopes(scopeList.items);
      setScopesCursor(scopeList.nextCursor);
      setStored(policy);
      setDraft(draftOf(policy ?? { type: 'container' }, controls.items));
    },
  );

  if (loadError) return <ErrorMessage message={loadError} />;
  if (!catalog || !draft) return <p role="status">Loading…</p>;

  const editing = stored !== undefined;
  const update = (change: Partial<Draft>): void => setDraft({ ...draft, ...change });
  const messages = (path: string): string[] => problemsAt(saveError, path).map((p) => p.message);
  const setControl = (key: string, change: Partial<ControlDraft>): void =>
    update({ controls: { ...draft.controls, [key]: { ...draft.controls[key]!, ...change } } });

  const moreScopes = async (): Promise<void> => {
    setScopesError(undefined);
    try {
      const next = await call<ScopePage>('GET', `/v1/application-scopes${query({ limit: SCOPE_PAGE, cursor: scopesCursor })}`);
      setScopes([...scopes, ...next.items]);
      setScopesCursor(next.nextCursor);
    } catch (error) {
      setScopesError(error instanceof Error ? error.message : String(error));
    }
  };
  // The policy's scopes that are not on the pages loaded so far still show, checked, so they can be removed.
  const loadedScopes = new Set(scopes.map((s) => s.name));
  const scopeChoices = [...draft.applicationScopes.filter((name) => !loadedScopes.has(name)), ...scopes.map((s) => s.name)];

  const startFrom = async (templateId: string): Promise<void> => {
    if (templateId === '') {
      setDraft({ ...draftOf({ type: draft.type }, catalog), name: draft.name });
      return;
    }
    const template = await call<PolicyTemplate>('GET', `/v1/policy-templates/${segment(templateId)}`);
    const policy = template.policy as unknown as Partial<Policy> & { type: PolicyType };
    setDraft({ ...draftOf(policy, catalog), name: draft.name });
  };

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setSaveError(undefined);
    setSaved(undefined);
    const scope = { applicationScopes: draft.applicationScopes, ...criteriaBody(draft) };
    const change = switchOf(draft);
    try {
      const answer = editing
        ? await call<Policy>('PATCH', `/v1/policies/${segment(stored.name)}`, {
            contentType: 'application/merge-patch+json',
            body: {
              description: draft.description,
              enabled: draft.enabled,
              enforcementMode: draft.enforcementMode,
              scope,
              controls: controlsOf(draft, catalog, stored),
              ...(change === undefined ? {} : { enforcementModeChange: change }),
            },
          })
        : await call<Policy>('POST', '/v1/policies', {
            body: {
              name: draft.name,
              type: draft.type,
              ...(draft.description === '' ? {} : { description: draft.description }),
              enabled: draft.enabled,
              enforcementMode: draft.enforcementMode,
              scope,
              controls: controlsOf(draft, catalog, undefined),
              ...(change === undefined || change === null ? {} : { enforcementModeChange: change }),
            },
          });
      setStored(answer);
      setDraft(draftOf(answer, catalog));
      setSaved({ version: answer.version ?? 0, warnings: answer.warnings ?? [] });
      // The address becomes the saved policy's without reloading the view (no hashchange).
      history.replaceState(null, '', href('policies', 'edit', answer.name));
    } catch (error) {
      setSaveError(error instanceof ApiError ? error : new ApiError(0, 'network', String(error), []));
    } finally {
      setBusy(false);
    }
  };

  const typeControls = catalog.filter((c) => c.policyType === draft.type);
  const attributes = attributeCatalog.filter((a) => a.availableFor.includes(draft.type));
  const pending = stored ? pendingSwitch(stored) : '';

  return (
    <section aria-labelledby="editor-title" class="editor">
      <p>
        <a href={href('policies')}>← Runtime policies</a>
      </p>
      <h1 id="editor-title">{editing ? `Policy ${stored.name}` : 'New runtime policy'}</h1>

      {saveError && (
        <div class="error-summary" role="alert">
          <p class="error">{saveError.message}</p>
          {saveError.problems.length > 0 && (
            <ul>
              {saveError.problems.map((p) => (
                <li key={`${p.path}:${p.message}`}>
                  <button type="button" class="link" onClick={() => focusField(p.path)}>
                    {p.path || 'policy'}
                  </button>
                  : {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {saved && (
        <div role="status" class={saved.warnings.length > 0 ? 'warning' : 'notice'}>
          <p>Saved (version {saved.version}).</p>
          {saved.warnings.length > 0 && (
            <>
              <p>Warnings:</p>
              <ul class="warnings">
                {saved.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}

      <form onSubmit={(e) => void save(e)} noValidate>
        {!editing && (
          <>
            <label for="start-from">Start from</label>
            <select id="start-from" onChange={(e) => void startFrom(e.currentTarget.value)}>
              <option value="">A blank policy</option>
              {templates.map((t) => (
                <option key={t.id} value={t.id}>
                  Template: {t.title}
                </option>
              ))}
            </select>
            <label for={fieldId('name')}>Name</label>
            <input
              autocomplete="off"
              value={draft.name}
              onInput={(e) => update({ name: e.currentTarget.value })}
              {...fieldAria('name', messages('name'))}
            />
            <FieldErrors path="name" messages={messages('name')} />
            <label for={fieldId('type')}>Type</label>
            <select
              value={draft.type}
              onChange={(e) => setDraft({ ...draftOf({ type: e.currentTarget.value as PolicyType }, catalog), name: draft.name })}
              {...fieldAria('type', messages('type'))}
            >
              {POLICY_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
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
        <div class="check">
          <input
            type="checkbox"
            id="policy-enabled"
            checked={draft.enabled}
            onChange={(e) => update({ enabled: e.currentTarget.checked })}
          />
          <label for="policy-enabled">Enabled</label>
        </div>

        <fieldset>
          <legend>Enforcement mode</legend>
          {(['audit', 'enforce'] as const).map((mode) => (
            <div class="check" key={mode}>
              <input
                type="radio"
                name="enforcementMode"
                id={`mode-${mode}`}
                checked={draft.enforcementMode === mode}
                onChange={() => update({ enforcementMode: mode })}
              />
              <label for={`mode-${mode}`}>{mode === 'audit' ? 'Audit (Detect only)' : 'Enforce (Block)'}</label>
            </div>
          ))}
          <h2 id="switch-title">Scheduled switch</h2>
          <p>{pending ? `Pending: ${pending}.` : 'No switch is scheduled.'}</p>
          <label for="switch-action">Change</label>
          <select
            id="switch-action"
            value={draft.switchAction}
            onChange={(e) => update({ switchAction: e.currentTarget.value as Draft['switchAction'] })}
          >
            <option value="keep">{pending ? 'Keep the pending switch' : 'No switch'}</option>
            {pending && <option value="cancel">Cancel the pending switch</option>}
            <option value="schedule">Schedule a switch</option>
          </select>
          {draft.switchAction === 'schedule' && (
            <div class="switch">
              <label for="switch-to">Switch to</label>
              <select id="switch-to" value={draft.switchTo} onChange={(e) => update({ switchTo: e.currentTarget.value as Mode })}>
                <option value="enforce">enforce</option>
                <option value="audit">audit</option>
              </select>
              <label for="switch-when">When</label>
              <select
                id="switch-when"
                value={draft.switchWhen}
                onChange={(e) => update({ switchWhen: e.currentTarget.value as Draft['switchWhen'] })}
              >
                <option value="afterDays">After a number of days</option>
                <option value="at">At a date and time</option>
              </select>
              {draft.switchWhen === 'afterDays' ? (
                <>
                  <label for={fieldId('enforcementModeChange.afterDays')}>Days from now</label>
                  <input
                    inputMode="numeric"
                    value={draft.switchAfterDays}
                    onInput={(e) => update({ switchAfterDays: e.currentTarget.value })}
                    {...fieldAria('enforcementModeChange.afterDays', messages('enforcementModeChange.afterDays'))}
                  />
                  <FieldErrors path="enforcementModeChange.afterDays" messages={messages('enforcementModeChange.afterDays')} />
                </>
              ) : (
                <>
                  <label for={fieldId('enforcementModeChange.at')}>Date and time (this browser's time zone)</label>
                  <input
                    type="datetime-local"
                    value={draft.switchAt}
                    onInput={(e) => update({ switchAt: e.currentTarget.value })}
                    {...fieldAria('enforcementModeChange.at', messages('enforcementModeChange.at'))}
                  />
                  <FieldErrors path="enforcementModeChange.at" messages={messages('enforcementModeChange.at')} />
                </>
              )}
            </div>
          )}
          <FieldErrors path="enforcementModeChange" messages={messages('enforcementModeChange')} />
        </fieldset>
        {editing && <ReadinessPanel policy={stored.name} version={stored.version} />}

        <fieldset>
          <legend>Scope</legend>
          <p class="hint">
            A workload is in scope when it is in one of the application scopes and, if a formula is given, the formula over the variables
            v1, v2, … holds.
          </p>
          <fieldset class="choices">
            <legend>Application scopes</legend>
            {/* Ids by position: scope names may hold spaces, which an id must not. */}
            {scopeChoices.map((scopeName, index) => (
              <div class="check" key={scopeName}>
                <input
                  type="checkbox"
                  id={`app-scope-${index}`}
                  checked={draft.applicationScopes.includes(scopeName)}
                  onChange={(e) =>
                    update({
                      applicationScopes: e.currentTarget.checked
                        ? [...draft.applicationScopes, scopeName]
                        : draft.applicationScopes.filter((n) => n !== scopeName),
                    })
                  }
                />
                <label for={`app-scope-${index}`}>{scopeName}</label>
              </div>
            ))}
            {scopesCursor !== undefined && (
              <button type="button" class="secondary" onClick={() => void moreScopes()}>
                Show more application scopes
              </button>
            )}
            <ErrorMessage message={scopesError} />
            <FieldErrors path="scope.applicationScopes" messages={messages('scope.applicationScopes')} />
          </fieldset>
          <CriteriaFields
            prefix="scope."
            criteria={draft}
            attributes={attributes}
            messages={messages}
            onChange={(criteria) => update({ expression: criteria.expression, variables: criteria.variables })}
          />
        </fieldset>

        <fieldset>
          <legend>Controls</legend>
          {typeControls.map((control) => {
            const form = draft.controls[control.key]!;
            const base = `controls.${control.key}`;
            return (
              <fieldset class="control" key={control.key}>
                <legend>{control.name}</legend>
                <p class="hint">
                  {control.description}
                  {control.recordOnly ? ' Records only (always Detect).' : ''}
                </p>
                <div class="check">
                  <input
                    type="checkbox"
                    id={`${fieldId(base)}-enabled`}
                    checked={form.enabled}
                    onChange={(e) => setControl(control.key, { enabled: e.currentTarget.checked })}
                  />
                  <label for={`${fieldId(base)}-enabled`}>Enable {control.name}</label>
                </div>
                <FieldErrors path={base} messages={messages(base)} />
                {form.enabled &&
                  optionProperties(control.options).map(([option, schema]) => (
                    <OptionField
                      key={option}
                      path={`${base}.${option}`}
                      name={option}
                      schema={schema}
                      value={form.options[option] ?? optionInput(schema, undefined)}
                      messages={messages(`${base}.${option}`)}
                      onChange={(value) => setControl(control.key, { options: { ...form.options, [option]: value } })}
                    />
                  ))}
              </fieldset>
            );
          })}
        </fieldset>

        <div class="actions">
          <button type="submit" disabled={busy}>
            {editing ? 'Save changes' : 'Create policy'}
          </button>
          {stored?.updatedAt && (
            <span class="hint">
              Version {stored.version}, changed {formatTime(stored.updatedAt)} by {stored.updatedBy}
            </span>
          )}
        </div>
      </form>
    </section>
  );
}

/** Moves focus to the field a problem names (the summary's links). */
function focusField(path: string): void {
  document.getElementById(fieldId(path))?.focus();
}
