import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchExportDocument } from '../../../cli/export-pages.js';
import { importSizeProblem, mebibytes, SINGLE_IMPORT_BYTES } from '../../../layers/core/import-split.js';
import { describeOrigin, importBody } from '../../../cli/policy-documents.js';
import { ApiError, call, query, type Answer, type FieldProblem } from '../api';
import { downloadText } from '../download';
import { fileSize, prepareImport, sendImport, type ImportAnswer, type ImportMode, type PreparedImport } from '../import-send';

type ExportPage = Answer<'getV1Export'>;

/**
 * The whole configuration as one Vigil document, as `vigil export` writes it (the same loop): the API answers it in
 * pages of about a megabyte, all of one revision; a page asked for after the configuration changed answers 410, and
 * the export starts over.
 */
function fetchExport(onRestart: () => void): Promise<Omit<ExportPage, 'nextCursor'>> {
  return fetchExportDocument<ExportPage>({
    page: (cursor) => call<ExportPage>('GET', `/v1/export${query({ cursor })}`),
    isGone: (error) => error instanceof ApiError && error.status === 410,
    onRestart,
  });
}

function ExportSection() {
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
    <section aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <p>
        The whole configuration (enforcer settings, application scopes, runtime policies and enforcer groups, never a token) as one Vigil
        document, the file <code>vigil export -o json</code> writes and <code>vigil import</code> (or the import above) takes.
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

type Kind = ImportAnswer['items'][number]['kind'];
type Result = ImportAnswer['items'][number]['result'];

const kindNames: ReadonlyArray<readonly [Kind, string]> = [
  ['settings', 'Enforcer settings'],
  ['applicationScope', 'Application scopes'],
  ['policy', 'Runtime policies'],
  ['enforcerGroup', 'Enforcer groups'],
];
const results: readonly Result[] = ['created', 'updated', 'unchanged'];

const modeChoices: ReadonlyArray<{ readonly mode: ImportMode; readonly label: string; readonly consequence: string }> = [
  {
    mode: 'upsert',
    label: 'Create or replace (upsert)',
    consequence: "Items of the file that exist already are replaced by the file's version, whole; new ones are created.",
  },
  {
    mode: 'create',
    label: 'Create only (create)',
    consequence:
      'New items are created; an item that exists already and differs stops the whole import (an identical one is left unchanged).',
  },
];

/** What went wrong, with every problem at its path; nothing was written. */
interface Refusal {
  readonly message: string;
  readonly problems: readonly FieldProblem[];
}

function refusalOf(caught: unknown): Refusal {
  if (caught instanceof ApiError) {
    const sentence = caught.message.endsWith('.') ? caught.message : `${caught.message}.`;
    // An import is all or nothing (staged and committed by one switch): a refused one has written nothing.
    const outcome = caught.status < 500 ? ' Nothing was written.' : ' An import is all or nothing: reload the views to see which it was.';
    return { message: `${sentence}${outcome}`, problems: caught.problems };
  }
  return { message: caught instanceof Error ? caught.message : String(caught), problems: [] };
}

/** Counts of an answer by kind and result. */
function countsOf(answer: ImportAnswer): Map<Kind, Record<Result, number>> {
  const counts = new Map<Kind, Record<Result, number>>();
  for (const item of answer.items) {
    const row = counts.get(item.kind) ?? { created: 0, updated: 0, unchanged: 0 };
    row[item.result] += 1;
    counts.set(item.kind, row);
  }
  return counts;
}

function total(answer: ImportAnswer, result: Result): number {
  return answer.items.filter((item) => item.result === result).length;
}

/** Items listed one by one at most; the counts above always cover all of them. */
const LISTED_ITEMS = 200;

function AnswerDetails({ answer, idPrefix }: { answer: ImportAnswer; idPrefix: string }) {
  const counts = countsOf(answer);
  const changed = answer.items.filter((item) => item.result !== 'unchanged');
  const warned = answer.items.filter((item) => (item.warnings ?? []).length > 0);
  return (
    <>
      <div class="table-wrap" tabIndex={0} role="region" aria-labelledby={`${idPrefix}-counts`}>
        <table>
          <caption id={`${idPrefix}-counts`}>
            {answer.dryRun ? 'What the import would do, by kind' : 'What the import did, by kind'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              {results.map((result) => (
                <th scope="col" key={result}>
                  {result === 'created' ? 'Created' : result === 'updated' ? 'Updated (replaced)' : 'Unchanged'}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {kindNames
              .filter(([kind]) => counts.has(kind))
              .map(([kind, name]) => (
                <tr key={kind}>
                  <th scope="row">{name}</th>
                  {results.map((result) => (
                    <td key={result}>{counts.get(kind)![result]}</td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      {changed.length > 0 && (
        <details>
          <summary>
            {changed.length} item{changed.length === 1 ? '' : 's'} {answer.dryRun ? 'would change' : 'changed'}
          </summary>
          <ul>
            {changed.slice(0, LISTED_ITEMS).map((item) => (
              <li key={`${item.kind}/${item.name}`}>
                {item.result} {item.kind} <code>{item.name}</code>
              </li>
            ))}
          </ul>
          {changed.length > LISTED_ITEMS && <p class="hint">and {changed.length - LISTED_ITEMS} more (every one is counted above).</p>}
        </details>
      )}
      {warned.length > 0 && (
        <div class="warning">
          <h4>Save-time warnings</h4>
          <ul>
            {warned.flatMap((item) =>
              (item.warnings ?? []).map((warning) => (
                <li key={`${item.name}:${warning}`}>
                  policy <code>{item.name}</code>: {warning}
                </li>
              )),
            )}
          </ul>
        </div>
      )}
      {(answer.unsupported ?? []).length > 0 && (
        <div class="notice">
          <h4>Not carried over from the commercial product's JSON</h4>
          <ul>
            {answer.unsupported!.map((entry) => (
              <li key={`${entry.kind}/${entry.name}`}>
                {entry.kind} <code>{entry.name}</code>: {entry.fields.join(', ')}
              </li>
            ))}
          </ul>
        </div>
      )}
      {(answer.meaningChanges ?? []).length > 0 && (
        <div class="notice">
          <h4>Translated with a different meaning</h4>
          <ul>
            {answer.meaningChanges!.map((entry) => (
              <li key={`${entry.kind}/${entry.name}/${entry.field}`}>
                {entry.kind} <code>{entry.name}</code>, {entry.field}: {entry.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

/** The consequence of applying what the dry run found, in the chosen mode, before the user confirms it. */
function consequence(answer: ImportAnswer, mode: ImportMode): string {
  const created = total(answer, 'created');
  const updated = total(answer, 'updated');
  const unchanged = total(answer, 'unchanged');
  const items = (count: number) => `${count} item${count === 1 ? '' : 's'}`;
  const changes = mode === 'upsert' ? `replaces ${items(updated)} with the file's version` : `updates ${items(updated)}`;
  const left = `${items(unchanged)} ${unchanged === 1 ? 'stays' : 'stay'} as ${unchanged === 1 ? 'it is' : 'they are'}`;
  return `Applying creates ${items(created)} and ${changes}, all at once or not at all; ${left}. Nothing is deleted: what the file leaves out stays as it is.`;
}

type Step =
  | { readonly kind: 'choose' }
  | { readonly kind: 'checked'; readonly answer: ImportAnswer }
  | { readonly kind: 'applied'; readonly answer: ImportAnswer };

function ImportSection() {
  const [prepared, setPrepared] = useState<PreparedImport | undefined>();
  const [mode, setMode] = useState<ImportMode>('upsert');
  const [step, setStep] = useState<Step>({ kind: 'choose' });
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<string | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const resultHeading = useRef<HTMLHeadingElement>(null);
  const refusalHeading = useRef<HTMLParagraphElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (step.kind !== 'choose') resultHeading.current?.focus();
  }, [step]);
  useEffect(() => {
    if (!refusal) return;
    refusalHeading.current?.focus();
    // Cleared so that choosing the same file again, once fixed, is a change the input reports.
    if (fileInput.current) fileInput.current.value = '';
  }, [refusal]);

  const choose = async (file: File | undefined) => {
    setPrepared(undefined);
    setStep({ kind: 'choose' });
    setRefusal(undefined);
    if (!file) return;
    // Checked before reading: a file the API could never take is not loaded into the page at all.
    const tooLarge = importSizeProblem(file.name, file.size);
    if (tooLarge) return setRefusal({ message: tooLarge, problems: [] });
    if (file.size === 0) return setRefusal({ message: `${file.name} is empty: choose an exported or policy-as-code file.`, problems: [] });
    setBusy(true);
    setProgress(`Reading ${file.name}…`);
    try {
      const read = importBody(file.name, await file.text());
      if (!read.ok)
        return setRefusal({
          message: read.message,
          problems: read.issues.map((issue) => ({ path: describeOrigin(issue.origin, issue.path), message: issue.message })),
        });
      const ready = prepareImport(file.name, read.body);
      if ('problem' in ready) return setRefusal({ message: ready.problem, problems: [] });
      setPrepared(ready);
    } catch (caught) {
      setRefusal(refusalOf(caught));
    } finally {
      setBusy(false);
      setProgress(undefined);
    }
  };

  const send = async (dryRun: boolean) => {
    if (!prepared) return;
    setBusy(true);
    setRefusal(undefined);
    setProgress(dryRun ? 'Checking the file (dry run)…' : 'Importing…');
    try {
      const answer = await sendImport(prepared, mode, dryRun, setProgress);
      setStep({ kind: dryRun ? 'checked' : 'applied', answer });
      if (!dryRun) setPrepared(undefined);
    } catch (caught) {
      setStep({ kind: 'choose' });
      setRefusal(refusalOf(caught));
    } finally {
      setBusy(false);
      setProgress(undefined);
    }
  };

  const chosenMode = modeChoices.find((choice) => choice.mode === mode)!;
  const tokens = step.kind === 'applied' ? step.answer.items.filter((item) => item.token !== undefined) : [];

  return (
    <section aria-labelledby="import-title">
      <h2 id="import-title">Import</h2>
      <p>
        Takes what <code>vigil import</code> takes: the file <code>vigil export</code> writes (JSON or YAML), a policy-as-code file of
        policies, application scopes, settings or enforcer groups, or the commercial product's runtime-policy JSON. A dry run shows first
        what would change; nothing is written until you apply it, and then all of it or nothing. Files above{' '}
        {mebibytes(SINGLE_IMPORT_BYTES)} are sent in parts, as the CLI sends them.
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void send(true);
        }}
      >
        <label for="import-file">File to import</label>
        <input
          ref={fileInput}
          id="import-file"
          type="file"
          accept=".json,.yaml,.yml,application/json,application/yaml"
          aria-describedby="import-file-hint"
          disabled={busy}
          onChange={(event) => void choose(event.currentTarget.files?.[0])}
        />
        <p class="hint" id="import-file-hint">
          {prepared
            ? `${prepared.fileName}: ${fileSize(prepared.bytes)}${prepared.split ? `, sent in ${prepared.split.parts.length} parts` : ''}.`
            : 'JSON (.json) or YAML (.yaml, .yml), one document.'}
        </p>
        <fieldset class="choices">
          <legend>When an item of the file exists already</legend>
          {modeChoices.map((choice) => (
            <div class="check" key={choice.mode}>
              <input
                type="radio"
                name="import-mode"
                id={`import-mode-${choice.mode}`}
                aria-describedby={`import-mode-${choice.mode}-hint`}
                checked={mode === choice.mode}
                disabled={busy}
                onChange={() => {
                  setMode(choice.mode);
                  // A dry run answers for one mode: the other needs its own before it can be applied.
                  if (step.kind === 'checked') setStep({ kind: 'choose' });
                }}
              />
              <label for={`import-mode-${choice.mode}`}>{choice.label}</label>
              <span class="hint" id={`import-mode-${choice.mode}-hint`}>
                {choice.consequence}
              </span>
            </div>
          ))}
          <p class="hint">No mode deletes anything: items the file leaves out stay as they are, enforcer groups too.</p>
        </fieldset>
        <div class="actions">
          <button type="submit" disabled={busy || !prepared}>
            Dry run
          </button>
        </div>
      </form>
      {progress && <p role="status">{progress}</p>}
      {refusal && (
        <div class="error-summary" role="alert">
          <p class="error" tabIndex={-1} ref={refusalHeading}>
            {refusal.message}
          </p>
          {refusal.problems.length > 0 && (
            <ul aria-label="Problems in the file">
              {refusal.problems.map((problem) => (
                <li key={`${problem.path}:${problem.message}`}>
                  <code>{problem.path || '(document)'}</code>: {problem.message}
                </li>
              ))}
            </ul>
          )}
          <p>Choose another file, or fix this one and choose it again.</p>
        </div>
      )}
      {step.kind === 'checked' && prepared && (
        <section aria-labelledby="dry-run-title">
          <h3 id="dry-run-title" tabIndex={-1} ref={resultHeading}>
            Dry run of {prepared.fileName}: nothing was written
          </h3>
          <AnswerDetails answer={step.answer} idPrefix="dry-run" />
          <div class="warning" id="import-consequence">
            <p>
              <strong>Mode: {chosenMode.label}.</strong> {consequence(step.answer, mode)}
            </p>
          </div>
          <div class="actions">
            <button type="button" aria-describedby="import-consequence" disabled={busy} onClick={() => void send(false)}>
              Apply import
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={() => setStep({ kind: 'choose' })}>
              Cancel
            </button>
          </div>
        </section>
      )}
      {step.kind === 'applied' && (
        <section aria-labelledby="applied-title">
          <h3 id="applied-title" tabIndex={-1} ref={resultHeading}>
            Imported: {total(step.answer, 'created')} created, {total(step.answer, 'updated')} updated, {total(step.answer, 'unchanged')}{' '}
            unchanged
          </h3>
          <AnswerDetails answer={step.answer} idPrefix="applied" />
          {tokens.length > 0 && (
            <div class="warning">
              <p>
                <strong>New enforcer group tokens, shown only now</strong> (Vigil keeps only their hashes): give each to its enforcers.
              </p>
              {tokens.map((item) => (
                <p key={item.name}>
                  {item.name}: <code class="secret">{item.token}</code>
                </p>
              ))}
            </div>
          )}
        </section>
      )}
    </section>
  );
}

/** Import and export of the whole configuration, through the same API routes `vigil import` and `vigil export` call. */
export function TransferView() {
  return (
    <section aria-labelledby="transfer-title">
      <h1 id="transfer-title">Import and export</h1>
      <ImportSection />
      <ExportSection />
    </section>
  );
}
