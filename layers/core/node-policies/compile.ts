/**
 * Compiles container and host policies into Tetragon TracingPolicy / TracingPolicyNamespaced objects for
 * one cluster and enforcer group, with a fidelity report per policy and control and an index that maps
 * every object back to its policy, control, action and full scope (what the event forwarder reads).
 *
 * Pure and deterministic: the same input gives the same objects in the same order, byte for byte.
 */
import { GLOBAL_SCOPE, type BypassSelector } from '../builtins.js';
import { findControl, type PolicyType } from '../catalog.js';
import type { Policy } from '../schemas/policy.js';
import type { ScopeVariable } from '../scope/index.js';
import {
  actionsFor,
  nodeControl,
  type HookRule,
  type LoweredControl,
  type NodeAction,
  type NodeControl,
  type NodeFidelity,
} from './controls.js';
import { compareText } from './paths.js';
import {
  lowerAnd,
  lowerFormula,
  lowerNot,
  lowerOr,
  lowerVariable,
  selectorRequirements,
  type LoweredScope,
  type Requirement,
  type ScopeFacts,
} from './scope.js';
import {
  TETRAGON_API_VERSION,
  TETRAGON_LIMITS,
  NAMESPACE_LABEL_KEY,
  type LabelRequirement,
  type LabelSelector,
  type LsmHook,
  type Selector,
  type TracingPolicyObject,
  type TracingPolicySpec,
} from './tetragon.js';

/** An application scope as the compiler needs it. */
export interface NodeApplicationScope {
  readonly name: string;
  readonly expression: string;
  readonly variables: readonly ScopeVariable[];
}

/** The configuration pieces the compiler reads (the agent group's enforcer bundle has them all). */
export interface NodePolicyConfig {
  readonly policies: readonly Policy[];
  readonly applicationScopes: readonly NodeApplicationScope[];
  readonly bypassScopes: readonly BypassSelector[];
}

/** Facts about the cluster and the enforcer group the objects are for. */
export interface NodeClusterFacts {
  readonly cluster: string;
  readonly group: {
    readonly name: string;
    readonly enforce: boolean;
    readonly containerProtection: boolean;
    readonly hostProtection: boolean;
  };
  /** The cluster's namespaces, when known: namespace patterns are then expanded instead of widened. */
  readonly namespaces?: readonly string[];
  /** Keep Block for policies whose kernel scope is wider than their Vigil scope (over-blocking accepted). */
  readonly allowOverBlocking?: boolean;
}

/** The full Vigil scope of a policy: what the forwarder evaluates on each event of a widened object. */
export interface FullScope {
  readonly applicationScopes: readonly NodeApplicationScope[];
  readonly expression: string;
  readonly variables: readonly ScopeVariable[];
  readonly bypassScopes: readonly BypassSelector[];
}

/** One control of one policy, as nodes apply it. */
export interface ControlReport {
  readonly control: string;
  readonly name: string;
  /** `admission`: the control is applied by the admission webhook, not on nodes. */
  readonly fidelity: NodeFidelity | 'admission';
  readonly reasons: readonly string[];
  readonly notes: readonly string[];
  readonly action: NodeAction | 'none';
  readonly objects: readonly string[];
}

export interface PolicyReport {
  readonly policy: string;
  readonly type: 'container' | 'host';
  readonly version: number;
  /** Whether the policy has anything to do on this cluster (enabled, and its scope can hold here). */
  readonly applies: boolean;
  readonly reason?: string;
  /** The kernel selects more workloads than the scope; the reasons say which parts could not be expressed. */
  readonly scopeWidened: boolean;
  readonly widenedBecause: readonly string[];
  readonly action: NodeAction | 'none';
  readonly controls: readonly ControlReport[];
}

/** One compiled object and what its events mean: the contract with the event forwarder. */
export interface NodeObjectIndexEntry {
  readonly kind: TracingPolicyObject['kind'];
  readonly name: string;
  readonly namespace?: string;
  readonly policy: string;
  readonly policyType: 'container' | 'host';
  readonly policyVersion: number;
  readonly control: string;
  readonly action: NodeAction;
  readonly scopeWidened: boolean;
  readonly scope: FullScope;
}

export interface NodePolicyReport {
  readonly cluster: string;
  readonly group: string;
  readonly policies: readonly PolicyReport[];
  readonly index: readonly NodeObjectIndexEntry[];
}

export interface NodePolicyCompilation {
  readonly objects: readonly TracingPolicyObject[];
  readonly report: NodePolicyReport;
}

