/**
 * Lowers a Vigil scope, `(application scopes) && criteria && !bypass`, to what Tetragon can select on: pod
 * label requirements (the namespace is the label key NAMESPACE_LABEL_KEY) and container names. The result
 * always selects at least the workloads the scope selects; when it selects more, it is "widened" and says
 * why, and the event forwarder applies the full scope to each event so that what is reported stays exact.
 */
import { findAttribute } from '../attributes.js';
import type { PolicyType } from '../catalog.js';
import {
  compileGlob,
  isLiteralGlob,
  parseScopeFormula,
  ScopeParseError,
  type ScopeExpression,
  type ScopeVariable,
} from '../scope/index.js';
import { compareText } from './paths.js';
import { NAMESPACE_LABEL_KEY, type LabelRequirement } from './tetragon.js';

/** One requirement on the pod's labels or on the container. */
export interface Requirement {
  readonly target: 'pod' | 'container';
  readonly key: string;
  readonly operator: 'In' | 'NotIn';
  readonly values: readonly string[];
}

/** A lowered scope: selects nothing on this cluster, or the workloads meeting every requirement. */
export type LoweredScope =
  | { readonly kind: 'never' }
  | {
      readonly kind: 'some';
      readonly requirements: readonly Requirement[];
      readonly exact: boolean;
      readonly widenedBecause: readonly string[];
    };

const NEVER: LoweredScope = { kind: 'never' };
const ALWAYS: LoweredScope = { kind: 'some', requirements: [], exact: true, widenedBecause: [] };

function widened(reason: string): LoweredScope {
  return { kind: 'some', requirements: [], exact: false, widenedBecause: [reason] };
}

/** What the compiler knows about the place the objects are for. */
export interface ScopeFacts {
  /** Undefined when compiling for no particular cluster (save-time advice): the attribute is then a constant not yet known. */
  readonly cluster?: string;
  readonly group?: string;
  /** The cluster's namespaces, when known: namespace globs are expanded against them. */
  readonly namespaces?: readonly string[];
}

// Kubernetes' rules for label keys and values: a scope value breaking them can never be a real label.
// eslint-disable-next-line security/detect-unsafe-regex -- linear, and only run on values of at most 63 characters (isLabelValue checks the length first)
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
// eslint-disable-next-line security/detect-unsafe-regex -- linear, and only run on names of at most 63 characters (isLabelKey checks the length first)
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
// eslint-disable-next-line security/detect-unsafe-regex -- linear: labels are separated by a literal "."; only run on prefixes of at most 253 characters (isLabelKey checks first)
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

function describe(variable: ScopeVariable): string {
  return variable.name === undefined
    ? `${variable.attribute} "${variable.value}"`
    : `${variable.attribute} "${variable.name}"="${variable.value}"`;
}

function namespaceVariable(value: string, facts: ScopeFacts, variable: ScopeVariable): LoweredScope {
  if (isLiteralGlob(value)) {
    return isLabelValue(value)
      ? {
          kind: 'some',
          requirements: [{ target: 'pod', key: NAMESPACE_LABEL_KEY, operator: 'In', values: [value] }],
          exact: true,
          widenedBecause: [],
        }
      : widened(`${describe(variable)} is not a namespace name Tetragon can select`);
  }
  if (facts.namespaces === undefined)
    return widened(`the namespace pattern "${value}" is expanded only against a known list of namespaces`);
  const matches = compileGlob(value);
  const found = [...new Set(facts.namespaces.filter((namespace) => matches(namespace) && isLabelValue(namespace)))].sort(compareText);
  return found.length === 0
    ? NEVER
    : {
        kind: 'some',
        requirements: [{ target: 'pod', key: NAMESPACE_LABEL_KEY, operator: 'In', values: found }],
        exact: true,
        widenedBecause: [],
      };
}

/** One variable: a requirement, a constant of this cluster, or widened to "any workload". */
export function lowerVariable(variable: ScopeVariable, type: PolicyType, facts: ScopeFacts): LoweredScope {
  const definition = findAttribute(variable.attribute);
  // A variable on an attribute the workload does not carry is false, as in the engine.
  if (!definition || !definition.availableFor.includes(type)) return NEVER;
  const { attribute, name, value } = variable;
  switch (attribute) {
    // Constants of a cluster and group: decided exactly once they are known.
    case 'kubernetes.cluster':
      if (facts.cluster === undefined) return ALWAYS;
      return compileGlob(value)(facts.cluster) ? ALWAYS : NEVER;
    case 'enforcer.group':
      if (facts.group === undefined) return ALWAYS;
      return compileGlob(value)(facts.group) ? ALWAYS : NEVER;
    case 'kubernetes.namespace':
      return namespaceVariable(value, facts, variable);
    case 'container.label':
      // The runtime's own label for the pod's namespace is the namespace (the default bypass uses it).
      return name === 'io.kubernetes.pod.namespace'
        ? namespaceVariable(value, facts, variable)
        : widened(`${describe(variable)}: container runtime labels cannot be selected in the kernel`);
    case 'kubernetes.label':
      if (name !== undefined && isLiteralGlob(value) && isLabelKey(name) && isLabelValue(value))
        return {
          kind: 'some',
          requirements: [{ target: 'pod', key: name, operator: 'In', values: [value] }],
          exact: true,
          widenedBecause: [],
        };
      return widened(`${describe(variable)}: only literal, valid label values can be selected in the kernel`);
    case 'container.name':
      if (isLiteralGlob(value) && isLabelValue(value))
        return {
          kind: 'some',
          requirements: [{ target: 'container', key: 'name', operator: 'In', values: [value] }],
          exact: true,
          widenedBecause: [],
        };
      return widened(`${describe(variable)}: only literal container names can be selected in the kernel`);
    default:
      return widened(`${describe(variable)}: Tetragon cannot select on ${attribute}`);
  }
}

