import { useState } from 'preact/hooks';
import { attributeCatalog } from '../../../layers/core/attributes.js';
import { ApiError, call, type EnforcerSettings } from '../api';
import { ErrorMessage, useLoad } from '../load';

type BypassEntry = NonNullable<EnforcerSettings['bypassScopes']>[number];

function describeEntry(entry: BypassEntry): string {
  if (typeof entry === 'string') return entry;
  return entry.name ? `${entry.attribute} "${entry.name}" = ${entry.value}` : `${entry.attribute} = ${entry.value}`;
}

/** The entries that keep kube-system's pods out of every policy (the defaults match on its namespace). */
function isKubeSystem(entry: BypassEntry): boolean {
  return (typeof entry === 'string' ? entry : entry.value).includes('kube-system');
}

/** Settings → Enforcer: the global bypass, with a warning before the kube-system entries go. */
export function SettingsView() {
  const [stored, setStored] = useState<EnforcerSettings | undefined>();
  const [entries, setEntries] = useState<readonly BypassEntry[]>([]);
  const [confirming, setConfirming] = useState<number | undefined>();
  const [adding, setAdding] = useState({ attribute: 'kubernetes.namespace', name: '', value: '' });
  const [error, setError] = useState<ApiError | undefined>();
  const [saved, setSaved] = useState<number | undefined>();

  const show = (settings: EnforcerSettings): void => {
    setStored(settings);
    setEntries(settings.bypassScopes ?? []);
    setConfirming(undefined);
  };
  const { error: loadError } = useLoad(() => call<EnforcerSettings>('GET', '/v1/settings/enforcer'), [], show);

  if (!stored) return loadError ? <ErrorMessage message={loadError} /> : <p role="status">Loading…</p>;

  const remove = (index: number): void => {
    setEntries(entries.filter((_, i) => i !== index));
    setConfirming(undefined);
  };
  const keyed = attributeCatalog.find((a) => a.attribute === adding.attribute)?.keyed === true;
  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    setSaved(undefined);
    try {
      const answer = await call<EnforcerSettings>('PATCH', '/v1/settings/enforcer', {
        contentType: 'application/merge-patch+json',
        body: { bypassScopes: entries },
      });
      show(answer);
      setSaved(answer.version);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, 'network', String(caught), []));
    }
  };

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings → Enforcer</h1>
      <h2>Global bypass</h2>
      <p class="hint">Workloads matching any entry are never detected, enforced or recorded, whatever the policies say.</p>
      {entries.length === 0 ? (
        <p>No bypass entries: every workload is subject to the policies.</p>
      ) : (
        <ul class="bypass">
          {entries.map((entry, index) => (
            <li key={`${index}:${describeEntry(entry)}`}>
              <code>{describeEntry(entry)}</code>
              <button
                type="button"
                class="secondary"
                aria-label={`Remove ${describeEntry(entry)}`}
                onClick={() => (isKubeSystem(entry) ? setConfirming(index) : remove(index))}
              >
                Remove
              </button>
              {confirming === index && (
                <div class="warning" role="alert">
                  <p>
                    <strong>This entry keeps kube-system out of your policies.</strong> Without it, system components (CoreDNS, aws-node,
                    kube-proxy) are judged like any workload: an enforcing exec or privilege control can block the operations that keep the
                    cluster running.
                  </p>
                  <div class="actions">
                    <button type="button" class="danger" onClick={() => remove(index)}>
                      Remove it anyway
                    </button>
                    <button type="button" class="secondary" onClick={() => setConfirming(undefined)}>
                      Keep it
                    </button>
                  </div>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <form
        class="inline-form"
        aria-label="Add a bypass entry"
        onSubmit={(e) => {
          e.preventDefault();
          if (adding.value.trim() === '') return;
          setEntries([
            ...entries,
            keyed
              ? { attribute: adding.attribute, name: adding.name, value: adding.value }
              : { attribute: adding.attribute, value: adding.value },
          ]);
          setAdding({ ...adding, name: '', value: '' });
        }}
      >
        <div>
          <label for="bypass-attribute">Attribute</label>
          <select
            id="bypass-attribute"
            value={adding.attribute}
            onChange={(e) => setAdding({ ...adding, attribute: e.currentTarget.value })}
          >
            {attributeCatalog.map((a) => (
              <option key={a.attribute} value={a.attribute}>
                {a.attribute}
              </option>
            ))}
          </select>
        </div>
        {keyed && (
          <div>
            <label for="bypass-name">Key</label>
            <input id="bypass-name" value={adding.name} onInput={(e) => setAdding({ ...adding, name: e.currentTarget.value })} />
          </div>
        )}
        <div>
          <label for="bypass-value">Value</label>
          <input id="bypass-value" value={adding.value} onInput={(e) => setAdding({ ...adding, value: e.currentTarget.value })} />
        </div>
        <button type="submit" class="secondary">
          Add entry
        </button>
      </form>
      <form onSubmit={(e) => void save(e)}>
        {error && (
          <div class="error-summary" role="alert">
            <p class="error">{error.message}</p>
            <ul>
              {error.problems.map((p) => (
                <li key={`${p.path}:${p.message}`}>
                  {p.path}: {p.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {saved !== undefined && <p role="status">Saved (version {saved}).</p>}
        <div class="actions">
          <button type="submit">Save bypass</button>
          <span class="hint">Nothing changes until you save.</span>
        </div>
      </form>
    </section>
  );
}