/** Labels and annotations every compiled object carries (the bridge prunes by MANAGED_BY). */
export const NODE_POLICY_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  control: 'vigil.dev/control',
  policyType: 'vigil.dev/policy-type',
  policyHash: 'vigil.dev/policy-hash',
} as const;
export const NODE_POLICY_ANNOTATIONS = {
  policy: 'vigil.dev/policy',
  policyVersion: 'vigil.dev/policy-version',
  control: 'vigil.dev/control',
  action: 'vigil.dev/action',
  scopeWidened: 'vigil.dev/scope-widened',
  part: 'vigil.dev/part',
} as const;
export const MANAGED_BY = 'vigil';

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
export function nodePolicyHash(type: PolicyType, policy: string, control: string): string {
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
export function nodePolicyObjectName(type: PolicyType, policy: string, control: string, code: string, part: number): string {
  return `vigil-${slug(policy, 24)}-${code}-${nodePolicyHash(type, policy, control)}${partSuffix(part)}`;
}

/** A scope that selects every workload exactly: what AND-ing starts from. */
const ALWAYS_SELECTED: LoweredScope = { kind: 'some', requirements: [], exact: true, widenedBecause: [] };

/** Part of an object name after its hash: nothing for the first part, `-<n>` for the others. */
function partSuffix(part: number): string {
  return part === 1 ? '' : `-${part}`;
}

/**
 * What a compile run computes once and reads for every policy: the application scopes by name, and the
 * lowering of application scopes, bypass entries and control options, which many policies share. The
 * results are only read, never changed, so sharing them between policies cannot change any output.
 */
class CompileRun {
  private readonly applicationScopesByName: ReadonlyMap<string, NodeApplicationScope>;
  private readonly loweredApplicationScopes = new Map<string, LoweredScope>();
  private readonly loweredBypass = new Map<PolicyType, LoweredScope>();
  private readonly loweredControls = new Map<string, LoweredControl>();
  private readonly selectorsByRule = new Map<HookRule, Map<NodeAction, Selector[]>>();
  readonly scopeFacts: ScopeFacts;

  constructor(
    readonly config: NodePolicyConfig,
    readonly facts: NodeClusterFacts,
  ) {
    const byName = new Map<string, NodeApplicationScope>();
    // The first scope of a name wins, as Array.find would have it.
    for (const scope of config.applicationScopes) if (!byName.has(scope.name)) byName.set(scope.name, scope);
    this.applicationScopesByName = byName;
    this.scopeFacts = { cluster: facts.cluster, group: facts.group.name, namespaces: facts.namespaces };
  }

  applicationScope(name: string): NodeApplicationScope | undefined {
    return this.applicationScopesByName.get(name);
  }

  loweredApplicationScope(scope: NodeApplicationScope, type: PolicyType): LoweredScope {
    const key = `${type}\u0000${scope.name}`;
    let lowered = this.loweredApplicationScopes.get(key);
    if (lowered === undefined) {
      lowered = lowerFormula(scope.expression, scope.variables, type, this.scopeFacts);
      this.loweredApplicationScopes.set(key, lowered);
    }
    return lowered;
  }

  /**
   * `!entry1 && !entry2 && …` over the bypass entries, lowered once per policy type. AND-ing it to a scope in
   * one step gives what AND-ing the entries one after the other gave: requirements on one key fold into one
   * In and one NotIn whatever their grouping, and the reasons keep their order.
   */
  bypass(type: PolicyType): LoweredScope {
    let lowered = this.loweredBypass.get(type);
    if (lowered === undefined) {
      lowered = ALWAYS_SELECTED;
      for (const entry of this.config.bypassScopes) lowered = lowerAnd(lowered, lowerNot(lowerVariable(entry, type, this.scopeFacts)));
      this.loweredBypass.set(type, lowered);
    }
    return lowered;
  }

  /**
   * A hook's selectors with the actions of a mode. Objects of different policies may share them; inside one
   * object every selector is still its own, so nothing is written as a YAML alias that was not before.
   */
  selectorsWithActions(rule: HookRule, action: NodeAction): Selector[] {
    let byAction = this.selectorsByRule.get(rule);
    if (byAction === undefined) this.selectorsByRule.set(rule, (byAction = new Map<NodeAction, Selector[]>()));
    let selectors = byAction.get(action);
    if (selectors === undefined) {
      selectors = rule.selectors.map((selector) => ({ ...selector, matchActions: actionsFor(action) }));
      byAction.set(action, selectors);
    }
    return selectors;
  }

  /** A control's lowering depends on its options alone: policies made from one template lower once. */
  loweredControl(type: PolicyType, key: string, node: NodeControl, settings: Readonly<Record<string, unknown>>): LoweredControl {
    const cacheKey = `${type}\u0000${key}\u0000${JSON.stringify(settings)}`;
    let lowering = this.loweredControls.get(cacheKey);
    if (lowering === undefined) {
      lowering = node.lower(settings);
      this.loweredControls.set(cacheKey, lowering);
    }
    return lowering;
  }
}

function scopeOf(policy: Policy, run: CompileRun): { lowered: LoweredScope; full: FullScope } {
  const type = policy.type;
  const applicationScopes: NodeApplicationScope[] = [];
  for (const name of policy.scope.applicationScopes) {
    const scope = name === GLOBAL_SCOPE ? { name, expression: '', variables: [] } : run.applicationScope(name);
    if (scope !== undefined) applicationScopes.push(scope);
  }
  applicationScopes.sort((a, b) => compareText(a.name, b.name));
  // A missing application scope selects nothing, as the engine has it.
  let lowered: LoweredScope = { kind: 'never' };
  for (const scope of applicationScopes) lowered = lowerOr(lowered, run.loweredApplicationScope(scope, type));
  lowered = lowerAnd(lowered, lowerFormula(policy.scope.expression, policy.scope.variables, type, run.scopeFacts));
  if (run.config.bypassScopes.length > 0) lowered = lowerAnd(lowered, run.bypass(type));
  return {
    lowered,
    full: {
      applicationScopes: applicationScopes.map((scope) => ({ name: scope.name, expression: scope.expression, variables: scope.variables })),
      expression: policy.scope.expression,
      variables: policy.scope.variables,
      bypassScopes: run.config.bypassScopes,
    },
  };
}

/** Splits hooks so that none has more selectors than Tetragon allows; parts beyond the first go to further objects. */
function splitHooks(hooks: readonly LsmHook[]): LsmHook[][] {
  // Most controls fit in one object as they are: no copies then.
  if (hooks.length > 0 && hooks.every((hook) => hook.selectors.length > 0 && hook.selectors.length <= TETRAGON_LIMITS.selectorsPerHook))
    return [[...hooks]];
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

/** One compiled object with its index entry and its sort key (kind, namespace, name). */
interface CompiledObject {
  readonly kind: TracingPolicyObject['kind'];
  readonly namespace: string;
  readonly name: string;
  readonly object: TracingPolicyObject;
  readonly entry: NodeObjectIndexEntry;
}

/** The selectors of a container policy's objects: the same for each of its controls. */
interface WorkloadSelectors {
  readonly kind: TracingPolicyObject['kind'];
  readonly namespace?: string;
  readonly podSelector: LabelSelector;
  readonly containerSelector?: LabelSelector;
}

function workloadSelectors(policy: Policy, requirementsOfScope: readonly Requirement[]): WorkloadSelectors {
  const namespaceRequirement = requirementsOfScope.filter(
    (r) => r.target === 'pod' && r.key === NAMESPACE_LABEL_KEY && r.operator === 'In',
  );
  const onlyNamespace =
    policy.type === 'container' && namespaceRequirement.length === 1 && namespaceRequirement[0]!.values.length === 1
      ? namespaceRequirement[0]!.values[0]
      : undefined;
  const requirements =
    onlyNamespace === undefined ? requirementsOfScope : requirementsOfScope.filter((r) => !namespaceRequirement.includes(r));
  return {
    kind: onlyNamespace === undefined ? 'TracingPolicy' : 'TracingPolicyNamespaced',
    ...(onlyNamespace === undefined ? {} : { namespace: onlyNamespace }),
    podSelector: selectorOf(selectorRequirements(requirements, 'pod')),
    ...(requirements.some((r) => r.target === 'container')
      ? { containerSelector: selectorOf(selectorRequirements(requirements, 'container')) }
      : {}),
  };
}

function compilePolicy(policy: Policy & { type: 'container' | 'host' }, run: CompileRun, compiledObjects: CompiledObject[]): PolicyReport {
  const facts = run.facts;
  const version = policy.version ?? 0;
  const enabledControls = Object.entries(policy.controls as Record<string, ({ enabled: boolean } & Record<string, unknown>) | undefined>)
    .filter(([, settings]) => settings?.enabled)
    .sort(([a], [b]) => compareText(a, b));
  const { lowered, full } = scopeOf(policy, run);
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
  // Computed on the first control that compiles: every object of the policy selects the same workloads.
  let selectors: WorkloadSelectors | undefined;
  const nameStart = `vigil-${slug(policy.name, 24)}-`;

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
    const lowering = run.loweredControl(policy.type, key, node, settings ?? {});
    const controlAction: NodeAction = definition.recordOnly ? 'record' : action;
    const reasons = [...lowering.inherent, ...lowering.reasons];
    if (downgraded && !definition.recordOnly && lowering.hooks.length > 0)
      reasons.push(
        'the scope is widened in the kernel, so this compiles in monitor mode (Detect) instead of refusing workloads outside the scope',
      );
    const names: string[] = [];
    if (notApplying === undefined && lowered.kind === 'some' && lowering.hooks.length > 0) {
      const message = truncate(`Vigil ${definition.name} (${key}), policy "${policy.name}" v${version}`, TETRAGON_LIMITS.messageLength);
      const tags = [
        `vigil`,
        `vigil.action=${controlAction}`,
        `vigil.control=${key}`,
        `vigil.policy=${policy.name}`,
        `vigil.type=${policy.type}`,
        `vigil.version=${version}`,
      ];
      const hooks: LsmHook[] = lowering.hooks.map((rule) => ({
        hook: rule.hook,
        args: rule.args,
        message,
        // Each hook its own copy: shared arrays inside one object would be written as YAML aliases.
        tags: tags.slice(),
        selectors: run.selectorsWithActions(rule, controlAction),
      }));
      const parts = splitHooks(hooks);
      selectors ??= workloadSelectors(policy, lowered.requirements);
      const hash = nodePolicyHash(policy.type, policy.name, key);
      const baseName = `${nameStart}${node.code}-${hash}`;
      const mode = controlAction === 'block' ? 'enforce' : 'monitor';
      for (let i = 0; i < parts.length; i++) {
        const name = baseName + partSuffix(i + 1);
        const spec: TracingPolicySpec =
          policy.type === 'host'
            ? { hostSelector: {}, options: [{ name: 'policy-mode', value: mode }], lsmhooks: parts[i]! }
            : {
                podSelector: selectors.podSelector,
                ...(selectors.containerSelector === undefined ? {} : { containerSelector: selectors.containerSelector }),
                options: [{ name: 'policy-mode', value: mode }],
                lsmhooks: parts[i]!,
              };
        const namespace = selectors.namespace;
        const object: TracingPolicyObject = {
          apiVersion: TETRAGON_API_VERSION,
          kind: selectors.kind,
          metadata: {
            name,
            ...(namespace === undefined ? {} : { namespace }),
            labels: {
              [NODE_POLICY_LABELS.managedBy]: MANAGED_BY,
              [NODE_POLICY_LABELS.control]: key,
              [NODE_POLICY_LABELS.policyHash]: hash,
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
        };
        const entry: NodeObjectIndexEntry = {
          kind: selectors.kind,
          name,
          ...(namespace === undefined ? {} : { namespace }),
          policy: policy.name,
          policyType: policy.type,
          policyVersion: version,
          control: key,
          action: controlAction,
          scopeWidened,
          scope: full,
        };
        compiledObjects.push({ kind: selectors.kind, namespace: namespace ?? '', name, object, entry });
        names.push(name);
      }
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
    policy: policy.name,
    type: policy.type,
    version,
    applies: notApplying === undefined,
    ...(notApplying === undefined ? {} : { reason: notApplying }),
    scopeWidened,
    widenedBecause,
    action: notApplying === undefined ? action : 'none',
    controls,
  };
}

/** An empty selector is written `matchLabels: {}`: every pod, and no host process (Tetragon's own idiom). */
function selectorOf(matchExpressions: readonly LabelRequirement[]): LabelSelector {
  return matchExpressions.length > 0 ? { matchExpressions } : { matchLabels: {} };
}

function isNodePolicy(policy: Policy): policy is Policy & { type: 'container' | 'host' } {
  return policy.type === 'container' || policy.type === 'host';
}

function objectOrder(a: CompiledObject, b: CompiledObject): number {
  return compareText(a.kind, b.kind) || compareText(a.namespace, b.namespace) || compareText(a.name, b.name);
}

/** Compiles the container and host policies of a configuration for one cluster and enforcer group. */
export function compileNodePolicies(config: NodePolicyConfig, facts: NodeClusterFacts): NodePolicyCompilation {
  const policies = config.policies.filter(isNodePolicy).sort((a, b) => compareText(a.type, b.type) || compareText(a.name, b.name));
  const run = new CompileRun(config, facts);
  const compiledObjects: CompiledObject[] = [];
  const reports = policies.map((policy) => compilePolicy(policy, run, compiledObjects));
  // One stable sort orders the objects and their index entries alike.
  compiledObjects.sort(objectOrder);
  return {
    objects: compiledObjects.map((compiled) => compiled.object),
    report: {
      cluster: facts.cluster,
      group: facts.group.name,
      policies: reports,
      index: compiledObjects.map((compiled) => compiled.entry),
    },
  };
}
