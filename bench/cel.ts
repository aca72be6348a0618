/**
 * The CEL baseline: the approach of Kubernetes ValidatingAdmissionPolicy, one CEL program per policy.
 *
 * Each enabled policy's scope (application scopes and additional criteria) and its admission controls
 * are translated into ONE equivalent CEL expression that is true when the policy would flag the
 * request. Programs are parsed once at setup and evaluated per request; every program is evaluated
 * for every request, as an API server evaluates every bound policy. Global bypass is one more program
 * evaluated first (like a match condition).
 *
 * Two JavaScript CEL implementations run the same translation (see celImplementations):
 * `@marcbachmann/cel-js`, the fastest maintained one we found on the npm registry (parse once into a
 * closure, evaluate many; CEL's own string library: `s.startsWith(…)`, `s.matches(…)`), and `cel-js`
 * 0.8, a tree-walking interpreter without string member functions, for which the standard-library
 * functions the translation needs are supplied as global functions (startsWith, endsWith, matches).
 * Both get basename, imageRegistry and capability as custom functions, standing in for Kubernetes'
 * CEL libraries.
 */
import { Environment } from '@marcbachmann/cel-js';
import { evaluate, parse } from 'cel-js';
import { readFileSync } from 'node:fs';
import { findControl } from '../layers/core/catalog.js';
import type { ControlDefinition } from '../layers/core/catalog.js';
import type { DecisionRequest } from '../layers/core/engine/decide.js';
import type { ConfigSnapshot } from '../layers/core/engine/snapshot.js';
import { parseImageReference } from '../layers/core/image.js';
import type { Policy } from '../layers/core/schemas/policy.js';
import { GLOBAL_SCOPE } from '../layers/core/builtins.js';
import { parseScopeExpression, type ScopeExpression, type ScopeVariable } from '../layers/core/scope/index.js';

/** What the CEL programs see; built once per request, like the objects an API server hands to CEL. */
export interface CelActivation {
  readonly request: { readonly action: string; readonly cluster: string; readonly namespace: string };
  readonly object: {
    /** Every unkeyed scope attribute except cluster and namespace; an unknown attribute is an empty list. */
    readonly attrs: Readonly<Record<string, readonly string[]>>;
    /** kubernetes.label */
    readonly labels: Readonly<Record<string, string>>;
    /** container.label (pod labels plus the container runtime's labels) */
    readonly runtimeLabels: Readonly<Record<string, string>>;
  };
  readonly command: readonly string[];
  readonly pod: {
    readonly hostNetwork: boolean;
    readonly hostPID: boolean;
    readonly hostIPC: boolean;
    readonly containers: ReadonlyArray<{
      readonly name: string;
      readonly image: string;
      readonly privileged: boolean;
      readonly allowPrivilegeEscalation: boolean | null;
      readonly runAsUser: number | null;
      readonly runAsNonRoot: boolean | null;
      readonly readOnlyRootFilesystem: boolean | null;
      readonly addCapabilities: readonly string[];
      readonly ports: readonly number[];
    }>;
    readonly hostPaths: readonly string[];
  };
}

/** Unkeyed attributes of container workloads that land in `object.attrs`. */
const LIST_ATTRIBUTES = [
  'kubernetes.pod',
  'kubernetes.serviceaccount',
  'kubernetes.deployment',
  'container.name',
  'container.image',
  'image.registry',
  'image.name',
  'image.tag',
  'enforcer.group',
  'user.name',
  'user.group',
] as const;

const EMPTY_POD: CelActivation['pod'] = { hostNetwork: false, hostPID: false, hostIPC: false, containers: [], hostPaths: [] };

function single(request: DecisionRequest, attribute: string): string {
  const values = request.workload.values.get(attribute);
  if (values?.length !== 1) throw new Error(`the CEL baseline needs exactly one ${attribute} value, got ${JSON.stringify(values ?? [])}`);
  return values[0]!;
}

