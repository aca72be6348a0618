import { stringify } from 'yaml';
import type { EnforcerGroup } from '../../layers/core/index.js';

// Kept apart from webhook.ts so that the webhook Lambda, which only reads secrets, does not load a YAML
// library it never uses.

/** The name of the webhook inside the configuration; Kubernetes wants a fully qualified name. */
export const WEBHOOK_NAME = 'runtime.vigil.dev';

/** A ready-to-apply admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration for one cluster. */
export function webhookManifest(options: {
  readonly cluster: string;
  readonly url: string;
  readonly group: EnforcerGroup;
  readonly caBundle?: string | undefined;
}): string {
  const configuration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: `vigil-${options.cluster}`
        .toLowerCase()
        .replace(/[^a-z0-9.-]/g, '-')
        .slice(0, 253),
      labels: { 'app.kubernetes.io/managed-by': 'vigil' },
    },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        // Vigil only records audit events; dry runs are answered without recording anything.
        sideEffects: 'NoneOnDryRun',
        timeoutSeconds: options.group.timeoutSeconds,
        failurePolicy: options.group.failMode === 'open' ? 'Ignore' : 'Fail',
        matchPolicy: 'Equivalent',
        // No namespaceSelector: the global bypass decides about kube-system, so that it can be removed.
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
