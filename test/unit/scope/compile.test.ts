import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  ANY_WORKLOAD,
  NO_WORKLOAD,
  ScopeParseError,
  compileScope,
  compileScopeAssuming,
  compileVariable,
  formatScopeExpression,
  scopeConstraints,
  valueTokens,
  parseScopeExpression,
  workloadAttributes,
} from '../../../layers/core/scope/index.js';
import type { ScopeExpression, ScopeVariable, WorkloadAttributes } from '../../../layers/core/scope/index.js';

/** Reference glob: dynamic programming, independent of the compiled matcher. */
function referenceGlob(pattern: string, value: string): boolean {
  let row: boolean[] = Array.from({ length: value.length + 1 }, (_, j) => j === 0);
  for (const p of pattern) {
    const next: boolean[] = new Array<boolean>(value.length + 1).fill(false);
    if (p === '*') {
      next[0] = row[0]!;
      for (let j = 1; j <= value.length; j++) next[j] = row[j]! || next[j - 1]!;
    } else {
      for (let j = 1; j <= value.length; j++) next[j] = row[j - 1]! && value[j - 1] === p;
    }
    row = next;
  }
  return row[value.length]!;
}

/** Naive interpreter: walks the tree for every evaluation. */
function interpret(expr: ScopeExpression, variables: readonly ScopeVariable[], workload: WorkloadAttributes): boolean {
  switch (expr.kind) {
    case 'var': {
      const variable = variables[expr.index - 1]!;
      if (variable.name !== undefined) {
        const value = workload.keyed.get(variable.attribute)?.get(variable.name);
        return value !== undefined && referenceGlob(variable.value, value);
      }
      return (workload.values.get(variable.attribute) ?? []).some((value) => referenceGlob(variable.value, value));
    }
    case 'not':
      return !interpret(expr.operand, variables, workload);
    case 'and':
      return interpret(expr.left, variables, workload) && interpret(expr.right, variables, workload);
    case 'or':
      return interpret(expr.left, variables, workload) || interpret(expr.right, variables, workload);
  }
}

function expressionArbitrary(maxDepth: number, variableCount: number): fc.Arbitrary<ScopeExpression> {
  const leaf: fc.Arbitrary<ScopeExpression> = fc
    .integer({ min: 1, max: variableCount })
    .map((index) => ({ kind: 'var', index, position: 0 }));
  let current = leaf;
  for (let depth = 1; depth <= maxDepth; depth++) {
    const child = current;
    current = fc.oneof(
      { arbitrary: leaf, weight: 3 },
      { arbitrary: child.map((operand): ScopeExpression => ({ kind: 'not', operand })), weight: 1 },
      { arbitrary: fc.tuple(child, child).map(([left, right]): ScopeExpression => ({ kind: 'and', left, right })), weight: 2 },
      { arbitrary: fc.tuple(child, child).map(([left, right]): ScopeExpression => ({ kind: 'or', left, right })), weight: 2 },
    );
  }
  return current;
}

const ATTRIBUTES = ['image', 'namespace', 'labels'] as const;
const LABEL_NAMES = ['app', 'team', '__proto__'] as const;
// A small vocabulary makes literal patterns and workload values collide often,
// which is where conjunctions over multi-valued attributes get interesting.
const VOCABULARY = ['', 'a', 'b', 'ab', 'ba'] as const;
const text = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...VOCABULARY),
    fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 3 }),
    fc.string({ unit: fc.constantFrom('a', '/', ':'), maxLength: 6 }),
  );
// "/" and ":" are token delimiters: patterns such as `*/a:*` exercise the token constraints.
const pattern = fc.oneof(
  fc.constantFrom(...VOCABULARY, '*/a:*', '*:b/*'),
  fc.string({ unit: fc.constantFrom('a', 'b', '*'), maxLength: 3 }),
  fc.string({ unit: fc.constantFrom('a', '*', '/', ':'), maxLength: 6 }),
);

const variableArbitrary: fc.Arbitrary<ScopeVariable> = fc.oneof(
  { arbitrary: fc.record({ attribute: fc.constantFrom(...ATTRIBUTES), value: pattern }), weight: 3 },
  {
    arbitrary: fc.record({ attribute: fc.constantFrom(...ATTRIBUTES), name: fc.constantFrom(...LABEL_NAMES), value: pattern }),
    weight: 1,
  },
);

