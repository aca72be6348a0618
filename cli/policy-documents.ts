// Reading policy-as-code text: YAML (several documents per text allowed) or JSON; each document an export document,
// a policy, an application scope, settings, an enforcer group, or a list of those, merged into one import document
// that remembers where each item came from so that problems name file and path. No file system and no Node
// built-ins: `vigil import`/`vigil apply` (cli/documents.ts reads the files) and the web console's import view
// read a chosen file with this same code.
import { parseAllDocuments } from 'yaml';
import { enforcerTypes } from '../layers/core/catalog.js';
import { isCommercialDocument, isCommercialPolicy } from '../layers/core/commercial/recognition.js';

export const documentExtensions = ['.yaml', '.yml', '.json'] as const;

/** Where an item was declared: the file, the YAML document within it (1-based, when it has several) and the path. */
export interface Origin {
  readonly file: string;
  readonly document?: number;
  readonly path: readonly (string | number)[];
}

/** A parsed document of a file. */
export interface SourceDocument {
  readonly origin: Origin;
  readonly value: unknown;
}

/** A problem found in the files, before or after merging. */
export interface FileIssue {
  readonly origin?: Origin;
  /** Path inside the item (or document) the origin points at. */
  readonly path: string;
  readonly message: string;
}

/**
 * The desired state the files declare, with the origin of every item: one import document (policies, scopes,
 * settings), and the enforcer groups: `vigil apply` merges each declared group into the stored one through the
 * groups API (the import replaces whole groups), `vigil import` sends them with the document.
 */
