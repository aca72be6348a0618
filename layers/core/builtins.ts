// What every installation has without storing it, as plain data: the webhook's cold start and the
// engine read these, and neither loads the schemas that validate documents. The schemas depend on
// these defaults, never the other way round, so the types here are spelled out rather than taken
// from the schemas (tsc checks them against EnforcerSettings wherever the defaults are used).

/** The name of the built-in application scope that matches everything. */
export const GLOBAL_SCOPE = 'Global';

/** The two bypass entries every installation starts with: system pods are not inspected. */
export const defaultBypassScopes = [
  { attribute: 'container.label', name: 'io.kubernetes.pod.namespace', value: 'kube-system' },
  { attribute: 'kubernetes.namespace', value: 'kube-system' },
] as const;

/** A bypass entry as plain data: the shape `scopeVariableSchema` produces. */
export interface BypassSelector {
  attribute: string;
  name?: string;
  value: string;
}

/** The enforcer settings before anyone changed them: what `enforcerSettingsSchema` makes of `{}`. */
export function defaultEnforcerSettings(): { bypassScopes: BypassSelector[]; admissionWarnings: boolean; auditRetentionDays: number } {
  return { bypassScopes: defaultBypassScopes.map((entry) => ({ ...entry })), admissionWarnings: true, auditRetentionDays: 90 };
}
