import { randomBytes } from 'node:crypto';
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
