import {
  compileNodePolicies,
  type BypassSelector,
  type EnforcerGroup,
  type NodeApplicationScope,
  type NodePolicyCompilation,
  type Policy,
} from '../../layers/core/index.js';

/** The configuration the node policies of a cluster are compiled from. */
export interface NodePolicySources {
  readonly policies: readonly Policy[];
  readonly applicationScopes: readonly NodeApplicationScope[];
  readonly bypassScopes: readonly BypassSelector[];
}

/**
 * The Tetragon objects and report of a cluster and an agent group. The admin preview and the enforcer route
 * that the in-cluster bridge polls both call this, so what is previewed is what is applied.
 */
export function compileClusterNodePolicies(
  sources: NodePolicySources,
  cluster: string,
  group: Pick<EnforcerGroup, 'name' | 'enforce' | 'containerProtection' | 'hostProtection'>,
): NodePolicyCompilation {
  return compileNodePolicies(
    { policies: sources.policies, applicationScopes: sources.applicationScopes, bypassScopes: sources.bypassScopes },
    {
      cluster,
      group: {
        name: group.name,
        enforce: group.enforce,
        containerProtection: group.containerProtection,
        hostProtection: group.hostProtection,
      },
    },
  );
}
