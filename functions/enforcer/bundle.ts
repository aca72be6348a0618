import type {
  ApplicationScope,
  ConfigSnapshot,
  EnforcerGroup,
  EnforcerSettings,
  EnforcerType,
  Policy,
  PolicyType,
} from '../../layers/core/index.js';

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
 * What `GET /v1/enforcers/bundle` answers. Policies are complete documents (with `enabled`, `version` and
 * write-only fields such as the honeypot secret, which the layer plants); application scopes are those the
 * policies name. The layer builds a ConfigSnapshot from it (`groups: [group]`) and compiles that.
 */
export interface EnforcerBundle {
  readonly revision: number;
  readonly group: BundleGroup;
  readonly settings: BundleSettings;
  readonly policies: readonly Policy[];
  readonly applicationScopes: readonly ApplicationScope[];
  readonly pollIntervalSeconds: number;
}

/** The bundle of one group at the snapshot's revision. */
export function enforcerBundle(snapshot: ConfigSnapshot, group: EnforcerGroup): EnforcerBundle {
  const types = new Set<PolicyType>(policyTypesByEnforcer[group.type]);
  const policies = snapshot.policies.filter((policy) => types.has(policy.type));
  const named = new Set(policies.flatMap((policy) => policy.scope.applicationScopes));
  const { bypassScopes, admissionWarnings, auditRetentionDays } = snapshot.settings;
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
    applicationScopes: snapshot.applicationScopes.filter((scope) => named.has(scope.name)),
    pollIntervalSeconds: POLL_INTERVAL_SECONDS,
  };
}
