/**
 * A whole document of the commercial product converted for an all-or-nothing import: application scopes first
 * (policies may exclude them by name), then runtime policies, enforcer groups and a pasted global bypass list,
 * every item with what it could not carry over and what changed meaning, and every problem at its path in the
 * document the user wrote.
 */
import { EXPORT_FORMAT_VERSION } from '../schemas/export.js';
import { convertApplicationScope, scopeFormula } from './application-scope.js';
import { convertEnforcerGroup } from './enforcer-group.js';
import { documentShape, recogniseItem, type CommercialKind } from './recognition.js';
import { convertRuntimePolicy, type ItemConversion } from './runtime-policy.js';
import type { Formula } from './scope.js';
import { isPlainObject } from './source.js';

/** Thrown when a document is none of the product's shapes (nor a list or wrapper of them). */
export class CommercialFormatError extends Error {
  override readonly name = 'CommercialFormatError';
}

/** An import document built from the product's objects; pass it to planImport. */
export interface ConvertedDocument {
  readonly formatVersion: typeof EXPORT_FORMAT_VERSION;
  readonly policies: unknown[];
  readonly applicationScopes: unknown[];
}

export interface ConvertedItem {
  readonly kind: CommercialKind;
  readonly name: string;
  /** JSON path of the item in the source document ("" when the document is the item). */
  readonly source: string;
  /** Position in its Vigil list (document.policies, document.applicationScopes or enforcerGroups). */
  readonly index: number;
  readonly conversion: ItemConversion;
}

/** A problem that refuses the import, at its path in the source document. */
export interface CommercialIssue {
  readonly path: string;
  readonly name?: string;
  readonly message: string;
}

export interface CommercialDocumentConversion {
  readonly document: ConvertedDocument;
  /** Vigil enforcer-group inputs (never a token). */
  readonly enforcerGroups: unknown[];
  /** A pasted list of global bypass entries: replaces the bypass list of the enforcer settings. */
  readonly bypassScopes?: string[];
  readonly items: ConvertedItem[];
  readonly issues: CommercialIssue[];
}

export interface CommercialOptions {
  /** Stored application scopes, for policies that exclude one not in the document. */
  readonly storedScope?: (name: string) => Formula | undefined;
  /** The import time: a schedule whose due time has passed is reported instead of kept. */
  readonly now?: Date;
}

/** `a.b` joined so that an empty part disappears. */
export function joinPath(...parts: readonly string[]): string {
  return parts.filter((part) => part !== '').join('.');
}

const nouns: Readonly<Record<CommercialKind, string>> = {
  policy: 'runtime policy',
  applicationScope: 'application scope',
  enforcerGroup: 'enforcer group',
};

function itemName(kind: CommercialKind, value: unknown, path: string): string {
  const field = kind === 'enforcerGroup' ? 'id' : 'name';
  return isPlainObject(value) && typeof value[field] === 'string' && value[field] !== ''
    ? value[field]
    : path === ''
      ? '(the document)'
      : path;
}

function describeUnrecognised(value: unknown): string {
  const fields = isPlainObject(value) ? Object.keys(value).slice(0, 6) : [];
  const has =
    fields.length > 0
      ? ` (it has ${fields.map((field) => `"${field}"`).join(', ')}${isPlainObject(value) && Object.keys(value).length > 6 ? ', ...' : ''})`
      : '';
  return `not recognised as a runtime policy, application scope or enforcer group of the commercial product${has}: a runtime policy has fields such as "scope", "enforce" or "runtime_type", an application scope has "categories", an enforcer group has "gateways" or "orchestrator"`;
}

