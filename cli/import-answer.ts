// What `vigil import` and `vigil apply` print from the import answer besides the per-item results: the save-time
// warnings per policy (the same advice `vigil policies create` shows), and for the commercial product's JSON what
// the conversion could not carry over, what changed meaning and the new enforcer-group tokens (shown only once).
import type { Context } from './context.js';

export interface ImportAnswer {
  dryRun?: boolean;
  items?: Array<{ kind: string; name: string; result: string; warnings?: string[]; token?: string }>;
  unsupported?: Array<{ kind: string; name: string; fields: string[] }>;
  meaningChanges?: Array<{ kind: string; name: string; field: string; message: string }>;
}

const nouns: Readonly<Record<string, string>> = {
  policy: 'policy',
  applicationScope: 'application scope',
  enforcerGroup: 'enforcer group',
};

function label(kind: string, name: string): string {
  return `${nouns[kind] ?? kind} ${name}`;
}

/** Prints warnings to stderr (as `ctx.warn` does elsewhere) and the one-time tokens to stdout. */
export function printImportNotes(ctx: Context, answer: ImportAnswer): void {
  for (const item of answer.items ?? []) {
    for (const warning of item.warnings ?? []) ctx.warn(`${label(item.kind, item.name)}: ${warning}`);
  }
  for (const change of answer.meaningChanges ?? []) ctx.warn(`${label(change.kind, change.name)}: ${change.field}: ${change.message}`);
  const unsupported = answer.unsupported ?? [];
  if (unsupported.length > 0) {
    ctx.print('\nNot carried over (no equivalent in Vigil; review these by hand):');
    for (const entry of unsupported) ctx.print(`  ${label(entry.kind, entry.name)}: ${entry.fields.join(', ')}`);
  }
  const tokens = (answer.items ?? []).filter((item) => item.token !== undefined);
  if (tokens.length > 0) {
    ctx.print('\nNew enforcer-group tokens (shown only this once; tokens are never imported from a file):');
    for (const item of tokens) ctx.print(`  ${item.name}: ${item.token}`);
  }
}
