import {
  checkImportPart,
  importPartLayout,
  joinImportParts,
  MAX_IMPORT_PARTS,
  type ImportMode,
  type ImportPartFormat,
} from '../../../layers/core/index.js';
import { ValidationError } from '../../shared/errors.js';
import { IMPORT_MAX_BODY_BYTES } from '../../shared/http/body-parsing.js';
import type { Runtime } from '../../shared/runtime.js';
import { UPLOAD_RETENTION_MS } from '../../shared/storage/config-uploads.js';
import type { Actor } from '../../shared/storage/ports.js';
import { commercialImport } from './commercial-import.js';
import type { ImportOutcome, policyWrites } from './policy-writes.js';

// Multi-part imports (docs/adr/0016): a document larger than one request is uploaded in parts, each checked on
// arrival on its own, and committed at once: the parts are joined into the one document they came from and go
// through the ordinary import, which is all or nothing (one switch of META/revision, docs/adr/0009). Every problem
// is named at `parts.<number>.<path in that part>`.

/** What opening a multi-part import answers. */
export interface OpenedImport {
  readonly id: string;
  readonly expiresAt: string;
  readonly maxParts: number;
  readonly maxPartBytes: number;
}

/** What storing one part answers. */
export interface StoredPart {
  readonly id: string;
  readonly part: number;
  readonly bytes: number;
  readonly format: ImportPartFormat;
  /** Objects in the part (policies, scopes and enforcer groups, the product's objects, or bypass entries). */
  readonly items: number;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function inPart(number: number, path: string): string {
  return path === '' || path === '(root)' ? `parts.${number}` : `parts.${number}.${path}`;
}

/** The multi-part import use case, on top of the import of one document. */
export function importUploads(runtime: Runtime, writes: ReturnType<typeof policyWrites>) {
  const uploads = runtime.configStore.uploads;
  return {
    async open(): Promise<OpenedImport> {
      const now = runtime.clock();
      const id = runtime.newId();
      await uploads.open(id, now);
      return {
        id,
        expiresAt: new Date(now.getTime() + UPLOAD_RETENTION_MS).toISOString(),
        maxParts: MAX_IMPORT_PARTS,
        maxPartBytes: IMPORT_MAX_BODY_BYTES,
      };
    },

    /** Checks one part on its own and stores it (a part uploaded again replaces the earlier one). */
    async putPart(id: string, number: number, body: unknown): Promise<StoredPart> {
      if (body === undefined)
        throw new ValidationError('the part is empty', [{ path: inPart(number, ''), message: 'send one document (JSON) as the body' }]);
      const commercial = commercialImport(runtime, body, await runtime.configStore.loadSnapshot(), 'upsert');
      const problems = commercial ? commercial.problemsAlone() : checkImportPart(body).map(({ path, message }) => ({ path, message }));
      if (problems.length > 0)
        throw new ValidationError(
          `part ${number} has ${plural(problems.length, 'problem')}; it was not stored`,
          problems.map((problem) => ({ path: inPart(number, problem.path), message: problem.message })),
        );
      const text = JSON.stringify(body);
      await uploads.putPart(id, number, text, runtime.clock());
      const layout = importPartLayout(body);
      const items =
        layout.format === 'vigil'
          ? layout.policies + layout.applicationScopes + layout.enforcerGroups + (layout.settings ? 1 : 0)
          : layout.items;
      return { id, part: number, bytes: Buffer.byteLength(text, 'utf8'), format: layout.format, items };
    },

    /**
     * Joins the parts and imports them as one document, all or nothing; then the upload is gone. A dry run, or a
     * commit refused for bad input, keeps the upload: fix a part (upload it again) and commit again.
     */
    async commit(
      id: string,
      options: { readonly mode: ImportMode; readonly dryRun: boolean },
      actor: Actor,
    ): Promise<ImportOutcome & { readonly id: string; readonly parts: number }> {
      await uploads.beginCommit(id, runtime.clock());
      let committed = false;
      try {
        const parts = await uploads.parts(id, runtime.clock());
        const broken = parts.filter((part) => part.text === undefined);
        if (broken.length > 0)
          throw new ValidationError(
            `${plural(broken.length, 'part')} did not arrive completely; nothing was written`,
            broken.map((part) => ({
              path: inPart(part.number, ''),
              message: `an upload of part ${part.number} was interrupted and what is stored is not the part: upload it again`,
            })),
          );
        const joined = joinImportParts(parts.map((part) => ({ number: part.number, document: JSON.parse(part.text!) as unknown })));
        if (!joined.ok)
          throw new ValidationError(
            `the parts have ${plural(joined.problems.length, 'problem')}; nothing was written`,
            joined.problems.map(({ path, message }) => ({ path, message })),
          );
        let outcome: ImportOutcome;
        try {
          outcome = await writes.import(joined.joined.document, options, actor);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          throw new ValidationError(
            error.message,
            error.details.map((detail) => ({ ...detail, path: joined.joined.locate(detail.path) })),
          );
        }
        if (!options.dryRun) {
          committed = true;
          await uploads.remove(id);
        }
        return { ...outcome, id, parts: parts.length };
      } finally {
        // A commit that wrote nothing leaves the upload open for a fix and another try.
        if (!committed) await uploads.endCommit(id);
      }
    },

    async abort(id: string): Promise<boolean> {
      return uploads.remove(id);
    },
  };
}