/** Builds the activation of a request (done once per request, outside the timed loop). */
export function celActivation(request: DecisionRequest): CelActivation {
  const { workload, event } = request;
  const attrs: Record<string, readonly string[]> = {};
  for (const attribute of LIST_ATTRIBUTES) attrs[attribute] = workload.values.get(attribute) ?? [];
  const keyed = (attribute: string): Record<string, string> => Object.fromEntries(workload.keyed.get(attribute) ?? []);
  let pod = EMPTY_POD;
  if (event.action === 'create' || event.action === 'update' || event.action === 'debug') {
    // An update reports only findings the old pod did not have: a diff this translation does not express.
    if (event.oldPod) throw new Error('the CEL baseline translates pod checks for requests without an old pod only');
    pod = {
      hostNetwork: event.pod.hostNetwork,
      hostPID: event.pod.hostPID,
      hostIPC: event.pod.hostIPC,
      hostPaths: event.pod.hostPaths,
      containers: event.pod.containers.map((c) => ({
        name: c.name,
        image: c.image,
        privileged: c.privileged,
        allowPrivilegeEscalation: c.allowPrivilegeEscalation ?? null,
        runAsUser: c.runAsUser ?? null,
        runAsNonRoot: c.runAsNonRoot ?? null,
        readOnlyRootFilesystem: c.readOnlyRootFilesystem ?? null,
        addCapabilities: c.addCapabilities,
        ports: c.ports,
      })),
    };
  }
  return {
    request: { action: event.action, cluster: single(request, 'kubernetes.cluster'), namespace: single(request, 'kubernetes.namespace') },
    object: { attrs, labels: keyed('kubernetes.label'), runtimeLabels: keyed('container.label') },
    command: event.action === 'exec' ? event.command : [],
    pod,
  };
}

// ---------------------------------------------------------------- functions the programs call

const regexCache = new Map<string, RegExp>();

