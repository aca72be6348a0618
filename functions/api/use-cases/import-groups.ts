import type { PlannedEnforcerGroup } from '../../../layers/core/index.js';
import { ValidationError } from '../../shared/errors.js';
import { hashSecret } from '../../shared/http/auth.js';
import type { Runtime } from '../../shared/runtime.js';
import type { ConfigChange } from '../../shared/storage/ports.js';
import { newGroupToken } from '../resources/groups.js';

// The enforcer groups of an import (Vigil's document or the commercial product's), planned by planEnforcerGroups:
// their writes join the import's one all-or-nothing change. A created group gets a new token (never one from the
// document), kept for the answer and shown this once; an updated group keeps its stored token hash. Nothing here
// deletes a group: an import never removes what the document leaves out.

/** The writes of the planned groups, and the tokens of the created ones (none in a dry run). */
export async function importedGroupChanges(
  runtime: Runtime,
  planned: readonly PlannedEnforcerGroup[],
  dryRun: boolean,
): Promise<{ changes: ConfigChange[]; tokens: Map<string, string> }> {
  const changes: ConfigChange[] = [];
  const tokens = new Map<string, string>();
  for (const group of planned) {
    if (group.result === 'unchanged') continue;
    if (group.result === 'created') {
      const token = dryRun ? '' : newGroupToken();
      if (!dryRun) tokens.set(group.name, token);
      changes.push({ op: 'create', kind: 'enforcerGroup', name: group.name, doc: { ...group.value, tokenHash: hashSecret(token) } });
      continue;
    }
    const stored = await runtime.configStore.get('enforcerGroup', group.name);
    if (!stored)
      throw new ValidationError('the document is invalid; nothing was written', [
        { path: group.name, message: `enforcer group "${group.name}" was deleted while importing` },
      ]);
    changes.push({
      op: 'replace',
      kind: 'enforcerGroup',
      name: group.name,
      doc: { ...group.value, tokenHash: stored.tokenHash },
      expectedVersion: group.previousVersion,
    });
  }
  return { changes, tokens };
}

/** The answer's items of the planned groups; a created group's token appears here only. */
export function importedGroupItems(planned: readonly PlannedEnforcerGroup[], tokens: ReadonlyMap<string, string>) {
  return planned.map((group) => ({
    kind: 'enforcerGroup' as const,
    name: group.name,
    result: group.result,
    ...(tokens.has(group.name) ? { token: tokens.get(group.name)! } : {}),
  }));
}