// Each attribute is usually present, sometimes missing, so that both the
// "unknown is false" rule and multi-valued matches are exercised.
const presentMostly = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { freq: 4, nil: undefined });
const workloadArbitrary: fc.Arbitrary<WorkloadAttributes> = fc
  .tuple(
    fc.tuple(
      ...ATTRIBUTES.map((attribute) => presentMostly(fc.array(text(), { maxLength: 4 })).map((values) => [attribute, values] as const)),
    ),
    fc.tuple(
      ...ATTRIBUTES.map((attribute) =>
        presentMostly(fc.array(fc.tuple(fc.constantFrom(...LABEL_NAMES), text()), { maxLength: 3 })).map(
          (entries) => [attribute, entries] as const,
        ),
      ),
    ),
  )
  .map(([values, keyed]) => ({
    values: new Map(values.flatMap(([attribute, list]) => (list === undefined ? [] : [[attribute, list] as const]))),
    keyed: new Map(keyed.flatMap(([attribute, entries]) => (entries === undefined ? [] : [[attribute, new Map(entries)] as const]))),
  }));

const scopeArbitrary = fc.integer({ min: 1, max: 5 }).chain((count) =>
  fc.record({
    tree: expressionArbitrary(6, count),
    variables: fc.array(variableArbitrary, { minLength: count, maxLength: count }),
  }),
);

/** Records which attributes a predicate looked up, to observe short-circuiting. */
class RecordingMap<K, V> extends Map<K, V> {
  readonly lookups: K[] = [];
  override get(key: K): V | undefined {
    this.lookups.push(key);
    return super.get(key);
  }
}

const nginx = workloadAttributes(
  { image: ['docker.io/library/nginx:1.25', 'docker.io/envoyproxy/envoy:v1.30'], namespace: 'web' },
  { labels: { app: 'frontend', team: 'payments' } },
);

describe('compileVariable', () => {
  it('matches an unkeyed attribute when any of its values matches', () => {
    expect(compileVariable({ attribute: 'image', value: '*/envoy:*' })(nginx)).toBe(true);
    expect(compileVariable({ attribute: 'image', value: '*/nginx:*' })(nginx)).toBe(true);
    expect(compileVariable({ attribute: 'image', value: '*/redis:*' })(nginx)).toBe(false);
  });

  it('matches a keyed attribute by name', () => {
    expect(compileVariable({ attribute: 'labels', name: 'app', value: 'front*' })(nginx)).toBe(true);
    expect(compileVariable({ attribute: 'labels', name: 'team', value: 'front*' })(nginx)).toBe(false);
  });

  it('is false when the attribute or key is unknown', () => {
    expect(compileVariable({ attribute: 'account', value: '*' })(nginx)).toBe(false);
    expect(compileVariable({ attribute: 'labels', name: 'tier', value: '*' })(nginx)).toBe(false);
    expect(compileVariable({ attribute: 'tags', name: 'app', value: '*' })(nginx)).toBe(false);
  });

  it('does not confuse keyed and unkeyed attributes of the same name', () => {
    const workload = workloadAttributes({ labels: 'frontend' });
    expect(compileVariable({ attribute: 'labels', value: 'frontend' })(workload)).toBe(true);
    expect(compileVariable({ attribute: 'labels', name: 'app', value: 'frontend' })(workload)).toBe(false);
  });

  it('is false for an attribute present with no values', () => {
    expect(compileVariable({ attribute: 'image', value: '*' })(workloadAttributes({ image: [] }))).toBe(false);
  });

  it('treats "__proto__" as an ordinary label name', () => {
    const keyed = JSON.parse('{"labels":{"__proto__":"evil","constructor":"x"}}') as Record<string, Record<string, string>>;
    const workload = workloadAttributes({}, keyed);
    expect(compileVariable({ attribute: 'labels', name: '__proto__', value: 'evil' })(workload)).toBe(true);
    expect(compileVariable({ attribute: 'labels', name: 'constructor', value: 'x' })(workload)).toBe(true);
    expect(compileVariable({ attribute: 'labels', name: 'toString', value: '*' })(workload)).toBe(false);
    expect(compileVariable({ attribute: 'labels', name: '__proto__', value: '*' })(nginx)).toBe(false);
  });
});

