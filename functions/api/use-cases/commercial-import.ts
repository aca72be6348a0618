import {
  checkImportPart,
  convertCommercialDocument,
  isCommercialDocument,
  meaningChanges,
  planEnforcerGroups,
  sourceLocation,
  unsupportedFields,
  type CommercialDocumentConversion,
  type CommercialKind,
  type ConfigSnapshot,
  type EnforcerType,
  type ImportMode,
  type ImportPlan,
  type PlannedEnforcerGroup,
} from '../../../layers/core/index.js';
import { ValidationError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import type { ConfigChange } from '../../shared/storage/ports.js';
import { importedGroupChanges, importedGroupItems } from './import-groups.js';

// The route's side of importing the commercial product's JSON: the pure converter (layers/core/commercial) gives
// a Vigil document plus enforcer groups; here the groups are planned against the stored ones, every problem is
// reported at its path in the document the user sent, and created groups get a token shown once. The writes
// themselves stay with the import use case, so they are one all-or-nothing change with the policies and scopes.

/** What the answer of a commercial import adds. */
export interface CommercialAnswer {
  /** Per item, the source fields that held a setting and were not carried over. */
  readonly unsupported?: Array<{ kind: CommercialKind; name: string; fields: string[] }>;
  /** Per translated field whose meaning differs, what changed, in words for the user. */
  readonly meaningChanges?: Array<{ kind: CommercialKind; name: string; field: string; message: string }>;
}

const nouns: Readonly<Record<string, string>> = {
  policy: 'runtime policy',
  applicationScope: 'application scope',
  enforcerGroup: 'enforcer group',
};

const lists = { policies: 'policy', applicationScopes: 'applicationScope' } as const;

function withoutServerFields<T extends object>(item: T): Partial<T> {
  const { version: _v, createdAt: _c, updatedAt: _u, updatedBy: _b, ...rest } = item as T & Record<string, unknown>;
  return rest as Partial<T>;
}

/** The commercial import of `document`, or undefined when it is Vigil's own document. */
export function commercialImport(runtime: Runtime, document: unknown, snapshot: ConfigSnapshot, mode: ImportMode) {
  if (!isCommercialDocument(document)) return undefined;
  const scopes = new Map(snapshot.applicationScopes.map((scope) => [scope.name, scope]));
  const conversion: CommercialDocumentConversion = convertCommercialDocument(document, {
    now: runtime.clock(),
    storedScope: (name) => {
      const scope = scopes.get(name);
      return scope ? { expression: scope.expression, variables: scope.variables.map((variable) => ({ ...variable })) } : undefined;
    },
  });
  const groupPlan = planEnforcerGroups(snapshot.groups, conversion.enforcerGroups, mode);
  const plannedGroups: PlannedEnforcerGroup[] = groupPlan.ok ? groupPlan.items : [];
  // A pasted global bypass list replaces the bypass list only; the other settings stay as stored.
  const importDocument = conversion.bypassScopes
    ? { ...conversion.document, settings: { ...withoutServerFields(snapshot.settings), bypassScopes: conversion.bypassScopes } }
    : conversion.document;

  // An item whose fields could not even be read would only repeat its problem in Vigil's words.
  const unreadable = new Set(
    conversion.items.filter((item) => item.conversion.issues.length > 0).map((item) => `${item.kind}:${item.index}`),
  );
  const locate = (kind: CommercialKind, index: number, vigilPath: string, message: string) => {
    if (unreadable.has(`${kind}:${index}`)) return undefined;
    const location = sourceLocation(conversion, kind, index, vigilPath);
    if (!location) return { path: vigilPath, message };
    const field = location.field === undefined ? '' : ` (Vigil's "${location.field}")`;
    return { path: location.path === '' ? '(root)' : location.path, message: `${nouns[kind]} "${location.name}": ${message}${field}` };
  };
  /** Problems at paths of the converted document (`policies.3.scope…`), at their paths in the source document. */
  const located = (errors: ReadonlyArray<{ path: string; message: string }>) => {
    const problems: Array<{ path: string; message: string }> = [];
    for (const error of errors) {
      const [list, index, ...rest] = error.path.split('.');
      const kind = list === 'policies' || list === 'applicationScopes' ? lists[list] : undefined;
      if (kind && index !== undefined && /^\d+$/.test(index)) {
        const problem = locate(kind, Number(index), rest.join('.'), error.message);
        if (problem) problems.push(problem);
      } else if (list === 'settings' && conversion.bypassScopes) {
        // settings.bypassScopes.3 is entry 3 of the pasted list.
        problems.push({ path: rest.slice(1).join('.') || '(root)', message: `global bypass entry: ${error.message}` });
      } else problems.push({ path: error.path, message: error.message });
    }
    return problems;
  };

  return {
    document: importDocument,

    /** Refuses the import with every problem (conversion, validation, groups) at its path in the source document. */
    refuseProblems(plan: ImportPlan): void {
      const problems = conversion.issues.map((issue) => ({ path: issue.path, message: issue.message }));
      if (!plan.ok) problems.push(...located(plan.errors));
      if (!groupPlan.ok)
        for (const error of groupPlan.errors) {
          const problem = locate('enforcerGroup', error.index, error.path, error.message);
          if (problem) problems.push(problem);
        }
      if (problems.length > 0) {
        throw new ValidationError(
          `the document has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was written`,
          problems,
        );
      }
    },

    /** The problems the document has on its own (conversion, shape, types), as one part of a multi-part import. */
    problemsAlone(): Array<{ path: string; message: string }> {
      return [
        ...conversion.issues.map((issue) => ({ path: issue.path, message: issue.message })),
        ...located(checkImportPart(importDocument)),
      ];
    },

    /**
     * Problems found after the plan (a switch to enforce whose due time passed while the import ran), at their
     * paths in the source document, as the plan's own problems are.
     */
    locateProblems(problems: ReadonlyArray<{ path: string; message: string }>): Array<{ path: string; message: string }> {
      return located(problems);
    },

    /** The writes of the enforcer groups; created groups get a new token (never the product's), kept for the answer. */
    groupChanges(dryRun: boolean): Promise<{ changes: ConfigChange[]; tokens: Map<string, string> }> {
      return importedGroupChanges(runtime, plannedGroups, dryRun);
    },

    /** The enforcer types the imported groups register, for the save-time advice of the imported policies. */
    groupTypes(): EnforcerType[] {
      return plannedGroups.map((group) => group.value.type);
    },

    groupItems(tokens: ReadonlyMap<string, string>) {
      return importedGroupItems(plannedGroups, tokens);
    },

    answer(): CommercialAnswer {
      const unsupported = unsupportedFields(conversion);
      const changes = meaningChanges(conversion);
      return { ...(unsupported.length > 0 ? { unsupported } : {}), ...(changes.length > 0 ? { meaningChanges: changes } : {}) };
    },
  };
}
