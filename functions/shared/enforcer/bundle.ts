import {
  attributeCatalog,
  findControl,
  foldScope,
  foldVariable,
  GLOBAL_SCOPE,
  ScopeParseError,
  type ApplicationScope,
  type ConfigSnapshot,
  type EnforcerGroup,
  type EnforcerSettings,
  type EnforcerType,
  type FixedAttributes,
  type FoldedScope,
  type ScopeVariable,
  type Policy,
  type PolicyType,
} from '../../../layers/core/index.js';

/** How often enforcers are told to poll the bundle and send heartbeats. */
export const POLL_INTERVAL_SECONDS = 60;

/** Which policy types each kind of enforcer evaluates. */
export const policyTypesByEnforcer: Readonly<Record<EnforcerType, readonly PolicyType[]>> = {
  kube_enforcer: ['container'],
  nano_enforcer: ['function'],
  host_enforcer: ['host'],
  agent: ['container', 'host'],
};

/** The group settings an enforcer needs. */
export type BundleGroup = Pick<EnforcerGroup, 'name' | 'type' | 'enforce' | 'containerProtection' | 'hostProtection' | 'failMode'>;

/** The global settings an enforcer needs. */
export type BundleSettings = Pick<EnforcerSettings, 'bypassScopes' | 'admissionWarnings' | 'auditRetentionDays'>;

/**
 * What `GET /v1/enforcers/bundle` answers: only what can apply to the group. Policies are complete documents
 * (with `enabled`, `version` and write-only fields such as the honeypot secret, which the layer plants), but
 * only those of the group's types that are enabled, have an enabled control, and whose scope is not false
 * for every workload of the group; their scopes are folded over what the group fixes (see groupFacts).
 * Application scopes are those the shipped policies name, folded the same way. The layer builds a
 * ConfigSnapshot from it (`groups: [group]`) and compiles that.
 */
export interface EnforcerBundle {
  readonly revision: number;
  readonly group: BundleGroup;
  readonly settings: BundleSettings;
  readonly policies: readonly Policy[];
  readonly applicationScopes: readonly ApplicationScope[];
  readonly pollIntervalSeconds: number;
}

/**
 * What every workload an enforcer of the group reports is known to have: `enforcer.group` is the group's
 * name, and attributes of no policy type the group evaluates are never there (a function carries no
 * Kubernetes namespace). Keyed attributes and everything else stay unknown.
 */
export function groupFacts(group: Pick<EnforcerGroup, 'name' | 'type'>): FixedAttributes {
  const types = policyTypesByEnforcer[group.type];
  const absent = attributeCatalog
    .filter((definition) => !definition.availableFor.some((type) => types.includes(type)))
    .map((definition) => definition.attribute);
  return { values: new Map([['enforcer.group', [group.name]]]), absent: new Set(absent) };
}

/** Whether the group evaluates policies of the type at all: with its protection off, none of them applies. */
function protects(group: EnforcerGroup, type: PolicyType): boolean {
  if (type === 'container') return group.containerProtection;
  if (type === 'host') return group.hostProtection;
  return true;
}

/** At least one enabled control the catalog knows for the policy's type (the engine ignores the others). */
function hasEnabledControl(policy: Policy): boolean {
  return Object.entries(policy.controls as Record<string, { enabled: boolean } | undefined>).some(
    ([key, settings]) => settings?.enabled === true && findControl(policy.type, key) !== undefined,
  );
}

/**
 * A stored formula folded over the group's facts. Stored formulas were validated when written; one that
 * no longer parses is shipped as it is, for the layer to report, rather than failing the group's bundle.
 */
function foldStored(formula: { expression: string; variables: readonly ScopeVariable[] }, facts: FixedAttributes): FoldedScope {
  try {
    return foldScope(formula.expression, formula.variables, facts);
  } catch (error) {
    if (!(error instanceof ScopeParseError)) throw error;
    return { truth: 'unknown', expression: formula.expression, variables: formula.variables };
  }
}

/** The bundle of one group at the snapshot's revision: a pure function of both, so equal inputs give equal bundles. */
export function enforcerBundle(snapshot: ConfigSnapshot, group: EnforcerGroup): EnforcerBundle {
  const facts = groupFacts(group);
  const { bypassScopes, admissionWarnings, auditRetentionDays } = snapshot.settings;
  // A bypass entry true for the whole group (e.g. on enforcer.group) skips every request before any policy.
  const bypassed = bypassScopes.some((entry) => foldVariable(entry, facts) === true);

  // Each application scope folded once; a name missing from the configuration matches nothing.
  const folded = new Map<string, { scope: ApplicationScope | undefined; truth: boolean | 'unknown' }>([
    [GLOBAL_SCOPE, { scope: undefined, truth: true }],
  ]);
  for (const scope of snapshot.applicationScopes) {
    if (scope.name === GLOBAL_SCOPE) continue;
    const result = foldStored(scope, facts);
    folded.set(scope.name, {
      scope: result.truth === 'unknown' ? { ...scope, expression: result.expression, variables: [...result.variables] } : scope,
      truth: result.truth,
    });
  }

  const types = new Set<PolicyType>(policyTypesByEnforcer[group.type]);
  const policies: Policy[] = [];
  const named = new Set<string>();
  for (const policy of bypassed ? [] : snapshot.policies) {
    if (!types.has(policy.type) || !protects(group, policy.type) || !policy.enabled || !hasEnabledControl(policy)) continue;
    const own = foldStored(policy.scope, facts);
    if (own.truth === false) continue;
    const open = policy.scope.applicationScopes.filter((name) => (folded.get(name)?.truth ?? false) !== false);
    if (open.length === 0) continue;
    // Any scope true for the whole group makes the union true: Global says so without shipping the others.
    const applicationScopes = open.some((name) => folded.get(name)!.truth === true) ? [GLOBAL_SCOPE] : open;
    for (const name of applicationScopes) named.add(name);
    const residual = own.truth === true ? { expression: '', variables: [] } : { expression: own.expression, variables: [...own.variables] };
    policies.push({ ...policy, scope: { applicationScopes, ...residual } });
  }

  return {
    revision: snapshot.revision,
    group: {
      name: group.name,
      type: group.type,
      enforce: group.enforce,
      containerProtection: group.containerProtection,
      hostProtection: group.hostProtection,
      failMode: group.failMode,
    },
    settings: { bypassScopes, admissionWarnings, auditRetentionDays },
    policies,
    // In the configuration's order, as before folding, so that equal inputs give byte-equal bundles.
    applicationScopes: snapshot.applicationScopes.flatMap((scope) =>
      named.has(scope.name) ? [folded.get(scope.name)?.scope ?? scope] : [],
    ),
    pollIntervalSeconds: POLL_INTERVAL_SECONDS,
  };
}