describe('compileScope', () => {
  const variables: readonly ScopeVariable[] = [
    { attribute: 'namespace', value: 'web' },
    { attribute: 'image', value: '*/redis:*' },
    { attribute: 'labels', name: 'team', value: 'pay*' },
  ];

  it('applies to every workload when the expression is blank', () => {
    for (const expression of [undefined, '', '  \n']) {
      expect(compileScope(expression, variables)(nginx)).toBe(true);
      expect(compileScope(expression, [])(workloadAttributes({}))).toBe(true);
    }
  });

  it('evaluates the formula over the variables', () => {
    expect(compileScope('v1 && v3', variables)(nginx)).toBe(true);
    expect(compileScope('v1 && v2', variables)(nginx)).toBe(false);
    expect(compileScope('v2 || v3', variables)(nginx)).toBe(true);
    expect(compileScope('v1 && !v2', variables)(nginx)).toBe(true);
    expect(compileScope('!(v1 || v2)', variables)(nginx)).toBe(false);
  });

  it('treats a variable on a missing attribute as false, so its negation is true', () => {
    const unknown = workloadAttributes({ image: 'nginx' });
    expect(compileScope('v1', variables)(unknown)).toBe(false);
    expect(compileScope('!v1', variables)(unknown)).toBe(true);
    expect(compileScope('v3', variables)(unknown)).toBe(false);
    expect(compileScope('!v3', variables)(unknown)).toBe(true);
  });

  it('short-circuits "&&" and "||"', () => {
    const values = new RecordingMap<string, readonly string[]>([['namespace', ['web']]]);
    const workload: WorkloadAttributes = { values, keyed: new Map() };
    expect(compileScope('v1 || v2', variables)(workload)).toBe(true);
    expect(values.lookups).toEqual(['namespace']);
    values.lookups.length = 0;
    expect(compileScope('!v1 && v2', variables)(workload)).toBe(false);
    expect(values.lookups).toEqual(['namespace']);
  });

  it('can be evaluated many times with the same result', () => {
    const scope = compileScope('v1 && (v2 || v3)', variables);
    const other = workloadAttributes({ namespace: 'batch' });
    for (let i = 0; i < 3; i++) {
      expect(scope(nginx)).toBe(true);
      expect(scope(other)).toBe(false);
    }
  });

  it('rejects a malformed formula with a ScopeParseError', () => {
    expect(() => compileScope('v1 &&', variables)).toThrow(ScopeParseError);
    expect(() => compileScope('v4', variables)).toThrow(expect.objectContaining({ code: 'unknown_variable', position: 0 }));
  });

  it('agrees with a naive interpreter on random scopes and workloads', () => {
    fc.assert(
      fc.property(scopeArbitrary, fc.array(workloadArbitrary, { minLength: 1, maxLength: 4 }), ({ tree, variables: vars }, workloads) => {
        const expression = formatScopeExpression(tree);
        const scope = compileScope(expression, vars);
        const parsed = parseScopeExpression(expression, vars.length);
        for (const workload of workloads) expect(scope(workload)).toBe(interpret(parsed, vars, workload));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('compileScopeAssuming', () => {
  const variables: readonly ScopeVariable[] = [
    { attribute: 'namespace', value: 'web' },
    { attribute: 'image', value: '*/redis:*' },
  ];

  it('folds variables known to hold, down to a constant where the formula is decided', () => {
    const known = new Set([1]);
    expect(compileScopeAssuming('v1 || v2', variables, known)).toBe(ANY_WORKLOAD);
    expect(compileScopeAssuming('v1 && !v1', variables, known)).toBe(NO_WORKLOAD);
    const rest = compileScopeAssuming('v1 && v2', variables, known);
    expect(rest(workloadAttributes({ namespace: 'web', image: 'docker.io/library/redis:7' }))).toBe(true);
    expect(rest(workloadAttributes({ namespace: 'web', image: 'nginx' }))).toBe(false);
  });

  it('agrees with compileScope on every workload that satisfies the variables assumed', () => {
    fc.assert(
      fc.property(
        scopeArbitrary,
        workloadArbitrary,
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        ({ tree, variables: vars }, workload, pick) => {
          const expression = formatScopeExpression(tree);
          // Assume a random subset of the variables that do hold for this workload.
          const holding = new Set(vars.flatMap((variable, i) => (pick[i] && compileVariable(variable)(workload) ? [i + 1] : [])));
          expect(compileScopeAssuming(expression, vars, holding)(workload)).toBe(compileScope(expression, vars)(workload));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('scopeConstraints', () => {
  const variables: readonly ScopeVariable[] = [
    { attribute: 'image', value: 'nginx:1.25' },
    { attribute: 'image', value: 'redis:7' },
    { attribute: 'image', value: 'envoy:*' },
    { attribute: 'namespace', value: 'web' },
    { attribute: 'label', name: 'app', value: 'api' },
    { attribute: 'image', value: 'busybox' },
    { attribute: 'image', value: '*/api:*' },
    { attribute: 'namespace', value: '*-prod' },
    { attribute: 'namespace', value: '*a*' },
  ];
  const constraints = (expression: string | undefined) =>
    Object.fromEntries(
      [...scopeConstraints(expression, variables).values()].map((e) => [
        `${e.dimension.kind} ${e.dimension.attribute}${e.dimension.name ? `.${e.dimension.name}` : ''}`,
        [...e.values].sort(),
      ]),
    );

  it('constrains nothing for a blank expression or under a negation', () => {
    expect(constraints(undefined)).toEqual({});
    expect(constraints(' ')).toEqual({});
    expect(constraints('!v1')).toEqual({});
  });

  it('derives exact, prefix, suffix, token and keyed constraints from variables', () => {
    expect(constraints('v1')).toEqual({ 'exact image': ['nginx:1.25'] });
    expect(constraints('v3')).toEqual({ 'prefix image': ['envoy:'] });
    expect(constraints('v8')).toEqual({ 'suffix namespace': ['-prod'] });
    expect(constraints('v7')).toEqual({ 'token image': ['api'] });
    expect(constraints('v5')).toEqual({ 'exact label.app': ['api'] });
    expect(constraints('v9')).toEqual({});
  });

  it('keeps every side of a conjunction, and the smaller set where both constrain one dimension', () => {
    expect(constraints('v1 && v4')).toEqual({ 'exact image': ['nginx:1.25'], 'exact namespace': ['web'] });
    // A pod running both nginx and redis satisfies v1 && v2: an empty intersection would hide it.
    const both = workloadAttributes({ image: ['nginx:1.25', 'redis:7'] });
    expect(compileScope('v1 && v2', variables)(both)).toBe(true);
    expect(constraints('v1 && v2')).toEqual({ 'exact image': ['nginx:1.25'] });
  });

  it('keeps only what both sides of a disjunction constrain, with the union of values', () => {
    expect(constraints('v1 || v2')).toEqual({ 'exact image': ['nginx:1.25', 'redis:7'] });
    expect(constraints('v1 || v3')).toEqual({});
    expect(constraints('(v1 && v4) || (v2 && v4)')).toEqual({ 'exact image': ['nginx:1.25', 'redis:7'], 'exact namespace': ['web'] });
  });

  it('rejects a malformed formula with a ScopeParseError', () => {
    expect(() => constraints('v1 ||')).toThrow(ScopeParseError);
  });

  it('splits values into tokens at image and path delimiters', () => {
    expect(valueTokens('ghcr.io/acme/api:1.2@sha256:ab')).toEqual(['ghcr', 'io', 'acme', 'api', '1', '2', 'sha256', 'ab']);
    expect(valueTokens('::')).toEqual([]);
  });

  it('never rules out a workload the scope applies to', () => {
    const satisfies = (kind: string, value: string, required: string) =>
      kind === 'exact'
        ? value === required
        : kind === 'prefix'
          ? value.startsWith(required)
          : kind === 'suffix'
            ? value.endsWith(required)
            : valueTokens(value).includes(required);
    fc.assert(
      fc.property(scopeArbitrary, fc.array(workloadArbitrary, { minLength: 1, maxLength: 4 }), ({ tree, variables: vars }, workloads) => {
        const expression = formatScopeExpression(tree);
        const scope = compileScope(expression, vars);
        for (const { dimension, values } of scopeConstraints(expression, vars).values()) {
          for (const workload of workloads) {
            if (!scope(workload)) continue;
            const actual =
              dimension.name === undefined
                ? (workload.values.get(dimension.attribute) ?? [])
                : [workload.keyed.get(dimension.attribute)?.get(dimension.name)].filter((v): v is string => v !== undefined);
            expect(actual.some((value) => [...values].some((required) => satisfies(dimension.kind, value, required)))).toBe(true);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('workloadAttributes', () => {
  it('wraps single values and drops undefined entries', () => {
    const workload = workloadAttributes(
      { image: 'nginx', namespace: undefined, ports: ['80', '443'] },
      {
        labels: { app: 'web' },
        tags: undefined,
      },
    );
    expect([...workload.values]).toEqual([
      ['image', ['nginx']],
      ['ports', ['80', '443']],
    ]);
    expect([...workload.keyed.keys()]).toEqual(['labels']);
    expect(workload.keyed.get('labels')?.get('app')).toBe('web');
  });

  it('keeps own "__proto__" entries as data', () => {
    const values = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    const workload = workloadAttributes(values);
    expect(workload.values.get('__proto__')).toEqual(['x']);
    expect(workload.values.get('constructor')).toBeUndefined();
  });
});
