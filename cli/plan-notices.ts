// What a plan should tell people before it is applied: the save-time warnings the API would answer for each
// policy of the files (an unchanged one included, as a PUT that changes nothing answers them), and the risky
// changes that `vigil apply` asks to confirm (on a terminal) or needs `--yes` for.
import {
  findControl,
  policySchema,
  policyWarnings,
  type EnforcerGroup,
  type EnforcerSettings,
  type EnforcerType,
  type Policy,
} from '../layers/core/index.js';
import { describeItem } from './diff-render.js';
import { selectorText } from './kinds.js';
import type { Change, Plan } from './plan.js';

export interface PlanNotice {
  /** `policy "exec-guard"`, `enforcer settings`. */
  readonly item: string;
  readonly message: string;
  /** Risky changes need confirmation: bypass removal, a policy or a group that starts blocking, deletions. */
  readonly risky: boolean;
}

function asPolicy(value: unknown): Policy | undefined {
  const parsed = policySchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The enforcing groups whose enforcers apply at least one enabled control of the policy. */
function enforcingGroupsFor(policy: Policy, groups: readonly EnforcerGroup[]): EnforcerGroup[] {
  const enforcers = new Set<EnforcerType>();
  for (const [key, settings] of Object.entries(policy.controls as Record<string, { enabled?: boolean } | undefined>)) {
    if (!settings || settings.enabled === false) continue;
    for (const type of findControl(policy.type, key)?.enforcedBy ?? []) enforcers.add(type);
  }
  return groups.filter((group) => group.enforce && enforcers.has(group.type));
}

function startsEnforcing(change: Change, after: Policy): boolean {
  if (after.enforcementMode !== 'enforce' || !after.enabled) return false;
  if (change.action === 'create') return true;
  const before = asPolicy(change.before);
  return !before || before.enforcementMode !== 'enforce' || !before.enabled;
}

function removedBypass(change: Change): string[] {
  const before = (change.before as EnforcerSettings | undefined)?.bypassScopes ?? [];
  const after = new Set(((change.after as EnforcerSettings | undefined)?.bypassScopes ?? []).map(selectorText));
  return before.map(selectorText).filter((entry) => !after.has(entry));
}

/** The enforcer groups as they will be once the plan is applied: the server's, with the files' groups applied. */
function groupsAfter(plan: Plan, groups: readonly EnforcerGroup[]): EnforcerGroup[] {
  const planned = new Map(plan.changes.filter((change) => change.kind === 'enforcerGroup').map((change) => [change.name, change]));
  const kept = groups
    .filter((group) => planned.get(group.name)?.action !== 'delete')
    .map((group) => {
      const change = planned.get(group.name);
      return change?.after === undefined ? group : (change.after as EnforcerGroup);
    });
  const created = [...planned.values()].filter((change) => change.action === 'create').map((change) => change.after as EnforcerGroup);
  return [...kept, ...created];
}

function startsEnforcingGroup(change: Change): boolean {
  const after = change.after as EnforcerGroup | undefined;
  const before = change.before as EnforcerGroup | undefined;
  return after?.enforce === true && before?.enforce !== true;
}

/** The notices of a plan, in its order; `serverGroups` are the server's enforcer groups. */
export function planNotices(plan: Plan, serverGroups: readonly EnforcerGroup[]): PlanNotice[] {
  // Warnings and risks are judged against the groups as the plan leaves them: a group the files turn to
  // enforce makes the enforcing policies of the same plan block.
  const groups = groupsAfter(plan, serverGroups);
  const registered = new Set(groups.map((group) => group.type));
  const notices: PlanNotice[] = [];
  for (const change of plan.changes) {
    const item = describeItem(change);
    if (change.action === 'delete') {
      notices.push({ item, message: 'deleted: the files no longer declare it (--prune)', risky: true });
      continue;
    }
    if (change.action === 'unchanged') {
      // A policy's advice is about the policy, not the write: as true on this apply as when it was saved.
      const unchanged = change.kind === 'policy' ? asPolicy(change.after) : undefined;
      for (const warning of unchanged ? policyWarnings(unchanged, registered) : []) notices.push({ item, message: warning, risky: false });
      continue;
    }
    if (change.kind === 'enforcerGroup') {
      if (startsEnforcingGroup(change))
        notices.push({
          item,
          message: `turns enforcement on: Block verdicts of its enforcers stop being downgraded to Detect, so violations of policies in enforce mode will be blocked`,
          risky: true,
        });
      continue;
    }
    if (change.kind === 'policy') {
      const after = asPolicy(change.after);
      if (!after) continue;
      for (const warning of policyWarnings(after, registered)) notices.push({ item, message: warning, risky: false });
      const enforcing = startsEnforcing(change, after) ? enforcingGroupsFor(after, groups) : [];
      if (enforcing.length > 0)
        notices.push({
          item,
          message: `goes to enforce mode while enforcer group${enforcing.length === 1 ? '' : 's'} ${enforcing.map((g) => `"${g.name}"`).join(', ')} enforce${enforcing.length === 1 ? 's' : ''}: its violations will be blocked`,
          risky: true,
        });
    }
    if (change.kind === 'settings') {
      const removed = removedBypass(change);
      if (removed.length > 0)
        notices.push({
          item,
          message: `removes global bypass entr${removed.length === 1 ? 'y' : 'ies'} ${removed.join(', ')}: those workloads become subject to your policies (system components need exec for cluster operations)`,
          risky: true,
        });
    }
  }
  return notices;
}