function normaliseCapability(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

/** Global functions standing in for CEL's string library and Kubernetes' extensions. */
export const celFunctions: Record<string, CallableFunction> = {
  startsWith: (value: string, prefix: string) => value.startsWith(prefix),
  endsWith: (value: string, suffix: string) => value.endsWith(suffix),
  matches: (value: string, pattern: string) => {
    let regex = regexCache.get(pattern);
    if (!regex) regexCache.set(pattern, (regex = new RegExp(pattern)));
    return regex.test(value);
  },
  basename: (path: string) => path.slice(path.lastIndexOf('/') + 1),
  imageRegistry: (image: string) => parseImageReference(image).registry,
  capability: normaliseCapability,
};

// ---------------------------------------------------------------- translation

/** A CEL string literal; cel-js does not process escapes, so values needing them are refused. */
function lit(value: string): string {
  if (/["\\\n\r]/.test(value)) throw new Error(`value ${JSON.stringify(value)} cannot be written as a cel-js string literal`);
  return `"${value}"`;
}

function list(values: readonly string[]): string {
  return `[${values.map(lit).join(', ')}]`;
}

function regexOf(pattern: string): string {
  // Backslashes reach RegExp as written, since cel-js keeps string literals verbatim.
  return `^${pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('.*')}$`;
}

/**
 * How string functions are spelled: `global` for cel-js 0.8 (`startsWith(s, p)`, string literals kept
 * verbatim), `member` for CEL's standard library (`s.startsWith(p)`, a raw string `r"…"` for a regex).
 */
export type CelDialect = 'global' | 'member';

/** A string function of the standard library applied to `value`, in the dialect. */
function call(dialect: CelDialect, fn: 'startsWith' | 'endsWith' | 'matches', value: string, argument: string): string {
  return dialect === 'member' ? `${value}.${fn}(${argument})` : `${fn}(${value}, ${argument})`;
}

/** `value` (a CEL string expression) matches the star glob `pattern`, with the engine's semantics. */
function globTest(dialect: CelDialect, value: string, pattern: string): string {
  if (!pattern.includes('*')) return `${value} == ${lit(pattern)}`;
  const parts = pattern.split('*');
  if (parts.every((p) => p === '')) return 'true';
  const inner = parts.slice(1, -1);
  if (inner.every((p) => p === '')) {
    const prefix = parts[0]!;
    const suffix = parts[parts.length - 1]!;
    if (suffix === '') return call(dialect, 'startsWith', value, lit(prefix));
    if (prefix === '') return call(dialect, 'endsWith', value, lit(suffix));
  }
  const regex = regexOf(pattern);
  // Literal check of the regex text itself; backslashes are expected here.
  if (/["\n\r]/.test(regex)) throw new Error(`pattern ${JSON.stringify(pattern)} cannot be written as a CEL string literal`);
  return call(dialect, 'matches', value, `${dialect === 'member' ? 'r' : ''}"${regex}"`);
}

/** Any of the globs matches `value`; literal patterns become one `in` test. */
function anyGlob(dialect: CelDialect, value: string, patterns: readonly string[]): string {
  const literals = patterns.filter((p) => !p.includes('*'));
  const globs = patterns.filter((p) => p.includes('*'));
  const terms = [
    ...(literals.length === 0 ? [] : [literals.length === 1 ? `${value} == ${lit(literals[0]!)}` : `${value} in ${list(literals)}`]),
    ...globs.map((p) => globTest(dialect, value, p)),
  ];
  if (terms.length === 0) return 'false';
  return terms.length === 1 ? terms[0]! : `(${terms.join(' || ')})`;
}

function variableTest(dialect: CelDialect, variable: ScopeVariable): string {
  const { attribute, name, value } = variable;
  if (name !== undefined) {
    const map = attribute === 'kubernetes.label' ? 'object.labels' : attribute === 'container.label' ? 'object.runtimeLabels' : undefined;
    if (!map) throw new Error(`the CEL baseline does not translate the keyed attribute ${attribute}`);
    const test = globTest(dialect, `${map}[${lit(name)}]`, value);
    return test === 'true' ? `${lit(name)} in ${map}` : `(${lit(name)} in ${map} && ${test})`;
  }
  if (attribute === 'kubernetes.cluster') return globTest(dialect, 'request.cluster', value);
  if (attribute === 'kubernetes.namespace') return globTest(dialect, 'request.namespace', value);
  if (!(LIST_ATTRIBUTES as readonly string[]).includes(attribute))
    throw new Error(`the CEL baseline does not translate the attribute ${attribute}`);
  const values = `object.attrs[${lit(attribute)}]`;
  if (!value.includes('*')) return `${lit(value)} in ${values}`;
  const test = globTest(dialect, 'x', value);
  return test === 'true' ? `size(${values}) > 0` : `${values}.exists(x, ${test})`;
}

/** A scope formula as CEL, fully parenthesised so that every `&&` short-circuits in cel-js. */
function scopeToCel(dialect: CelDialect, expression: string, variables: readonly ScopeVariable[]): string {
  if (expression.trim() === '') return 'true';
  const build = (node: ScopeExpression): string => {
    switch (node.kind) {
      case 'var':
        return variableTest(dialect, variables[node.index - 1]!);
      case 'not':
        return `!(${build(node.operand)})`;
      case 'and':
        return `(${build(node.left)} && ${build(node.right)})`;
      case 'or':
        return `(${build(node.left)} || ${build(node.right)})`;
    }
  };
  return build(parseScopeExpression(expression, variables.length));
}

function strings(options: CelInput, key: string): string[] {
  const value = options[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The violation condition of one admission control, without the action test; undefined when it never acts on admission. */
function controlViolation(dialect: CelDialect, definition: ControlDefinition, options: CelInput): string | undefined {
  const flag = (key: string) => options[key] !== false;
  switch (definition.key) {
    case 'blockContainerExec': {
      const patterns = strings(options, 'allowedProcesses');
      const full = patterns.filter((p) => p.includes('/'));
      const base = patterns.filter((p) => !p.includes('/'));
      const allowed = [
        full.length > 0 ? anyGlob(dialect, 'command[0]', full) : undefined,
        base.length > 0 ? anyGlob(dialect, 'basename(command[0])', base) : undefined,
      ].filter((t) => t !== undefined);
      const allowedTest = allowed.length === 0 ? 'false' : allowed.join(' || ');
      return `(size(command) == 0 ? true : (command[0] == "" ? true : !(${allowedTest})))`;
    }
    case 'blockContainerAttach':
    case 'blockPortForward':
    case 'blockDebugContainers':
      return 'true';
    case 'limitContainerPrivileges': {
      const podTerms = [
        flag('hostNetwork') ? 'pod.hostNetwork' : '',
        flag('hostPid') ? 'pod.hostPID' : '',
        flag('hostIpc') ? 'pod.hostIPC' : '',
      ].filter(Boolean);
      const containerTerms = [
        flag('privileged') ? 'c.privileged' : '',
        flag('rootUser') ? '(c.runAsUser == 0 || (c.runAsUser == null && c.runAsNonRoot != true))' : '',
        flag('lowPortBinding') ? 'c.ports.exists(p, p > 0 && p < 1024)' : '',
        flag('addCapabilities') ? 'size(c.addCapabilities) > 0' : '',
      ].filter(Boolean);
      const terms = [...podTerms, ...(containerTerms.length > 0 ? [`pod.containers.exists(c, ${containerTerms.join(' || ')})`] : [])];
      return terms.length === 0 ? 'false' : terms.join(' || ');
    }
    case 'noNewPrivileges':
      return 'pod.containers.exists(c, c.allowPrivilegeEscalation != false)';
    case 'readOnlyRootFilesystem':
      return 'pod.containers.exists(c, c.readOnlyRootFilesystem != true)';
    case 'blockedCapabilities': {
      const blocked = [...new Set(strings(options, 'capabilities').map(normaliseCapability))];
      if (blocked.includes('ALL')) return 'pod.containers.exists(c, size(c.addCapabilities) > 0)';
      if (blocked.length === 0) return 'false';
      return `pod.containers.exists(c, c.addCapabilities.exists(k, capability(k) in ${list(blocked)}))`;
    }
    case 'restrictedVolumes': {
      const test = anyGlob(dialect, 'h', strings(options, 'paths'));
      return test === 'false' ? 'false' : `pod.hostPaths.exists(h, ${test})`;
    }
    case 'allowedRegistries':
      // map() computes each container's registry once, as cel.bind would.
      return `pod.containers.map(c, imageRegistry(c.image)).exists(r, !(${anyGlob(dialect, 'r', strings(options, 'registries'))}))`;
    default:
      // Node-agent controls (process, file, network) never act on admission requests.
      return undefined;
  }
}

/** Admission actions the baseline handles; other actions never reach an admission webhook. */
const ADMISSION_ACTIONS = new Set(['exec', 'attach', 'portforward', 'create', 'update', 'debug']);

/** The one CEL expression of a policy, or undefined when it has no enabled control acting on admission. */
export function policyToCel(dialect: CelDialect, policy: Policy, applicationScopes: ReadonlyMap<string, string>): string | undefined {
  if (!policy.enabled || policy.type !== 'container') return undefined;
  const checks: string[] = [];
  for (const [key, settings] of Object.entries(
    policy.controls as Record<string, ({ enabled: boolean } & Record<string, unknown>) | undefined>,
  )) {
    if (!settings?.enabled) continue;
    const definition = findControl(policy.type, key);
    if (!definition) continue;
    const violation = controlViolation(dialect, definition, settings);
    const actions = definition.actsOn.filter((a) => ADMISSION_ACTIONS.has(a));
    if (violation === undefined || violation === 'false' || actions.length === 0) continue;
    const actionTest = actions.length === 1 ? `request.action == ${lit(actions[0]!)}` : `request.action in ${list(actions)}`;
    checks.push(violation === 'true' ? actionTest : `(${actionTest} && (${violation}))`);
  }
  if (checks.length === 0) return undefined;
  const appScopes = policy.scope.applicationScopes.map((name) => applicationScopes.get(name) ?? 'false');
  const appScope = appScopes.includes('true') ? 'true' : appScopes.length === 1 ? appScopes[0]! : `(${appScopes.join(' || ')})`;
  const criteria = scopeToCel(dialect, policy.scope.expression, policy.scope.variables);
  const scope = [appScope, criteria].filter((s) => s !== 'true');
  const controls = checks.length === 1 ? checks[0]! : `(${checks.join(' || ')})`;
  // Scope first: cel-js short-circuits `&&` on a false left operand only.
  return scope.length === 0 ? controls : `(${scope.join(' && ')}) && ${controls}`;
}

/** The exact versions pinned in the repository's package.json: what the results name. */
const pinned = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> }
).devDependencies;
const MARCBACHMANN_VERSION = pinned['@marcbachmann/cel-js'];
const CEL_JS_VERSION = pinned['cel-js'];

/** What a program is evaluated against: a CelActivation in one implementation's value types. */
export type CelInput = Readonly<Record<string, unknown>>;

/** A CEL program parsed once: evaluates to the value of the expression for an activation. */
type CelProgramFn = (activation: CelInput) => unknown;

/** One JavaScript CEL implementation: how the translation is spelled for it and how it parses and runs a program. */
export interface CelImplementation {
  /** The npm package and its exact version, as the results report it. */
  readonly package: string;
  readonly dialect: CelDialect;
  /** Parses once; throws with the implementation's own message when the source does not parse. */
  compile(source: string): CelProgramFn;
  /** The activation in the implementation's value types (done once per request, outside the timed loop). */
  activation(activation: CelActivation): CelInput;
}

/** CEL integers are 64-bit: implementations that follow the spec take them as BigInt. */
function withBigIntegers(activation: CelActivation): CelInput {
  return {
    ...activation,
    pod: {
      ...activation.pod,
      containers: activation.pod.containers.map((c) => ({
        ...c,
        runAsUser: c.runAsUser === null ? null : BigInt(c.runAsUser),
        ports: c.ports.map((port) => BigInt(port)),
      })),
    },
  };
}

// One environment for every program: the custom functions registered once, as an API server does.
let marcbachmannEnvironment: Environment | undefined;
function marcbachmann(): Environment {
  marcbachmannEnvironment ??= new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false })
    .registerFunction('basename(string): string', (path: string) => path.slice(path.lastIndexOf('/') + 1))
    .registerFunction('imageRegistry(string): string', (image: string) => parseImageReference(image).registry)
    .registerFunction('capability(string): string', normaliseCapability);
  return marcbachmannEnvironment;
}

/** The implementations the baseline runs, the one expected to be fastest first. */
export const celImplementations = {
  marcbachmann: {
    package: `@marcbachmann/cel-js@${MARCBACHMANN_VERSION}`,
    dialect: 'member',
    compile: (source) => marcbachmann().parse(source) as CelProgramFn,
    activation: withBigIntegers,
  },
  celJs08: {
    package: `cel-js@${CEL_JS_VERSION}`,
    dialect: 'global',
    compile: (source) => {
      const result = parse(source);
      if (!result.isSuccess) throw new Error(result.errors.join('; '));
      const cst = result.cst;
      return (activation) => evaluate(cst, activation, celFunctions);
    },
    activation: (activation) => activation as unknown as CelInput,
  },
} as const satisfies Record<string, CelImplementation>;

export type CelImplementationName = keyof typeof celImplementations;

function parseOrThrow(implementation: CelImplementation, source: string, what: string): CelProgramFn {
  try {
    return implementation.compile(source);
  } catch (error) {
    throw new Error(`CEL of ${what} does not parse with ${implementation.package}: ${(error as Error).message}\n${source}`);
  }
}

function run(program: CelProgramFn, activation: CelInput, what: string): boolean {
  const value = program(activation);
  if (typeof value !== 'boolean') throw new Error(`CEL of ${what} returned ${typeof value}, not a boolean`);
  return value;
}

export interface CelProgram {
  readonly policy: string;
  readonly source: string;
  readonly program: CelProgramFn;
}

export interface CelEvaluator {
  readonly implementation: CelImplementation;
  readonly programs: readonly CelProgram[];
  readonly bypassSource: string;
  readonly translateMs: number;
  readonly parseMs: number;
  /** The activation of a request in this implementation's types (see celActivation); built outside the timed loop. */
  activation(request: DecisionRequest): CelInput;
  /** Names of the policies that would flag the request, in configuration order. */
  flagged(request: DecisionRequest, activation: CelInput): string[];
  /** Same evaluation, returning only how many policies flag (for the timed loop). */
  count(request: DecisionRequest, activation: CelInput): number;
}

/** Translates and parses every policy once, for one implementation (the fastest by default). */
export function compileCel(config: ConfigSnapshot, implementation: CelImplementation = celImplementations.marcbachmann): CelEvaluator {
  const { dialect } = implementation;
  let started = performance.now();
  const applicationScopes = new Map<string, string>([[GLOBAL_SCOPE, 'true']]);
  for (const scope of config.applicationScopes) {
    if (scope.name !== GLOBAL_SCOPE) applicationScopes.set(scope.name, `(${scopeToCel(dialect, scope.expression, scope.variables)})`);
  }
  const sources: Array<{ policy: string; source: string }> = [];
  for (const policy of config.policies) {
    const source = policyToCel(dialect, policy, applicationScopes);
    if (source !== undefined) sources.push({ policy: policy.name, source });
  }
  const bypassTerms = config.settings.bypassScopes.map((entry) => variableTest(dialect, entry));
  const bypassSource = bypassTerms.length === 0 ? 'false' : bypassTerms.join(' || ');
  const translateMs = performance.now() - started;

  started = performance.now();
  const programs = sources.map(({ policy, source }) => ({
    policy,
    source,
    program: parseOrThrow(implementation, source, `policy "${policy}"`),
  }));
  const bypass = parseOrThrow(implementation, bypassSource, 'the global bypass');
  const parseMs = performance.now() - started;

  const skip = (request: DecisionRequest, activation: CelInput): boolean =>
    run(bypass, activation, 'the global bypass') || (request.policyType === 'container' && !request.group.containerProtection);

  return {
    implementation,
    programs,
    bypassSource,
    translateMs,
    parseMs,
    activation: (request) => implementation.activation(celActivation(request)),
    flagged(request, activation) {
      if (skip(request, activation)) return [];
      return programs.filter((p) => run(p.program, activation, `policy "${p.policy}"`)).map((p) => p.policy);
    },
    count(request, activation) {
      if (skip(request, activation)) return 0;
      let flagged = 0;
      for (const program of programs) if (run(program.program, activation, program.policy)) flagged++;
      return flagged;
    },
  };
}
