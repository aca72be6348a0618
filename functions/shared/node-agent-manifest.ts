import { stringify } from 'yaml';
import type { KubernetesObject, NodeAgentInstall } from '../../layers/core/index.js';

// Kept apart from webhook-manifest.ts for the same reason: the webhook Lambda never loads the YAML library.

/** The node agents' objects as one multi-document YAML stream for `kubectl apply -f`. */
export function nodeAgentManifestYaml(install: NodeAgentInstall, cluster: string): string {
  const header = [
    `# Vigil node agents for cluster "${cluster.replace(/[\r\n]+/g, ' ')}": the bridge applies the compiled Tetragon policies,`,
    '# the forwarder brings Tetragon events back into the audit log. The Secret holds the node-agent token: keep this file out of git.',
  ].join('\n');
  return `${header}\n---\n${install.objects.map((object) => stringify(object, { lineWidth: 0 })).join('---\n')}`;
}

/** The token Secret alone, as a rotation answers it: applied over the installed one, it changes nothing else. */
export function nodeAgentTokenSecretYaml(secret: KubernetesObject, cluster: string): string {
  const header = [
    `# New node-agent token of cluster "${cluster.replace(/[\r\n]+/g, ' ')}": the previous token no longer works. Apply this Secret,`,
    '# then restart the bridge and the forwarder so that they read it (docs/node-enforcement.md). Keep this file out of git.',
  ].join('\n');
  return `${header}\n---\n${stringify(secret, { lineWidth: 0 })}`;
}

/** The recommended Tetragon Helm values as a values file for `helm install -f`. */
export function tetragonValuesYaml(install: NodeAgentInstall): string {
  return [
    '# Tetragon v1.7 Helm values recommended by Vigil: the JSON export keeps policy events of every namespace and of',
    '# host processes (the chart default drops namespace ""), readable by the forwarder through its group (640).',
    stringify(install.tetragonValues, { lineWidth: 0 }),
  ].join('\n');
}
