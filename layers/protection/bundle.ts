import {
  applicationScopeSchema,
  compileSnapshot,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  policySchema,
  type CompiledSnapshot,
  type EnforcerGroup,
} from '../core/index.js';

/** A bundle as the layer uses it: compiled once, evaluated synchronously on every intercepted call. */
export interface LoadedBundle {
  readonly revision: number;
  readonly group: EnforcerGroup;
  readonly compiled: CompiledSnapshot;
  readonly pollIntervalSeconds: number | undefined;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} must be an object`);
  return value as Record<string, unknown>;
}

/**
 * Validates and compiles a bundle of `GET /v1/enforcers/bundle`. Any invalid part rejects the whole bundle:
 * dropping one bad policy would quietly weaken enforcement, keeping the previous bundle does not.
 */
export function loadBundle(input: unknown): LoadedBundle {
  const bundle = record(input, 'the bundle');
  const revision = bundle.revision;
  if (typeof revision !== 'number') throw new Error('the bundle has no numeric "revision"');
  const group = enforcerGroupSchema.parse(bundle.group);
  const settings = enforcerSettingsSchema.parse(bundle.settings ?? {});
  const policies = (Array.isArray(bundle.policies) ? bundle.policies : []).map((p) => policySchema.parse(p));
  const applicationScopes = (Array.isArray(bundle.applicationScopes) ? bundle.applicationScopes : []).map((s) => applicationScopeSchema.parse(s));
  const poll = bundle.pollIntervalSeconds;
  return {
    revision,
    group,
    compiled: compileSnapshot({ revision, policies, applicationScopes, settings, groups: [group] }),
    pollIntervalSeconds: typeof poll === 'number' && poll > 0 ? poll : undefined,
  };
}
