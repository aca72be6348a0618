import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { EnforcerGroup } from '../../layers/core/index.js';

// Kept apart from webhook.ts so that the webhook Lambda, which only reads secrets, does not load a YAML
// library it never uses.

/** The name of the webhook inside the configuration; Kubernetes wants a fully qualified name. */
export const WEBHOOK_NAME = 'runtime.vigil.dev';

/** The namespace a fail-closed webhook leaves out: its pods (CoreDNS, aws-node, kube-proxy) must start while Vigil is unreachable. */
export const KUBE_SYSTEM_EXEMPTION = {
  matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
} as const;

/** Runs of lower-case letters and digits: what a DNS-1123 label may hold between its "-". */
const LABEL_WORDS = /[a-z0-9]+/g;
/** Kubernetes' limit for a DNS-1123 label. */
const MAX_LABEL = 63;

/**
 * The configuration's `metadata.name`: one DNS-1123 label (valid as the subdomain Kubernetes asks for) made from
 * any cluster name Vigil accepts. Lower case, and every other character between letters and digits becomes one
 * "-" (`prod-` → `vigil-prod`, `a..b` → `vigil-a-b`, `Team_A` → `vigil-team-a`). A name too long for a label
 * keeps its start and ends in a hash of the whole name, so that long names stay apart.
 */
export function webhookConfigurationName(cluster: string): string {
  const name = ['vigil', ...(cluster.toLowerCase().match(LABEL_WORDS) ?? [])].join('-');
  if (name.length <= MAX_LABEL) return name;
  const hash = createHash('sha256').update(cluster).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_LABEL - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** What a manifest was issued with: a change of any of these needs the cluster's manifest re-issued. */
export interface ManifestSettings {
  readonly failMode: EnforcerGroup['failMode'];
  readonly timeoutSeconds: number;
  readonly exemptKubeSystem: boolean;
}

/** The manifest-relevant settings of a group (groups stored before `exemptKubeSystem` existed exempt it). */
export function manifestSettings(
  group: Pick<EnforcerGroup, 'failMode' | 'timeoutSeconds'> & { exemptKubeSystem?: boolean },
): ManifestSettings {
  return { failMode: group.failMode, timeoutSeconds: group.timeoutSeconds, exemptKubeSystem: group.exemptKubeSystem !== false };
}

/** A ready-to-apply admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration for one cluster. */
export function webhookManifest(options: {
  readonly cluster: string;
  readonly url: string;
  readonly group: Pick<EnforcerGroup, 'failMode' | 'timeoutSeconds'> & { readonly exemptKubeSystem?: boolean };
  readonly caBundle?: string | undefined;
}): string {
  const settings = manifestSettings(options.group);
  const configuration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: webhookConfigurationName(options.cluster),
      labels: { 'app.kubernetes.io/managed-by': 'vigil' },
    },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        // Vigil only records audit events; dry runs are answered without recording anything.
        sideEffects: 'NoneOnDryRun',
        timeoutSeconds: settings.timeoutSeconds,
        failurePolicy: settings.failMode === 'open' ? 'Ignore' : 'Fail',
        matchPolicy: 'Equivalent',
        // A fail-open webhook sees kube-system, where the global bypass decides (and can be removed). A fail-closed
        // one would refuse the system pods a node needs whenever Vigil is unreachable, so it leaves kube-system out
        // unless the group opts out of that (exemptKubeSystem: false).
        ...(settings.failMode === 'closed' && settings.exemptKubeSystem ? { namespaceSelector: KUBE_SYSTEM_EXEMPTION } : {}),
        clientConfig: { url: options.url, ...(options.caBundle ? { caBundle: options.caBundle } : {}) },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CONNECT'],
            resources: ['pods/exec', 'pods/attach', 'pods/portforward'],
            scope: 'Namespaced',
          },
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'], scope: 'Namespaced' },
          { apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/ephemeralcontainers'], scope: 'Namespaced' },
        ],
      },
    ],
  };
  return stringify(configuration, { lineWidth: 0 });
}
