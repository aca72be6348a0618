import type { EnforcerGroup, EnforcerSettings, Policy } from '../core/index.js';
import { compileSnapshot, type CompiledSnapshot } from '../core/engine/index.js';

/** A bundle as the layer uses it: compiled once, evaluated synchronously on every intercepted call. */
export interface LoadedBundle {
  readonly revision: number;
  readonly group: EnforcerGroup;
  readonly compiled: CompiledSnapshot;
  readonly pollIntervalSeconds: number | undefined;
}

/** Bounds of a bundle the layer accepts: far above real configurations, low enough to bound init work. */
export const BUNDLE_LIMITS = {
  policies: 5000,
  applicationScopes: 1000,
  bypassScopes: 256,
  variables: 64,
  listEntries: 1000,
  text: 4096,
} as const;

type Json = Record<string, unknown>;

/** A decoding failure, with the JSON path of the bad part. */
class BundleError extends Error {
  constructor(path: string, problem: string) {
    super(`the bundle is invalid at ${path}: ${problem}`);
    this.name = 'BundleError';
  }
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BundleError(path, 'must be an object');
  return value as Json;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new BundleError(path, 'must be a string');
  if (value.length > BUNDLE_LIMITS.text) throw new BundleError(path, `must be at most ${BUNDLE_LIMITS.text} characters`);
  return value;
}

function optionalText(value: unknown, path: string, fallback: string): string {
  return value === undefined ? fallback : text(value, path);
}

