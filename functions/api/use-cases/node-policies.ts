import YAML from 'yaml';
import type { NodePolicyCompilation } from '../../../layers/core/index.js';
import { compileClusterNodePolicies } from '../../shared/node-policies.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import { listAll } from '../../shared/storage/read-all.js';
import { currentSettings } from './settings.js';

/** The agent group a preview compiles for when the request names none: the group every installation starts with. */
export const DEFAULT_NODE_GROUP = 'default';

/** What `GET /v1/clusters/{name}/node-policies` answers as JSON. */
export interface NodePolicyPreview extends NodePolicyCompilation {
  readonly cluster: string;
  readonly group: string;
  /** The configuration revision the objects were compiled from. */
  readonly revision: number;
}

/**
 * Compiles the stored container and host policies for a registered cluster and an agent enforcer group, as
 * they would be applied on its nodes: nothing is applied here.
 */
export async function previewNodePolicies(
  runtime: Runtime,
  clusterName: string,
  groupName: string | undefined,
): Promise<NodePolicyPreview> {
  const store = runtime.configStore;
  const revision = await store.revision();
  const [cluster, group, policies, applicationScopes, settings] = await Promise.all([
    store.get('cluster', clusterName),
    store.get('enforcerGroup', groupName ?? DEFAULT_NODE_GROUP),
    listAll(store, 'policy'),
    listAll(store, 'applicationScope'),
    currentSettings(runtime),
  ]);
  if (!cluster) throw new NotFoundError(`cluster "${clusterName}" is not registered`);
  const name = groupName ?? DEFAULT_NODE_GROUP;
  if (!group) throw new ValidationError('unknown enforcer group', [{ path: 'group', message: `enforcer group "${name}" does not exist` }]);
  if (group.type !== 'agent')
    throw new ValidationError('wrong enforcer group type', [
      { path: 'group', message: `enforcer group "${name}" is of type ${group.type}; node policies are compiled for an agent group` },
    ]);
  const compiled = compileClusterNodePolicies({ policies, applicationScopes, bypassScopes: settings.bypassScopes }, cluster.name, group);
  return { cluster: cluster.name, group: group.name, revision, ...compiled };
}

/**
 * The objects as multi-document YAML for `kubectl apply` or a GitOps repository. The fidelity of each control
 * is written as comments first, so that a reviewer of the file sees what is approximate or not enforced.
 */
export function nodePoliciesYaml(preview: NodePolicyPreview): string {
  const header = [
    `# Tetragon policies compiled by Vigil for cluster "${preview.cluster}", enforcer group "${preview.group}", configuration revision ${preview.revision}.`,
    '# Objects are labelled app.kubernetes.io/managed-by=vigil; the full report is the JSON answer of the same request.',
  ];
  for (const policy of preview.report.policies) {
    const state = policy.applies
      ? `${policy.action}${policy.scopeWidened ? ', scope widened' : ''}`
      : `not applied: ${policy.reason ?? ''}`;
    header.push(`# policy "${policy.policy}" (${policy.type}, v${policy.version}): ${state}`);
    for (const control of policy.controls)
      header.push(`#   ${control.control}: ${control.fidelity}${control.reasons.length ? ` (${control.reasons.join('; ')})` : ''}`);
  }
  const documents = preview.objects.map((object) => YAML.stringify(object, { lineWidth: 0 }));
  // Comments cannot carry a line break: policy names and reasons are single-line, but be sure.
  const comments = header.map((line) => line.replace(/[\r\n]+/g, ' ')).join('\n');
  return documents.length === 0 ? `${comments}\n` : `${comments}\n---\n${documents.join('---\n')}`;
}
