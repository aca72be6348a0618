import { useState } from 'preact/hooks';
import { ApiError, call, segment, type EnforcerGroup } from '../api';
import { fieldId } from '../forms';
import { ErrorMessage } from '../load';
import { PagedListBody, usePagedList } from '../paging';

type Editable = Pick<EnforcerGroup, 'enforce' | 'containerProtection' | 'hostProtection' | 'failMode'>;

/** Enforcer groups: the audit-only switch, protection switches, fail mode, and token rotation (shown once). */
export function GroupsView() {
  const list = usePagedList<EnforcerGroup>('/v1/enforcer-groups', {});
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Enforcer groups</h1>
      <PagedListBody list={list} label="Enforcer groups" empty="No enforcer groups yet.">
        {(items) => items.map((group) => <GroupForm key={`${group.name}:${group.version}`} group={group} onSaved={list.reload} />)}
      </PagedListBody>
    </section>
  );
}

function GroupForm({ group, onSaved }: { group: EnforcerGroup; onSaved: () => void }) {
  const [form, setForm] = useState<Editable>({
    enforce: group.enforce,
    containerProtection: group.containerProtection,
    hostProtection: group.hostProtection,
    failMode: group.failMode,
  });
  const [error, setError] = useState<string | undefined>();
  const [token, setToken] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const id = fieldId(`group.${group.name}`);
  const update = (change: Partial<Editable>): void => setForm({ ...form, ...change });

  const run = async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(
        caught instanceof ApiError
          ? `${caught.message}${caught.problems.map((p) => ` (${p.path}: ${p.message})`).join('')}`
          : String(caught),
      );
    } finally {
      setBusy(false);
    }
  };
  const save = (event: Event): void => {
    event.preventDefault();
    void run(async () => {
      await call('PATCH', `/v1/enforcer-groups/${segment(group.name)}`, { contentType: 'application/merge-patch+json', body: form });
      onSaved();
    });
  };
  const rotate = (): void =>
    void run(async () => {
      const answer = await call<{ token: string }>('POST', `/v1/enforcer-groups/${segment(group.name)}/token`);
      setToken(answer.token);
    });

  return (
    <form class="group" aria-labelledby={`${id}-title`} onSubmit={save}>
      <h2 id={`${id}-title`}>
        {group.name} <span class="hint">({group.type})</span>
      </h2>
      {group.description && <p class="hint">{group.description}</p>}
      <p>
        Now: <span class={`mode mode-${group.enforce ? 'enforce' : 'audit'}`}>{group.enforce ? 'enforcing' : 'audit only'}</span>
      </p>
      <div class="check">
        <input
          type="checkbox"
          id={`${id}-audit-only`}
          checked={!form.enforce}
          onChange={(e) => update({ enforce: !e.currentTarget.checked })}
        />
        <label for={`${id}-audit-only`}>Audit only (Block verdicts of this group's enforcers become Detect)</label>
      </div>
      <div class="check">
        <input
          type="checkbox"
          id={`${id}-container`}
          checked={form.containerProtection}
          onChange={(e) => update({ containerProtection: e.currentTarget.checked })}
        />
        <label for={`${id}-container`}>Container protection</label>
      </div>
      <div class="check">
        <input
          type="checkbox"
          id={`${id}-host`}
          checked={form.hostProtection}
          onChange={(e) => update({ hostProtection: e.currentTarget.checked })}
        />
        <label for={`${id}-host`}>Host protection</label>
      </div>
      <label for={`${id}-fail-mode`}>Fail mode</label>
      <select
        id={`${id}-fail-mode`}
        value={form.failMode}
        onChange={(e) => update({ failMode: e.currentTarget.value as EnforcerGroup['failMode'] })}
      >
        <option value="open">open: allow when Vigil cannot decide</option>
        <option value="closed">closed: refuse when Vigil cannot decide</option>
      </select>
      <ErrorMessage message={error} />
      {token && (
        <div class="warning" role="status">
          <p>New token of {group.name}, shown only now (Vigil keeps only its hash); the previous token no longer works:</p>
          <code class="secret">{token}</code>
        </div>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          Save {group.name}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={rotate}>
          Rotate token of {group.name}
        </button>
      </div>
    </form>
  );
}