export interface DesiredState {
  readonly document: { formatVersion: 1; policies: unknown[]; applicationScopes: unknown[]; settings?: unknown };
  readonly enforcerGroups: unknown[];
  readonly origins: { policies: Origin[]; applicationScopes: Origin[]; enforcerGroups: Origin[]; settings?: Origin };
  readonly files: readonly string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function joinPath(parts: readonly (string | number)[]): string {
  return parts.map(String).join('.');
}

/** `file (document 2): path`, the way every file problem is reported. */
export function describeOrigin(origin: Origin | undefined, innerPath = ''): string {
  if (!origin) return innerPath === '' ? '(document)' : innerPath;
  const where = origin.document === undefined ? origin.file : `${origin.file} (document ${origin.document})`;
  const path = [joinPath(origin.path), innerPath].filter((p) => p !== '').join('.');
  return path === '' ? where : `${where}: ${path}`;
}

/** The extension of a file name, lower-cased with its dot ("" when it has none); node:path is not in the browser. */
function extensionOf(file: string): string {
  const name = file.slice(file.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

/** Whether a file name is one of the document types read in folders. */
export function hasDocumentExtension(name: string): boolean {
  return (documentExtensions as readonly string[]).includes(extensionOf(name));
}

/**
 * Parses a file's text: JSON for `.json`, else YAML (a superset of JSON), where `---` separates documents. Empty
 * documents are skipped. Syntax errors are returned, not thrown, so that every file is reported at once.
 */
export function parseDocuments(file: string, text: string): { documents: SourceDocument[]; issues: FileIssue[] } {
  if (extensionOf(file) === '.json') {
    try {
      return { documents: [{ origin: { file, path: [] }, value: JSON.parse(text) as unknown }], issues: [] };
    } catch (error) {
      return {
        documents: [],
        issues: [
          { origin: { file, path: [] }, path: '', message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` },
        ],
      };
    }
  }
  const parsed = parseAllDocuments(text);
  const all = Array.isArray(parsed) ? parsed : [];
  const several = all.length > 1;
  const documents: SourceDocument[] = [];
  const issues: FileIssue[] = [];
  all.forEach((doc, i) => {
    const origin: Origin = { file, ...(several ? { document: i + 1 } : {}), path: [] };
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        // The message's first line names the position ("… at line 2, column 1:"); the rest is a source excerpt.
        issues.push({ origin, path: '', message: `not valid YAML: ${(error.message.split('\n')[0] ?? error.message).replace(/:$/, '')}` });
      }
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    documents.push({ origin, value });
  });
  return { documents, issues };
}

export type ItemKind = 'document' | 'policy' | 'applicationScope' | 'settings' | 'enforcerGroup';

const kindNames: Readonly<Record<string, Exclude<ItemKind, 'document'>>> = {
  policy: 'policy',
  runtimepolicy: 'policy',
  applicationscope: 'applicationScope',
  scope: 'applicationScope',
  settings: 'settings',
  enforcersettings: 'settings',
  enforcergroup: 'enforcerGroup',
  group: 'enforcerGroup',
};

const settingsFields = ['bypassScopes', 'admissionWarnings', 'auditRetentionDays'];

/**
 * What a document declares. An explicit `kind` (policy, applicationScope, settings, EnforcerGroup) decides and is
 * removed; otherwise: `formatVersion` → an export document; an enforcer type as `type` (kube_enforcer, agent, …)
 * → an enforcer group; `type` or `controls` → a policy; any settings field and no name → settings; a name → an
 * application scope (scopes have no type).
 */
export function classify(value: unknown): { kind: ItemKind; value: unknown } | { error: string } {
  if (!isObject(value))
    return {
      error: 'expected an object (a policy, an application scope, settings, an enforcer group or an export document) or a list of them',
    };
  if ('kind' in value) {
    const { kind, ...rest } = value;
    const normalised = typeof kind === 'string' ? kindNames[kind.toLowerCase().replace(/[-_ ]/g, '')] : undefined;
    if (!normalised) return { error: `"kind" must be policy, applicationScope, settings or EnforcerGroup (got ${JSON.stringify(kind)})` };
    return { kind: normalised, value: rest };
  }
  if ('formatVersion' in value) return { kind: 'document', value };
  if (typeof value.type === 'string' && (enforcerTypes as readonly string[]).includes(value.type)) return { kind: 'enforcerGroup', value };
  if (isCommercialPolicy(value))
    return { error: 'this looks like a policy of the commercial product: convert and import it with `vigil import <file>`' };
  if ('type' in value || 'controls' in value || 'enforcementMode' in value) return { kind: 'policy', value };
  if (!('name' in value) && settingsFields.some((field) => field in value)) return { kind: 'settings', value };
  if ('name' in value) return { kind: 'applicationScope', value };
  return {
    error:
      'cannot tell what this declares: a policy has "type", an application scope has "name" and no "type", settings have "bypassScopes"; or add "kind: policy|applicationScope|settings|EnforcerGroup"',
  };
}

const documentFields = new Set(['formatVersion', 'policies', 'applicationScopes', 'settings', 'enforcerGroups']);

/** Merges parsed documents into one desired state; duplicates and malformed documents are issues. */
export function mergeDocuments(sources: readonly SourceDocument[]): { state: DesiredState; issues: FileIssue[] } {
  const document: DesiredState['document'] = { formatVersion: 1, policies: [], applicationScopes: [] };
  const enforcerGroups: unknown[] = [];
  const origins: DesiredState['origins'] = { policies: [], applicationScopes: [], enforcerGroups: [] };
  const lists = { policies: document.policies, applicationScopes: document.applicationScopes, enforcerGroups };
  const issues: FileIssue[] = [];
  const files = [...new Set(sources.map((s) => s.origin.file))];

  const addSettings = (value: unknown, origin: Origin) => {
    if (origins.settings) {
      issues.push({ origin, path: '', message: `settings are declared more than once; first in ${describeOrigin(origins.settings)}` });
      return;
    }
    document.settings = value;
    origins.settings = origin;
  };

  const add = (value: unknown, origin: Origin): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => add(item, { ...origin, path: [...origin.path, index] }));
      return;
    }
    const classified = classify(value);
    if ('error' in classified) {
      issues.push({ origin, path: '', message: classified.error });
      return;
    }
    switch (classified.kind) {
      case 'policy':
        document.policies.push(classified.value);
        origins.policies.push(origin);
        return;
      case 'applicationScope':
        document.applicationScopes.push(classified.value);
        origins.applicationScopes.push(origin);
        return;
      case 'settings':
        addSettings(classified.value, origin);
        return;
      case 'enforcerGroup':
        enforcerGroups.push(classified.value);
        origins.enforcerGroups.push(origin);
        return;
      case 'document': {
        const doc = classified.value as Json;
        if (doc.formatVersion !== 1) issues.push({ origin, path: 'formatVersion', message: '"formatVersion" must be 1' });
        for (const key of Object.keys(doc)) {
          if (!documentFields.has(key))
            issues.push({ origin, path: key, message: `unknown field of an export document (allowed: ${[...documentFields].join(', ')})` });
        }
        for (const list of ['policies', 'applicationScopes', 'enforcerGroups'] as const) {
          const items = doc[list];
          if (items === undefined || items === null) continue;
          if (!Array.isArray(items)) {
            issues.push({ origin, path: list, message: 'must be a list' });
            continue;
          }
          items.forEach((item, index) => {
            lists[list].push(item);
            origins[list].push({ ...origin, path: [...origin.path, list, index] });
          });
        }
        if (doc.settings !== undefined && doc.settings !== null)
          addSettings(doc.settings, { ...origin, path: [...origin.path, 'settings'] });
        return;
      }
    }
  };

  for (const source of sources) add(source.value, source.origin);

  // Duplicates are reported here, with both files, rather than by position in a merged list nobody wrote.
  const nouns = { policies: 'policy', applicationScopes: 'application scope', enforcerGroups: 'enforcer group' } as const;
  for (const list of ['policies', 'applicationScopes', 'enforcerGroups'] as const) {
    const seen = new Map<string, Origin>();
    lists[list].forEach((item, index) => {
      const name = isObject(item) && typeof item.name === 'string' ? item.name : undefined;
      if (name === undefined) return;
      const origin = origins[list][index]!;
      const first = seen.get(name);
      if (first)
        issues.push({
          origin,
          path: 'name',
          message: `${nouns[list]} "${name}" is declared more than once; first in ${describeOrigin(first)}`,
        });
      else seen.set(name, origin);
    });
  }
  return { state: { document, enforcerGroups, origins, files }, issues };
}

/** A file's text as the body of one POST /v1/import (the document `vigil import` sends), or the problems that stop it. */
export type ImportBody =
  { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly message: string; readonly issues: readonly FileIssue[] };

/**
 * What `vigil import <file>` sends for a file: the commercial product's document as it is (the API converts it),
 * anything else merged into one export document with its enforcer groups (created ones answer their token). One
 * document per file: several are what `vigil apply -f` is for.
 */
export function importBody(file: string, text: string): ImportBody {
  const parsed = parseDocuments(file, text);
  if (parsed.issues.length > 0) return { ok: false, message: `${file} cannot be read; nothing was written`, issues: parsed.issues };
  if (parsed.documents.length !== 1)
    return {
      ok: false,
      message: `${file}: import reads one document (this file has ${parsed.documents.length}); use \`vigil apply -f\` for several`,
      issues: [],
    };
  const [only] = parsed.documents;
  if (isCommercialDocument(only!.value)) return { ok: true, body: only!.value };
  const merged = mergeDocuments(parsed.documents);
  if (merged.issues.length > 0)
    return {
      ok: false,
      message: `${file} has ${merged.issues.length} problem${merged.issues.length === 1 ? '' : 's'}; nothing was written`,
      issues: merged.issues,
    };
  const { enforcerGroups } = merged.state;
  return { ok: true, body: enforcerGroups.length > 0 ? { ...merged.state.document, enforcerGroups } : merged.state.document };
}
