/**
 * The straightforward compiler as it was before it was made fast: every policy compiled on its own, names and
 * hashes computed where used, objects sorted at the end. Kept here only as the reference the fast compiler
 * in layers/core/node-policies/compile.ts must equal (compile-equivalence.test.ts); it reads the same
 * lowering of controls and scopes and returns the same types.
 */
import { GLOBAL_SCOPE } from '../../../layers/core/builtins.js';
import { findControl, type PolicyType } from '../../../layers/core/catalog.js';
import type { Policy } from '../../../layers/core/schemas/policy.js';
import {
  MANAGED_BY,
  NODE_POLICY_ANNOTATIONS,
  NODE_POLICY_LABELS,
  type ControlReport,
  type FullScope,
  type NodeApplicationScope,
  type NodeClusterFacts,
  type NodeObjectIndexEntry,
  type NodePolicyCompilation,
  type NodePolicyConfig,
  type PolicyReport,
} from '../../../layers/core/node-policies/compile.js';
import { actionsFor, nodeControl, type NodeAction } from '../../../layers/core/node-policies/controls.js';
import { compareText } from '../../../layers/core/node-policies/paths.js';
import {
  lowerAnd,
  lowerFormula,
  lowerNot,
  lowerOr,
  lowerVariable,
  selectorRequirements,
  type LoweredScope,
  type ScopeFacts,
} from '../../../layers/core/node-policies/scope.js';
import {
  TETRAGON_API_VERSION,
  TETRAGON_LIMITS,
  NAMESPACE_LABEL_KEY,
  type LabelRequirement,
  type LabelSelector,
  type LsmHook,
  type TracingPolicyObject,
  type TracingPolicySpec,
} from '../../../layers/core/node-policies/tetragon.js';

/** FNV-1a over UTF-16 code units: a stable, dependency-free hash for object names (not a security boundary). */
function fnv1a(text: string, seed: number): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Ten hex digits naming a policy and control, stable across edits of the policy. */
function nodePolicyHash(type: PolicyType, policy: string, control: string): string {
  const key = `${type}\u0000${policy}\u0000${control}`;
  return (fnv1a(key, 0x811c9dc5).toString(16).padStart(8, '0') + fnv1a(key, 0x050c5d1f).toString(16).padStart(8, '0')).slice(0, 10);
}

function slug(text: string, max: number): string {
  const cut = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return cut === '' ? 'policy' : cut;
}

/** `vigil-<policy>-<control>-<hash>[-<part>]`: a DNS-1123 label (at most 63 characters) whatever the policy name. */
function nodePolicyObjectName(type: PolicyType, policy: string, control: string, code: string, part: number): string {
  const base = `vigil-${slug(policy, 24)}-${code}-${nodePolicyHash(type, policy, control)}`;
  return part === 1 ? base : `${base}-${part}`;
}

function scopeOf(policy: Policy, config: NodePolicyConfig, facts: ScopeFacts): { lowered: LoweredScope; full: FullScope } {
  const type = policy.type;
  const named = policy.scope.applicationScopes.map((name) => {
    if (name === GLOBAL_SCOPE) return { name, expression: '', variables: [] };
    return config.applicationScopes.find((scope) => scope.name === name);
  });
  const applicationScopes = named
    .filter((scope): scope is NodeApplicationScope => scope !== undefined)
    .sort((a, b) => compareText(a.name, b.name));
  // A missing application scope selects nothing, as the engine has it.
  let lowered: LoweredScope = { kind: 'never' };
  for (const scope of applicationScopes) lowered = lowerOr(lowered, lowerFormula(scope.expression, scope.variables, type, facts));
  lowered = lowerAnd(lowered, lowerFormula(policy.scope.expression, policy.scope.variables, type, facts));
  for (const entry of config.bypassScopes) lowered = lowerAnd(lowered, lowerNot(lowerVariable(entry, type, facts)));
  return {
    lowered,
    full: {
      applicationScopes: applicationScopes.map((scope) => ({ name: scope.name, expression: scope.expression, variables: scope.variables })),
      expression: policy.scope.expression,
      variables: policy.scope.variables,
      bypassScopes: config.bypassScopes,
    },
  };
}

