import { documentShape, isCommercialDocument } from './commercial/index.js';
import { isPlainObject } from './commercial/source.js';
import { EXPORT_FORMAT_VERSION } from './schemas/export.js';

// A multi-part import (docs/adr/0016): one document too large for one request, split by the client into parts that
// are each a document of their own (Vigil's export format, or the commercial product's JSON in any shape it is
// recognised in). At the commit the parts are joined into the one document they came from, and a problem found in
// the joined document is named at its place in the part the user sent. The clients' half (cutting a document into
// parts) is import-split.ts.

/** What a part is: Vigil's own document, the commercial product's objects, or a pasted list of global bypass entries. */
export type ImportPartFormat = 'vigil' | 'commercial' | 'commercial-bypass-list';

/** How one part is laid out, enough to join it and to find an item of the joined document in it. */
export type ImportPartLayout =
  | {
      readonly format: 'vigil';
      readonly policies: number;
      readonly applicationScopes: number;
      readonly enforcerGroups: number;
      readonly settings: boolean;
    }
  | { readonly format: 'commercial'; readonly items: number; readonly prefix: string; readonly single: boolean }
  | { readonly format: 'commercial-bypass-list'; readonly items: number };

/** One problem, at a path of a document. */
export interface PartProblem {
  readonly path: string;
  readonly message: string;
}

/** How a part is laid out: Vigil's document when it is not the commercial product's JSON (its own check names what is wrong). */
export function importPartLayout(part: unknown): ImportPartLayout {
  if (isCommercialDocument(part)) {
    const shape = documentShape(part);
    if (shape && 'bypassEntries' in shape) return { format: 'commercial-bypass-list', items: shape.bypassEntries.length };
    const items = shape && 'items' in shape ? shape.items : [];
    const first = items[0]?.path ?? '';
    const single = items.length === 1 && first === '';
    return { format: 'commercial', items: items.length, prefix: single ? '' : first.replace(/\d+$/, ''), single };
  }
  const list = (key: string) => (isPlainObject(part) && Array.isArray(part[key]) ? (part[key] as unknown[]).length : 0);
  return {
    format: 'vigil',
    policies: list('policies'),
    applicationScopes: list('applicationScopes'),
    enforcerGroups: list('enforcerGroups'),
    settings: isPlainObject(part) && part.settings !== undefined,
  };
}

const formatNames: Readonly<Record<ImportPartFormat, string>> = {
  vigil: "Vigil's export format",
  commercial: "the commercial product's objects",
  'commercial-bypass-list': "the commercial product's list of global bypass entries",
};

/** The joined document and how to find a path of it in the parts. */
export interface JoinedImport {
  readonly document: unknown;
  /** A path of the joined document (as the import names problems) as `parts.<number>.<path in that part>`. */
  readonly locate: (path: string) => string;
}

/**
 * Joins the parts (in part-number order) into one document: Vigil parts into one export document (their lists
 * concatenated, the settings of the one part that has them), commercial parts into one list of their objects (or of
 * their bypass entries). Parts of different formats, or settings in two parts, are problems named at the part.
 */