function bool(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new BundleError(path, 'must be true or false');
  return value;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new BundleError(path, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

function list(value: unknown, path: string, max: number, fallback: readonly unknown[] = []): readonly unknown[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) throw new BundleError(path, 'must be an array');
  if (value.length > max) throw new BundleError(path, `must have at most ${max} entries`);
  return value;
}

function scopeVariable(value: unknown, path: string): { attribute: string; name?: string; value: string } {
  const variable = object(value, path);
  const decoded: { attribute: string; name?: string; value: string } = {
    attribute: text(variable.attribute, `${path}.attribute`),
    value: text(variable.value, `${path}.value`),
  };
  if (variable.name !== undefined) decoded.name = text(variable.name, `${path}.name`);
  return decoded;
}

function formula(value: Json, path: string): { expression: string; variables: Array<{ attribute: string; name?: string; value: string }> } {
  return {
    expression: optionalText(value.expression, `${path}.expression`, ''),
    variables: list(value.variables, `${path}.variables`, BUNDLE_LIMITS.variables).map((v, i) =>
      scopeVariable(v, `${path}.variables[${i}]`),
    ),
  };
}

/** Control options: JSON scalars and lists of them; the engine reads each option with its own default. */
function controlSettings(value: unknown, path: string): Json {
  const settings = object(value, path);
  const decoded: Json = { enabled: bool(settings.enabled, `${path}.enabled`, true) };
  for (const [key, option] of Object.entries(settings)) {
    if (key === 'enabled') continue;
    if (Array.isArray(option)) {
      list(option, `${path}.${key}`, BUNDLE_LIMITS.listEntries).forEach((entry, i) => {
        if (typeof entry === 'string') text(entry, `${path}.${key}[${i}]`);
        else if (typeof entry !== 'number') throw new BundleError(`${path}.${key}[${i}]`, 'must be a string or a number');
      });
    } else if (option !== null && typeof option === 'object') {
      throw new BundleError(`${path}.${key}`, 'must be a value or a list');
    } else if (typeof option === 'string') text(option, `${path}.${key}`);
    decoded[key] = option;
  }
  return decoded;
}

function policy(value: unknown, path: string): Policy {
  const p = object(value, path);
  const scope = p.scope === undefined ? {} : object(p.scope, `${path}.scope`);
  const controls = p.controls === undefined ? {} : object(p.controls, `${path}.controls`);
  const version = p.version;
  if (version !== undefined && (typeof version !== 'number' || !Number.isInteger(version) || version < 0))
    throw new BundleError(`${path}.version`, 'must be a whole number');
  return {
    name: text(p.name, `${path}.name`),
    type: oneOf(p.type, `${path}.type`, ['container', 'function', 'host'], 'function'),
    enabled: bool(p.enabled, `${path}.enabled`, true),
    enforcementMode: oneOf(p.enforcementMode, `${path}.enforcementMode`, ['audit', 'enforce'], 'audit'),
    scope: {
      applicationScopes: list(scope.applicationScopes, `${path}.scope.applicationScopes`, 64, ['Global']).map((name, i) =>
        text(name, `${path}.scope.applicationScopes[${i}]`),
      ),
      ...formula(scope, `${path}.scope`),
    },
    controls: Object.fromEntries(
      Object.entries(controls).map(([key, settings]) => [key, controlSettings(settings, `${path}.controls.${key}`)]),
    ),
    ...(version !== undefined ? { version } : {}),
  };
}

function group(value: unknown): EnforcerGroup {
  const g = object(value, 'group');
  return {
    name: text(g.name, 'group.name'),
    type: oneOf(g.type, 'group.type', ['kube_enforcer', 'nano_enforcer', 'agent', 'host_enforcer'], 'nano_enforcer'),
    enforce: bool(g.enforce, 'group.enforce', false),
    containerProtection: bool(g.containerProtection, 'group.containerProtection', true),
    hostProtection: bool(g.hostProtection, 'group.hostProtection', true),
    failMode: oneOf(g.failMode, 'group.failMode', ['open', 'closed'], 'open'),
    timeoutSeconds: typeof g.timeoutSeconds === 'number' ? g.timeoutSeconds : 5,
    exemptKubeSystem: bool(g.exemptKubeSystem, 'group.exemptKubeSystem', true),
  };
}

function settings(value: unknown): EnforcerSettings {
  const s = value === undefined ? {} : object(value, 'settings');
  const retention = s.auditRetentionDays;
  return {
    bypassScopes: list(s.bypassScopes, 'settings.bypassScopes', BUNDLE_LIMITS.bypassScopes).map((entry, i) =>
      scopeVariable(entry, `settings.bypassScopes[${i}]`),
    ),
    admissionWarnings: bool(s.admissionWarnings, 'settings.admissionWarnings', true),
    auditRetentionDays: typeof retention === 'number' ? retention : 90,
  };
}

/**
 * Decodes and compiles a bundle of `GET /v1/enforcers/bundle` (or one embedded at deploy time). The control
 * plane validated every part when it was saved, so this checks the shape the engine relies on, applies the
 * defaults and bounds the sizes, without a schema library (it would dominate the layer's cold start). Any
 * invalid part rejects the whole bundle: dropping one bad policy would quietly weaken enforcement, keeping
 * the previous bundle does not.
 */
export function loadBundle(input: unknown): LoadedBundle {
  const bundle = object(input, 'the bundle');
  const revision = bundle.revision;
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 0)
    throw new BundleError('revision', 'must be a whole number');
  const decodedGroup = group(bundle.group);
  const policies = list(bundle.policies, 'policies', BUNDLE_LIMITS.policies).map((p, i) => policy(p, `policies[${i}]`));
  const applicationScopes = list(bundle.applicationScopes, 'applicationScopes', BUNDLE_LIMITS.applicationScopes).map((value, i) => {
    const scope = object(value, `applicationScopes[${i}]`);
    return { name: text(scope.name, `applicationScopes[${i}].name`), ...formula(scope, `applicationScopes[${i}]`) };
  });
  const poll = bundle.pollIntervalSeconds;
  return {
    revision,
    group: decodedGroup,
    compiled: compileSnapshot({ revision, policies, applicationScopes, settings: settings(bundle.settings), groups: [decodedGroup] }),
    pollIntervalSeconds: typeof poll === 'number' && poll > 0 ? poll : undefined,
  };
}
