import type { EnforcerSettings } from './schemas/settings.js';

// What every installation has without storing it, as plain data: the webhook's cold start and the
// engine read these, and neither loads the schemas that validate documents.

/** The name of the built-in application scope that matches everything. */
export const GLOBAL_SCOPE = 'Global';

/** The two bypass entries every installation starts with: system pods are not inspected. */
export const defaultBypassScopes = [
  { attribute: 'container.label', name: 'io.kubernetes.pod.namespace', value: 'kube-system' },
  { attribute: 'kubernetes.namespace', value: 'kube-system' },
] as const;

/** The enforcer settings before anyone changed them: what `enforcerSettingsSchema` makes of `{}`. */
export function defaultEnforcerSettings(): EnforcerSettings {
  return { bypassScopes: defaultBypassScopes.map((entry) => ({ ...entry })), admissionWarnings: true, auditRetentionDays: 90 };
}