/** Splits hooks so that none has more selectors than Tetragon allows; parts beyond the first go to further objects. */
function splitHooks(hooks: readonly LsmHook[]): LsmHook[][] {
  const parts: LsmHook[][] = [];
  for (const hook of hooks) {
    for (let i = 0; i * TETRAGON_LIMITS.selectorsPerHook < hook.selectors.length; i++) {
      (parts[i] ??= []).push({
        ...hook,
        selectors: hook.selectors.slice(i * TETRAGON_LIMITS.selectorsPerHook, (i + 1) * TETRAGON_LIMITS.selectorsPerHook),
      });
    }
  }
  return parts;
}

function policyAction(policy: Policy, facts: NodeClusterFacts): 'block' | 'detect' {
  const protection = policy.type === 'host' ? facts.group.hostProtection : facts.group.containerProtection;
  return policy.enforcementMode === 'enforce' && facts.group.enforce && protection ? 'block' : 'detect';
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

interface PolicyCompilation {
  readonly objects: TracingPolicyObject[];
  readonly report: PolicyReport;
  readonly index: NodeObjectIndexEntry[];
}

function compilePolicy(
  policy: Policy & { type: 'container' | 'host' },
  config: NodePolicyConfig,
  facts: NodeClusterFacts,
): PolicyCompilation {
  const version = policy.version ?? 0;
  const enabledControls = Object.entries(policy.controls as Record<string, ({ enabled: boolean } & Record<string, unknown>) | undefined>)
    .filter(([, settings]) => settings?.enabled)
    .sort(([a], [b]) => compareText(a, b));
  const { lowered, full } = scopeOf(policy, config, { cluster: facts.cluster, group: facts.group.name, namespaces: facts.namespaces });
  const widenedBecause = lowered.kind === 'some' ? [...new Set(lowered.widenedBecause)] : [];
  const scopeWidened = lowered.kind === 'some' && !lowered.exact;
  const wanted = policyAction(policy, facts);
  const downgraded = wanted === 'block' && scopeWidened && !facts.allowOverBlocking;
  const action: 'block' | 'detect' = downgraded ? 'detect' : wanted;
  const notApplying = !policy.enabled
    ? 'the policy is disabled'
    : lowered.kind === 'never'
      ? `its scope selects nothing on cluster "${facts.cluster}" with enforcer group "${facts.group.name}"`
      : undefined;

  const objects: TracingPolicyObject[] = [];
  const index: NodeObjectIndexEntry[] = [];
  const controls: ControlReport[] = [];
  for (const [key, settings] of enabledControls) {
    const definition = findControl(policy.type, key);
    const node = nodeControl(policy.type, key);
    if (!definition) continue;
    if (!node) {
      controls.push({
        control: key,
        name: definition.name,
        fidelity: 'admission',
        reasons: [],
        notes: ['applied by the admission webhook, not on nodes'],
        action: 'none',
        objects: [],
      });
      continue;
    }
    const lowering = node.lower(settings ?? {});
    const controlAction: NodeAction = definition.recordOnly ? 'record' : action;
    const reasons = [...lowering.inherent, ...lowering.reasons];
    if (downgraded && !definition.recordOnly && lowering.hooks.length > 0)
      reasons.push(
        'the scope is widened in the kernel, so this compiles in monitor mode (Detect) instead of refusing workloads outside the scope',
      );
    const names: string[] = [];
    if (notApplying === undefined && lowered.kind === 'some') {
      const hooks: LsmHook[] = lowering.hooks.map((rule) => ({
        hook: rule.hook,
        args: rule.args,
        message: truncate(`Vigil ${definition.name} (${key}), policy "${policy.name}" v${version}`, TETRAGON_LIMITS.messageLength),
        tags: [
          `vigil`,
          `vigil.action=${controlAction}`,
          `vigil.control=${key}`,
          `vigil.policy=${policy.name}`,
          `vigil.type=${policy.type}`,
          `vigil.version=${version}`,
        ],
        selectors: rule.selectors.map((selector) => ({ ...selector, matchActions: actionsFor(controlAction) })),
      }));
      const parts = splitHooks(hooks);
      const namespaceRequirement = lowered.requirements.filter(
        (r) => r.target === 'pod' && r.key === NAMESPACE_LABEL_KEY && r.operator === 'In',
      );
      const onlyNamespace =
        policy.type === 'container' && namespaceRequirement.length === 1 && namespaceRequirement[0]!.values.length === 1
          ? namespaceRequirement[0]!.values[0]
          : undefined;
      const requirements =
        onlyNamespace === undefined ? lowered.requirements : lowered.requirements.filter((r) => !namespaceRequirement.includes(r));
      parts.forEach((lsmhooks, i) => {
        const name = nodePolicyObjectName(policy.type, policy.name, key, node.code, i + 1);
        const spec: TracingPolicySpec = {
          ...(policy.type === 'host'
            ? { hostSelector: {} }
            : {
                podSelector: selectorOf(selectorRequirements(requirements, 'pod')),
                ...(requirements.some((r) => r.target === 'container')
                  ? { containerSelector: selectorOf(selectorRequirements(requirements, 'container')) }
                  : {}),
              }),
          options: [{ name: 'policy-mode', value: controlAction === 'block' ? 'enforce' : 'monitor' }],
          lsmhooks,
        };
        const kind = onlyNamespace === undefined ? 'TracingPolicy' : 'TracingPolicyNamespaced';
        objects.push({
          apiVersion: TETRAGON_API_VERSION,
          kind,
          metadata: {
            name,
            ...(onlyNamespace === undefined ? {} : { namespace: onlyNamespace }),
            labels: {
              [NODE_POLICY_LABELS.managedBy]: MANAGED_BY,
              [NODE_POLICY_LABELS.control]: key,
              [NODE_POLICY_LABELS.policyHash]: nodePolicyHash(policy.type, policy.name, key),
              [NODE_POLICY_LABELS.policyType]: policy.type,
            },
            annotations: {
              [NODE_POLICY_ANNOTATIONS.action]: controlAction,
              [NODE_POLICY_ANNOTATIONS.control]: key,
              [NODE_POLICY_ANNOTATIONS.part]: `${i + 1}/${parts.length}`,
              [NODE_POLICY_ANNOTATIONS.policy]: policy.name,
              [NODE_POLICY_ANNOTATIONS.policyVersion]: String(version),
              [NODE_POLICY_ANNOTATIONS.scopeWidened]: String(scopeWidened),
            },
          },
          spec,
        });
        index.push({
          kind,
          name,
          ...(onlyNamespace === undefined ? {} : { namespace: onlyNamespace }),
          policy: policy.name,
          policyType: policy.type,
          policyVersion: version,
          control: key,
          action: controlAction,
          scopeWidened,
          scope: full,
        });
        names.push(name);
      });
    }
    controls.push({
      control: key,
      name: definition.name,
      fidelity: lowering.fidelity,
      reasons,
      notes: [...lowering.notes],
      action: names.length > 0 ? controlAction : 'none',
      objects: names,
    });
  }
  return {
    objects,
    index,
    report: {
      policy: policy.name,
      type: policy.type,
      version,
      applies: notApplying === undefined,
      ...(notApplying === undefined ? {} : { reason: notApplying }),
      scopeWidened,
      widenedBecause,
      action: notApplying === undefined ? action : 'none',
      controls,
    },
  };
}

/** An empty selector is written `matchLabels: {}`: every pod, and no host process (Tetragon's own idiom). */
function selectorOf(matchExpressions: readonly LabelRequirement[]): LabelSelector {
  return matchExpressions.length > 0 ? { matchExpressions } : { matchLabels: {} };
}

function isNodePolicy(policy: Policy): policy is Policy & { type: 'container' | 'host' } {
  return policy.type === 'container' || policy.type === 'host';
}

/** The reference result of compileNodePolicies for the same arguments. */
export function referenceCompileNodePolicies(config: NodePolicyConfig, facts: NodeClusterFacts): NodePolicyCompilation {
  const policies = config.policies.filter(isNodePolicy).sort((a, b) => compareText(a.type, b.type) || compareText(a.name, b.name));
  const compiled = policies.map((policy) => compilePolicy(policy, config, facts));
  const objectOrder = (a: { kind: string; namespace?: string; name: string }, b: { kind: string; namespace?: string; name: string }) =>
    compareText(a.kind, b.kind) || compareText(a.namespace ?? '', b.namespace ?? '') || compareText(a.name, b.name);
  return {
    objects: compiled
      .flatMap((c) => c.objects)
      .sort((a, b) =>
        objectOrder(
          { kind: a.kind, namespace: a.metadata.namespace, name: a.metadata.name },
          { kind: b.kind, namespace: b.metadata.namespace, name: b.metadata.name },
        ),
      ),
    report: {
      cluster: facts.cluster,
      group: facts.group.name,
      policies: compiled.map((c) => c.report),
      index: compiled.flatMap((c) => c.index).sort(objectOrder),
    },
  };
}