function sameKey(a: Requirement, b: Requirement): boolean {
  return a.target === b.target && a.key === b.key;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort(compareText);
}

/** Requirements on one key folded into at most one In and one NotIn; undefined when they contradict. */
function normalise(requirements: readonly Requirement[]): Requirement[] | undefined {
  const folded: Requirement[] = [];
  for (const requirement of requirements) {
    const existing = folded.findIndex((other) => sameKey(other, requirement) && other.operator === requirement.operator);
    if (existing < 0) {
      folded.push({ ...requirement, values: [...new Set(requirement.values)].sort(compareText) });
      continue;
    }
    const other = folded[existing]!;
    const values =
      requirement.operator === 'In'
        ? other.values.filter((value) => requirement.values.includes(value))
        : union(other.values, requirement.values);
    if (values.length === 0) return undefined;
    folded[existing] = { ...other, values };
  }
  // An In list minus the NotIn values of the same key is what both allow.
  const result: Requirement[] = [];
  for (const requirement of folded) {
    if (requirement.operator === 'NotIn' && folded.some((other) => sameKey(other, requirement) && other.operator === 'In')) continue;
    if (requirement.operator === 'In') {
      const excluded = folded.find((other) => sameKey(other, requirement) && other.operator === 'NotIn');
      const values = excluded ? requirement.values.filter((value) => !excluded.values.includes(value)) : requirement.values;
      if (values.length === 0) return undefined;
      result.push({ ...requirement, values });
    } else result.push(requirement);
  }
  return result.sort((a, b) => compareText(a.target, b.target) || compareText(a.key, b.key) || compareText(a.operator, b.operator));
}

export function lowerAnd(a: LoweredScope, b: LoweredScope): LoweredScope {
  if (a.kind === 'never' || b.kind === 'never') return NEVER;
  const requirements = normalise([...a.requirements, ...b.requirements]);
  if (!requirements) return NEVER;
  return { kind: 'some', requirements, exact: a.exact && b.exact, widenedBecause: [...a.widenedBecause, ...b.widenedBecause] };
}

export function lowerOr(a: LoweredScope, b: LoweredScope): LoweredScope {
  if (a.kind === 'never') return b;
  if (b.kind === 'never') return a;
  if ((a.exact && a.requirements.length === 0) || (b.exact && b.requirements.length === 0)) return ALWAYS;
  const [onlyA] = a.requirements;
  const [onlyB] = b.requirements;
  if (a.exact && b.exact && a.requirements.length === 1 && b.requirements.length === 1 && onlyA && onlyB) {
    if (sameKey(onlyA, onlyB) && onlyA.operator === 'In' && onlyB.operator === 'In')
      return { kind: 'some', requirements: [{ ...onlyA, values: union(onlyA.values, onlyB.values) }], exact: true, widenedBecause: [] };
  }
  // Either side holds: keep only what both sides require (an In on the same key holds for the union of values).
  const kept: Requirement[] = [];
  for (const left of a.requirements) {
    const right = b.requirements.find((other) => sameKey(other, left) && other.operator === left.operator);
    if (!right) continue;
    if (left.operator === 'In') kept.push({ ...left, values: union(left.values, right.values) });
    else {
      const values = left.values.filter((value) => right.values.includes(value));
      if (values.length > 0) kept.push({ ...left, values });
    }
  }
  return {
    kind: 'some',
    requirements: normalise(kept) ?? [],
    exact: false,
    widenedBecause: [...a.widenedBecause, ...b.widenedBecause, 'an "||" of different selections is selected as their common part'],
  };
}

export function lowerNot(a: LoweredScope): LoweredScope {
  if (a.kind === 'never') return ALWAYS;
  if (a.exact && a.requirements.length === 0) return NEVER;
  const [only] = a.requirements;
  if (a.exact && a.requirements.length === 1 && only)
    return {
      kind: 'some',
      requirements: [{ ...only, operator: only.operator === 'In' ? 'NotIn' : 'In' }],
      exact: true,
      widenedBecause: [],
    };
  return widened('a "!" of a selection Tetragon cannot express is selected as any workload');
}

/** A formula over its variables; a blank formula selects every workload. */
export function lowerFormula(expression: string, variables: readonly ScopeVariable[], type: PolicyType, facts: ScopeFacts): LoweredScope {
  let tree: ScopeExpression | undefined;
  try {
    tree = parseScopeFormula(expression, variables.length);
  } catch (error) {
    // Stored scopes were validated; one that still cannot be read selects nothing rather than everything.
    if (error instanceof ScopeParseError) return NEVER;
    throw error;
  }
  if (tree === undefined) return ALWAYS;
  const lowered = new Map<number, LoweredScope>();
  const walk = (node: ScopeExpression): LoweredScope => {
    switch (node.kind) {
      case 'var': {
        let result = lowered.get(node.index);
        if (!result) {
          const variable = variables[node.index - 1];
          result = variable ? lowerVariable(variable, type, facts) : NEVER;
          lowered.set(node.index, result);
        }
        return result;
      }
      case 'not':
        return lowerNot(walk(node.operand));
      case 'and':
        return lowerAnd(walk(node.left), walk(node.right));
      case 'or':
        return lowerOr(walk(node.left), walk(node.right));
    }
  };
  return walk(tree);
}

/** Label selector requirements of one target, in a stable order. */
export function selectorRequirements(requirements: readonly Requirement[], target: Requirement['target']): LabelRequirement[] {
  return requirements
    .filter((requirement) => requirement.target === target)
    .map((requirement) => ({ key: requirement.key, operator: requirement.operator, values: [...requirement.values] }));
}
