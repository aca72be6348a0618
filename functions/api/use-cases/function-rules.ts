import { POLL_INTERVAL_SECONDS } from '../../shared/enforcer/bundle.js';
import { FunctionRuleCache, functionFactsOf } from '../../shared/enforcer/function-rules.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';

/**
 * The rule table `GET /v1/enforcers/rules` serves a function of a nano_enforcer group, for an administrator:
 * what a Python function embeds at deploy time (VIGIL_RULES) to be enforced before its first fetch. Compiled
 * by the same code from the same configuration, so the embedded table and the served one are the same.
 */
export async function functionRulesOfGroup(runtime: Runtime, groupName: string, query: Readonly<Record<string, string | undefined>>) {
  const snapshot = await runtime.configStore.loadSnapshot();
  const group = snapshot.groups.find((candidate) => candidate.name === groupName);
  if (!group) throw new NotFoundError(`enforcer group "${groupName}" does not exist`);
  if (group.type !== 'nano_enforcer')
    throw new ValidationError('wrong enforcer group type', [
      {
        path: 'name',
        message: `enforcer group "${groupName}" is of type ${group.type}; rule tables are compiled for a nano_enforcer group`,
      },
    ]);
  const facts = functionFactsOf(query);
  return { ...new FunctionRuleCache().table(snapshot, group, facts), pollIntervalSeconds: POLL_INTERVAL_SECONDS };
}
