import { documentShape, isCommercialDocument } from './commercial/recognition.js';

// The client's half of a multi-part import (docs/adr/0016): a document larger than one request is cut into parts of
// whole items, each a document of its own, and a problem the server names in a part (`parts.<n>.<path>`) is named
// back at its place in the document the user chose. The CLI and the web console both send imports with it, so the
// parts are the same whichever client sends them. Only shape recognition is imported: the console bundles this.

/** The largest body POST /v1/import takes (5 MiB, the API's import route limit); larger documents go in parts. */
export const SINGLE_IMPORT_BYTES = 5 * 1024 * 1024;
/** Parts one multi-part import takes at most. */
export const MAX_IMPORT_PARTS = 32;
/** The largest document a client can import at all: every part full to the route limit. */
export const MAX_IMPORT_DOCUMENT_BYTES = MAX_IMPORT_PARTS * SINGLE_IMPORT_BYTES;
/** What a client puts in one part at most: whole items, well below the route limit. */
export const IMPORT_PART_BYTES = 4 * 1024 * 1024;

const MIB = 1024 * 1024;

/** A size as both clients write it in their import messages. */
export function mebibytes(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

/**
 * Why a document (or the file holding it) of this size cannot be imported at all, or undefined when it may be:
 * even cut into full parts it would need more than MAX_IMPORT_PARTS. A client says so before reading the file.
 */
export function importSizeProblem(name: string, bytes: number): string | undefined {
  if (bytes <= MAX_IMPORT_DOCUMENT_BYTES) return undefined;
  return `${name} is ${mebibytes(bytes)}: the API imports at most ${mebibytes(MAX_IMPORT_DOCUMENT_BYTES)} (${MAX_IMPORT_PARTS} parts of ${mebibytes(SINGLE_IMPORT_BYTES)}). Nothing was written.`;
}

/**
 * Why a document of `bytes` cut into `parts` cannot be imported, or undefined when it can: parts hold whole items
 * (at most IMPORT_PART_BYTES each, an item larger than that alone), so a document below the size limit may
 * still need more than MAX_IMPORT_PARTS. A client says so before it opens an upload.
 */
export function importPartsProblem(name: string, bytes: number, parts: number): string | undefined {
  if (parts <= MAX_IMPORT_PARTS) return undefined;
  return `${name} is ${mebibytes(bytes)} and needs ${parts} parts of whole items (up to ${mebibytes(IMPORT_PART_BYTES)} each): the API imports at most ${MAX_IMPORT_PARTS} parts. Nothing was written.`;
}

/** One part to upload, and where its items start in the document's lists. */
export interface ImportPart {
  readonly body: unknown;
  /** Where the part's items start in the document's lists (by list path: "policies.", "result.", ""). */
  readonly starts: Readonly<Record<string, number>>;
}

/** A document cut into parts, and the path of the list a commercial document's objects were taken from. */
export interface SplitImport {
  readonly parts: ImportPart[];
  readonly listPath: string;
}

/**
 * Bytes of a string in UTF-8, as the server counts a body (a lone surrogate as the 3 bytes of U+FFFD), without
 * encoding it: Node's Buffer is not in the browser, and a 9 MiB document need not be copied to be measured.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** The size of a value sent as compact JSON. */
export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value));
}

/** Cuts a list into runs of whole items of at most IMPORT_PART_BYTES each (an item larger than that goes alone). */
function runs<T>(items: readonly T[]): Array<{ start: number; items: T[] }> {
  const out: Array<{ start: number; items: T[] }> = [];
  let current: { start: number; items: T[] } | undefined;
  let size = 0;
  items.forEach((item, index) => {
    const itemBytes = jsonBytes(item) + 1;
    if (!current || size + itemBytes > IMPORT_PART_BYTES) {
      current = { start: index, items: [] };
      out.push(current);
      size = 0;
    }
    current.items.push(item);
    size += itemBytes;
  });
  return out;
}

/** The document as parts: Vigil's lists (settings and groups in the first part), or the commercial product's objects as bare lists. */
export function splitImport(document: unknown): SplitImport {
  if (isCommercialDocument(document)) {
    const shape = documentShape(document)!;
    const values = 'bypassEntries' in shape ? [...shape.bypassEntries] : shape.items.map((item) => item.value);
    const first = 'items' in shape ? (shape.items[0]?.path ?? '') : '';
    return {
      parts: runs(values).map((run) => ({ body: run.items, starts: { '': run.start } })),
      listPath: first.replace(/\d+$/, ''),
    };
  }
  const {
    policies = [],
    applicationScopes = [],
    settings,
    enforcerGroups,
    ...rest
  } = document as Record<string, unknown> & {
    policies?: unknown[];
    applicationScopes?: unknown[];
  };
  // The groups are few (at most 1,000 small objects): they go once, in the first part with the settings.
  const first = { ...rest, ...(enforcerGroups === undefined ? {} : { enforcerGroups }), ...(settings === undefined ? {} : { settings }) };
  const parts: ImportPart[] = [{ body: first, starts: {} }];
  for (const run of runs(applicationScopes))
    parts.push({ body: { ...rest, applicationScopes: run.items }, starts: { 'applicationScopes.': run.start } });
  for (const run of runs(policies)) parts.push({ body: { ...rest, policies: run.items }, starts: { 'policies.': run.start } });
  return { parts, listPath: '' };
}

/** `parts.<n>.<path>` as the server names it, at its place in the document that was split. */
export function inDocument(path: string, { parts, listPath }: SplitImport): string {
  if (!path.startsWith('parts.')) return path;
  const [number = '', ...within] = path.slice('parts.'.length).split('.');
  const part = /^\d+$/.test(number) ? parts[Number(number) - 1] : undefined;
  if (!part) return path;
  const inner = within.join('.');
  for (const [list, start] of Object.entries(part.starts)) {
    if (list !== '' && !inner.startsWith(list)) continue;
    const [index, ...tail] = inner.slice(list.length).split('.');
    if (index === undefined || !/^\d+$/.test(index)) continue;
    return [`${list === '' ? listPath : list}${start + Number(index)}`, ...tail].join('.');
  }
  return inner === '' ? '(root)' : inner;
}
