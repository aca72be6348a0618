import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import type { EnforcerGroup } from '../../layers/core/index.js';

// The webhook secret travels in the URL path because the EKS API server cannot send credentials to a
// webhook. Its first character records the group's fail mode at registration, so that an instance that
// has no configuration at all (cold start during a storage outage) still answers as the group asked.

/** A fresh webhook secret: the fail-mode mark and 32 random bytes. */
export function newWebhookSecret(failMode: EnforcerGroup['failMode']): string {
  return `${failMode === 'closed' ? 'c' : 'o'}${randomBytes(32).toString('base64url')}`;
}

/** The fail mode a secret was issued for. */
export function failModeOf(secret: string): EnforcerGroup['failMode'] {
  return secret.startsWith('c') ? 'closed' : 'open';
}

/** The URL the API server calls for one cluster. */
export function webhookUrl(baseUrl: string, cluster: string, secret: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/v1/admission/${encodeURIComponent(cluster)}/${secret}`;
}

/** The name of the webhook inside the configuration; Kubernetes wants a fully qualified name. */
export const WEBHOOK_NAME = 'runtime.vigil.dev';

/** A ready-to-apply admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration for one cluster. */
export function webhookManifest(options: { readonly cluster: string; readonly url: string; readonly group: EnforcerGroup; readonly caBundle?: string | undefined }): string {
  const configuration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: `vigil-${options.cluster}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-').slice(0, 253), labels: { 'app.kubernetes.io/managed-by': 'vigil' } },
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
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CONNECT'], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], scope: 'Namespaced' },
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'], scope: 'Namespaced' },
          { apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/ephemeralcontainers'], scope: 'Namespaced' },
        ],
      },
    ],
  };
  return stringify(configuration, { lineWidth: 0 });
}
