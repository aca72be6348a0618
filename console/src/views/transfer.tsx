import { useState } from 'preact/hooks';
import { ApiError, call, query, type Answer } from '../api';
import { downloadText } from '../download';

type ExportPage = Answer<'getV1Export'>;

/** Whole exports started at most this often while the configuration keeps changing under them (as `vigil export`). */
const EXPORT_ATTEMPTS = 3;

/**
 * The whole configuration as one Vigil document, as `vigil export` writes it: the API answers it in pages of
 * about a megabyte, all of one revision; a page asked for after the configuration changed answers 410, and
 * the export starts over.
 */
async function fetchExport(onRestart: () => void): Promise<Omit<ExportPage, 'nextCursor'>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { nextCursor: first, ...document } = await call<ExportPage>('GET', '/v1/export');
      const policies = [...(document.policies ?? [])];
      const applicationScopes = [...(document.applicationScopes ?? [])];
      const enforcerGroups = [...(document.enforcerGroups ?? [])];
      for (let cursor = first; cursor !== undefined;) {
        const page = await call<ExportPage>('GET', `/v1/export${query({ cursor })}`);
        policies.push(...(page.policies ?? []));
        applicationScopes.push(...(page.applicationScopes ?? []));
        enforcerGroups.push(...(page.enforcerGroups ?? []));
        cursor = page.nextCursor;
      }
      return { ...document, policies, applicationScopes, enforcerGroups };
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 410 || attempt >= EXPORT_ATTEMPTS) throw error;
      onRestart();
    }
  }
}

/** Import and export of the configuration; this version exports (import: `vigil import` or POST /v1/import). */
export function TransferView() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const exportNow = async () => {
    setBusy(true);
    setError(undefined);
    setMessage('Exporting…');
    try {
      const document = await fetchExport(() => setMessage('The configuration changed during the export; starting it again…'));
      downloadText('vigil-export.json', `${JSON.stringify(document, null, 2)}\n`, 'application/json');
      setMessage(
        `Exported ${document.policies?.length ?? 0} policies, ${document.applicationScopes?.length ?? 0} application scopes and ${document.enforcerGroups?.length ?? 0} enforcer groups to vigil-export.json.`,
      );
    } catch (caught) {
      setMessage(undefined);
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="transfer-title">
      <h1 id="transfer-title">Import and export</h1>
      <h2>Export</h2>
      <p>
        The whole configuration (enforcer settings, application scopes, runtime policies and enforcer groups, never a token) as one Vigil
        document, the file <code>vigil export -o json</code> writes and <code>vigil import</code> takes.
      </p>
      <button type="button" disabled={busy} onClick={() => void exportNow()}>
        Export configuration
      </button>
      {message && <p role="status">{message}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