export function joinImportParts(
  parts: ReadonlyArray<{ readonly number: number; readonly document: unknown }>,
): { readonly ok: true; readonly joined: JoinedImport } | { readonly ok: false; readonly problems: PartProblem[] } {
  const layouts = parts.map((part) => ({ ...part, layout: importPartLayout(part.document) }));
  const first = layouts[0];
  if (!first)
    return { ok: false, problems: [{ path: 'parts', message: 'the import has no parts: upload at least one before committing' }] };
  const problems: PartProblem[] = [];
  for (const part of layouts) {
    if (part.layout.format !== first.layout.format)
      problems.push({
        path: `parts.${part.number}`,
        message: `part ${part.number} is ${formatNames[part.layout.format]}, part ${first.number} ${formatNames[first.layout.format]}: the parts of one import are pieces of one document`,
      });
  }
  if (first.layout.format === 'vigil') {
    const withSettings = layouts.filter((part) => part.layout.format === 'vigil' && part.layout.settings);
    for (const extra of withSettings.slice(1))
      problems.push({
        path: `parts.${extra.number}.settings`,
        message: `settings are given in part ${withSettings[0]!.number} already: a document has one settings object`,
      });
  }
  if (problems.length > 0) return { ok: false, problems };

  if (first.layout.format === 'vigil') {
    const ranges = { policies: [] as Range[], applicationScopes: [] as Range[], enforcerGroups: [] as Range[] };
    const policies: unknown[] = [];
    const applicationScopes: unknown[] = [];
    const enforcerGroups: unknown[] = [];
    let settings: { value: unknown; number: number } | undefined;
    for (const part of layouts) {
      const document = part.document as Record<string, unknown>;
      ranges.policies.push({ start: policies.length, number: part.number, prefix: 'policies.' });
      ranges.applicationScopes.push({ start: applicationScopes.length, number: part.number, prefix: 'applicationScopes.' });
      policies.push(...((document.policies as unknown[] | undefined) ?? []));
      applicationScopes.push(...((document.applicationScopes as unknown[] | undefined) ?? []));
      ranges.enforcerGroups.push({ start: enforcerGroups.length, number: part.number, prefix: 'enforcerGroups.' });
      enforcerGroups.push(...((document.enforcerGroups as unknown[] | undefined) ?? []));
      if (document.settings !== undefined) settings = { value: document.settings, number: part.number };
    }
    return {
      ok: true,
      joined: {
        document: {
          formatVersion: EXPORT_FORMAT_VERSION,
          policies,
          applicationScopes,
          ...(enforcerGroups.length > 0 ? { enforcerGroups } : {}),
          ...(settings ? { settings: settings.value } : {}),
        },
        locate: (path) => {
          const [head = '', ...rest] = path.split('.');
          if (head === 'policies' || head === 'applicationScopes' || head === 'enforcerGroups') return inRanges(ranges[head], rest, path);
          if (head === 'settings' && settings) return `parts.${settings.number}.${path}`;
          return path;
        },
      },
    };
  }

  const ranges: Range[] = [];
  const items: unknown[] = [];
  for (const part of layouts) {
    const layout = part.layout as Exclude<ImportPartLayout, { format: 'vigil' }>;
    ranges.push({
      start: items.length,
      number: part.number,
      prefix: layout.format === 'commercial' ? layout.prefix : '',
      single: layout.format === 'commercial' && layout.single,
    });
    const shape = documentShape(part.document);
    if (shape && 'bypassEntries' in shape) items.push(...shape.bypassEntries);
    else if (shape) items.push(...shape.items.map((item) => item.value));
  }
  return {
    ok: true,
    joined: {
      document: items,
      locate: (path) => (path === '(root)' ? 'parts' : inRanges(ranges, path.split('.'), path)),
    },
  };
}

interface Range {
  /** Index in the joined list of the part's first item. */
  readonly start: number;
  readonly number: number;
  /** The path of the part's list (`result.`, `policies.`, `` for a bare list). */
  readonly prefix: string;
  /** A part that is one object rather than a list of them. */
  readonly single?: boolean;
}

/** `<index>.<rest>` of a joined list at its place in the part the item came from. */
function inRanges(ranges: readonly Range[], [index, ...rest]: readonly string[], path: string): string {
  if (index === undefined || !/^\d+$/.test(index)) return path;
  const position = Number(index);
  const range = [...ranges].reverse().find((candidate) => candidate.start <= position);
  if (!range) return path;
  const tail = rest.length > 0 ? `.${rest.join('.')}` : '';
  if (range.single) return `parts.${range.number}${tail}`;
  return `parts.${range.number}.${range.prefix}${position - range.start}${tail}`;
}