/** Converts the product's JSON (any shape `documentShape` knows); throws CommercialFormatError for anything else. */
export function convertCommercialDocument(input: unknown, options: CommercialOptions = {}): CommercialDocumentConversion {
  const shape = documentShape(input);
  if (!shape)
    throw new CommercialFormatError(
      'expected the commercial product\'s JSON: a runtime policy, application scope or enforcer group, a list of them, its list answer {"count", "page", "pagesize", "result": [...]}, or a list of global bypass entries',
    );
  const document: ConvertedDocument = { formatVersion: EXPORT_FORMAT_VERSION, policies: [], applicationScopes: [] };
  if ('bypassEntries' in shape) return { document, enforcerGroups: [], bypassScopes: [...shape.bypassEntries], items: [], issues: [] };

  const issues: CommercialIssue[] = [];
  const items: ConvertedItem[] = [];
  const enforcerGroups: unknown[] = [];
  const recognised = shape.items.map((item) => ({ ...item, kind: recogniseItem(item.value) }));
  for (const item of recognised) {
    if (item.kind === undefined) issues.push({ path: item.path === '' ? '(root)' : item.path, message: describeUnrecognised(item.value) });
  }

  const add = (kind: CommercialKind, path: string, value: unknown, conversion: ItemConversion, list: unknown[]) => {
    const name = itemName(kind, value, path);
    items.push({ kind, name, source: path, index: list.length, conversion });
    list.push(conversion.value);
    for (const issue of conversion.issues)
      issues.push({ path: joinPath(path, issue.path), name, message: `${nouns[kind]} "${name}": ${issue.message}` });
  };

  const scopesInDocument = new Map<string, Formula>();
  for (const item of recognised.filter((entry) => entry.kind === 'applicationScope')) {
    const conversion = convertApplicationScope(item.value as Record<string, unknown>);
    const formula = scopeFormula(conversion.value);
    if (formula) scopesInDocument.set((conversion.value as { name: string }).name, formula);
    add('applicationScope', item.path, item.value, conversion, document.applicationScopes);
  }
  const applicationScope = (name: string) => scopesInDocument.get(name) ?? options.storedScope?.(name);
  for (const item of recognised.filter((entry) => entry.kind === 'policy')) {
    const conversion = convertRuntimePolicy(item.value as Record<string, unknown>, {
      applicationScope,
      ...(options.now ? { now: options.now } : {}),
    });
    add('policy', item.path, item.value, conversion, document.policies);
  }
  for (const item of recognised.filter((entry) => entry.kind === 'enforcerGroup')) {
    add('enforcerGroup', item.path, item.value, convertEnforcerGroup(item.value as Record<string, unknown>), enforcerGroups);
  }
  return { document, enforcerGroups, items, issues };
}

/** Per item that lost something, the source fields not carried over. */
export function unsupportedFields(
  conversion: CommercialDocumentConversion,
): Array<{ kind: CommercialKind; name: string; fields: string[] }> {
  return conversion.items
    .filter((item) => item.conversion.unsupported.length > 0)
    .map((item) => ({ kind: item.kind, name: item.name, fields: item.conversion.unsupported }));
}

/** Every translated field whose meaning differs, per item, in words for the user. */
export function meaningChanges(
  conversion: CommercialDocumentConversion,
): Array<{ kind: CommercialKind; name: string; field: string; message: string }> {
  return conversion.items.flatMap((item) =>
    item.conversion.meaningChanges.map((change) => ({ kind: item.kind, name: item.name, field: change.field, message: change.message })),
  );
}

/**
 * Where a problem found in the converted item (`kind`, its index in the Vigil list, the Vigil path inside it)
 * lies in the source document, so that an error names the field the user wrote.
 */
export function sourceLocation(
  conversion: CommercialDocumentConversion,
  kind: CommercialKind,
  index: number,
  vigilPath: string,
): { path: string; name: string; field?: string } | undefined {
  const item = conversion.items.find((candidate) => candidate.kind === kind && candidate.index === index);
  if (!item) return undefined;
  const field = item.conversion.sourceOf(vigilPath);
  return {
    path: joinPath(item.source, field ?? ''),
    name: item.name,
    ...(field === undefined && vigilPath !== '' ? { field: vigilPath } : {}),
  };
}
