import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../../infra/lambda-bundling.js';
import { compileNodePolicies, controlsForType, TETRAGON_LIMITS, type TracingPolicyObject } from '../../../layers/core/index.js';
import { tetragonProblems, upstreamExamplePolicies } from '../../support/tetragon-schema.js';
import { compileCases, config, enforcingGroup, policy, prodCluster } from './cases.js';

const goldenDir = join(repoRoot, 'test', 'fixtures', 'node-policies');
// Regenerate after a deliberate change of the output: VIGIL_UPDATE_GOLDEN=1 npx vitest run test/unit/node-policies
const updateGolden = process.env.VIGIL_UPDATE_GOLDEN === '1';

function asYaml(objects: readonly TracingPolicyObject[]): string {
  return objects.map((object) => YAML.stringify(object, { lineWidth: 0 })).join('---\n');
}

describe('the Tetragon schema check used by these tests', () => {
  it('accepts every upstream v1.7.0 example policy', () => {
    const examples = upstreamExamplePolicies();
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const { file, object } of examples) expect({ file, problems: tetragonProblems(object) }).toEqual({ file, problems: [] });
  });

  it('refuses fields v1.7.0 does not have, unknown operators, a namespaced hostSelector and limits the agent enforces', () => {
    const { object } = upstreamExamplePolicies()[0]!;
    expect(tetragonProblems({ ...object, spec: { ...object.spec, nodeSelector: {} } }).join()).toContain(
      '.spec.nodeSelector: unknown field',
    );
    const badOperator = structuredClone(object);
    badOperator.spec.lsmhooks[0].selectors[0].matchArgs[0].operator = 'Glob';
    expect(tetragonProblems(badOperator).join()).toMatch(/allowed values/);
    expect(
      tetragonProblems({
        ...object,
        kind: 'TracingPolicyNamespaced',
        metadata: { name: 'x', namespace: 'a' },
        spec: { ...object.spec, hostSelector: {} },
      }),
    ).toContain('spec.hostSelector: not allowed in a namespaced policy');
    const tooMany = structuredClone(object);
    tooMany.spec.lsmhooks[0].selectors = Array.from({ length: 6 }, () => object.spec.lsmhooks[0].selectors[0]);
    expect(tetragonProblems(tooMany).join()).toMatch(/more than 5 selectors/);
  });
});

describe('compileNodePolicies: golden output per control, scope form and mode', () => {
  for (const testCase of compileCases) {
    it(`${testCase.name} matches its golden file and validates against the v1.7.0 CRDs`, () => {
      const { objects } = testCase.compile();
      for (const object of objects)
        expect({ name: object.metadata.name, problems: tetragonProblems(object) }).toEqual({ name: object.metadata.name, problems: [] });
      const file = join(goldenDir, `${testCase.name}.yaml`);
      const text = asYaml(objects);
      if (updateGolden) writeFileSync(file, text);
      expect(existsSync(file), `golden file ${testCase.name}.yaml is missing`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }
});

function reportOf(name: string) {
  return compileCases.find((c) => c.name === name)!.compile().report;
}

describe('compileNodePolicies: fidelity report and index', () => {
  it('reports exact, approximate, impossible and admission controls with reasons', () => {
    const [report] = reportOf('container-drift-reverse-shell-exec').policies;
    const byControl = Object.fromEntries(report!.controls.map((c) => [c.control, c]));
    expect(byControl.driftPrevention).toMatchObject({ fidelity: 'approximate', action: 'block' });
    expect(byControl.driftPrevention!.reasons.join()).toMatch(/exception "\/tmp\/\*\/x" cannot be expressed/);
    expect(byControl.reverseShell!.reasons.join()).toMatch(/"example.com" is not an address/);
    expect(byControl.blockContainerExec).toMatchObject({ fidelity: 'approximate', action: 'block' });
    expect(byControl.forkGuard).toMatchObject({ fidelity: 'impossible', action: 'none', objects: [] });
    expect(byControl.readOnlyRootFilesystem).toMatchObject({ fidelity: 'admission', action: 'none', objects: [] });
  });

  it('widens what Tetragon cannot select, compiles a widened enforcing policy in monitor mode and says why', () => {
    const report = reportOf('scope-forms');
    const widened = report.policies.find((p) => p.policy === 'widened-pod')!;
    expect(widened).toMatchObject({ scopeWidened: true, action: 'detect' });
    expect(widened.widenedBecause.join()).toMatch(/kubernetes.pod "web-\*"/);
    expect(widened.controls[0]!.reasons.join()).toMatch(/monitor mode/);
    const entry = report.index.find((e) => e.policy === 'widened-pod')!;
    expect(entry).toMatchObject({
      action: 'detect',
      scopeWidened: true,
      control: 'blockedExecutables',
      policyType: 'container',
      policyVersion: 1,
    });
    expect(entry.scope.variables).toEqual([{ attribute: 'kubernetes.pod', value: 'web-*' }]);
    expect(entry.scope.bypassScopes.length).toBe(2);
  });

  it('keeps Block for a widened policy when over-blocking is accepted', () => {
    const compiled = compileNodePolicies(
      config([
        policy({
          name: 'w',
          type: 'container',
          enforcementMode: 'enforce',
          scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'image.tag', value: 'latest' }] },
          controls: { portBlock: { outbound: ['25'] } },
        }),
      ]),
      { ...prodCluster, allowOverBlocking: true },
    );
    expect(compiled.report.index[0]).toMatchObject({ action: 'block', scopeWidened: true });
    expect(compiled.objects[0]!.spec.options).toEqual([{ name: 'policy-mode', value: 'enforce' }]);
  });

  it('compiles nothing for disabled policies and scopes that cannot hold on the cluster, and says so', () => {
    const report = reportOf('scope-forms');
    expect(report.policies.find((p) => p.policy === 'disabled')).toMatchObject({
      applies: false,
      reason: 'the policy is disabled',
      action: 'none',
    });
    expect(report.policies.find((p) => p.policy === 'other-cluster')).toMatchObject({ applies: false, action: 'none' });
    expect(report.index.map((e) => e.policy)).not.toContain('other-cluster');
  });

  it('lowers OR-ed application scopes to one namespace In list and expands namespace globs against known namespaces', () => {
    const { objects } = compileCases.find((c) => c.name === 'scope-forms')!.compile();
    const byPolicy = (name: string) => objects.filter((o) => o.metadata.annotations['vigil.dev/policy'] === name);
    expect(byPolicy('apps-or')[0]!.spec.podSelector).toEqual({
      matchExpressions: [{ key: 'k8s:io.kubernetes.pod.namespace', operator: 'In', values: ['billing', 'payments', 'shop'] }],
    });
    expect(byPolicy('ns-glob')[0]!.spec.podSelector).toEqual({
      matchExpressions: [
        { key: 'k8s:io.kubernetes.pod.namespace', operator: 'In', values: ['team-a', 'team-b'] },
        { key: 'tier', operator: 'NotIn', values: ['debug'] },
      ],
    });
    // The default bypass (kube-system) becomes NotIn on the namespace key.
    expect(byPolicy('widened-pod')[0]!.spec.podSelector).toEqual({
      matchExpressions: [{ key: 'k8s:io.kubernetes.pod.namespace', operator: 'NotIn', values: ['kube-system'] }],
    });
  });

  it('chooses monitor unless the policy enforces, the group enforces and the group protects the policy type', () => {
    const modes = [
      [true, true, true, 'enforce'],
      [false, true, true, 'monitor'],
      [true, false, true, 'monitor'],
      [true, true, false, 'monitor'],
    ] as const;
    for (const [policyEnforces, groupEnforces, protection, expected] of modes) {
      for (const type of ['container', 'host'] as const) {
        const compiled = compileNodePolicies(
          config([
            policy({
              name: 'm',
              type,
              enforcementMode: policyEnforces ? 'enforce' : 'audit',
              controls: { portBlock: { outbound: ['25'] } },
            }),
          ]),
          {
            cluster: 'c',
            group: {
              ...enforcingGroup,
              enforce: groupEnforces,
              containerProtection: type === 'container' ? protection : true,
              hostProtection: type === 'host' ? protection : true,
            },
          },
        );
        const [object] = compiled.objects;
        expect({ type, policyEnforces, groupEnforces, protection, mode: object!.spec.options[0]!.value }).toEqual({
          type,
          policyEnforces,
          groupEnforces,
          protection,
          mode: expected,
        });
        // A monitor policy carries no refusal, so no event of it can claim one.
        const actions = object!.spec.lsmhooks.flatMap((hook) => hook.selectors.flatMap((s) => s.matchActions.map((a) => a.action)));
        expect(actions.includes('Override')).toBe(expected === 'enforce');
      }
    }
  });

  it('records file integrity events with a rate limit whatever the mode', () => {
    const { objects } = compileCases.find((c) => c.name === 'container-file-integrity-monitoring')!.compile();
    const actions = objects.flatMap((o) => o.spec.lsmhooks.flatMap((h) => h.selectors.flatMap((s) => s.matchActions)));
    expect(new Set(actions.map((a) => JSON.stringify(a)))).toEqual(new Set([JSON.stringify({ action: 'Post', rateLimit: '1m' })]));
    expect(objects.every((o) => o.spec.options[0]!.value === 'monitor')).toBe(true);
  });
});

describe('compileNodePolicies: names, splitting and determinism', () => {
  it('splits a large block list over several objects within the per-hook and per-selector limits', () => {
    const { objects, report } = compileCases.find((c) => c.name === 'split-large-block-list')!.compile();
    expect(objects.length).toBe(Math.ceil(Math.ceil(700 / TETRAGON_LIMITS.valuesPerMatchArg) / TETRAGON_LIMITS.selectorsPerHook));
    const values = objects.flatMap((o) =>
      o.spec.lsmhooks.flatMap((h) => h.selectors.flatMap((s) => s.matchArgs?.flatMap((a) => a.values) ?? [])),
    );
    expect(new Set(values).size).toBe(700);
    expect(objects.map((o) => o.metadata.annotations['vigil.dev/part'])).toEqual(['1/3', '2/3', '3/3']);
    expect(report.policies[0]!.controls[0]!.objects).toEqual(objects.map((o) => o.metadata.name));
  });

  it('names objects as DNS-1123 labels that stay stable across edits and differ per policy, type and control', () => {
    const long = 'A Very Long Policy Name With Spaces And_Underscores.and.dots that goes on and on';
    const compile = (version: number, executables: string[]) =>
      compileNodePolicies(
        config([
          policy({
            name: long,
            type: 'container',
            version,
            controls: { blockedExecutables: { executables }, portBlock: { outbound: ['1'] } },
          }),
        ]),
        prodCluster,
      ).objects.map((o) => o.metadata.name);
    const first = compile(1, ['/a']);
    expect(compile(7, ['/b', '/c'])).toEqual(first);
    expect(new Set(first).size).toBe(2);
    for (const name of first) expect(name).toMatch(/^vigil-a-very-long-policy-name-(exec-block|ports)-[0-9a-f]{10}$/);
    const host = compileNodePolicies(
      config([policy({ name: long, type: 'host', controls: { portBlock: { outbound: ['1'] } } })]),
      prodCluster,
    ).objects[0]!.metadata.name;
    expect(first).not.toContain(host);
  });

  it('gives the same bytes for the same configuration in any order', () => {
    const c = compileCases.find((x) => x.name === 'scope-forms')!.compile();
    const shuffled = compileNodePolicies(
      {
        ...config([]),
        policies: [...c.report.policies]
          .reverse()
          .map((p) => policy({ name: p.policy, type: p.type, controls: { blockedExecutables: { executables: ['/usr/bin/nc'] } } })),
      },
      prodCluster,
    );
    const again = compileNodePolicies(
      {
        ...config([]),
        policies: c.report.policies.map((p) =>
          policy({ name: p.policy, type: p.type, controls: { blockedExecutables: { executables: ['/usr/bin/nc'] } } }),
        ),
      },
      prodCluster,
    );
    expect(JSON.stringify(shuffled)).toBe(JSON.stringify(again));
    expect(JSON.stringify(compileCases[0]!.compile())).toBe(JSON.stringify(compileCases[0]!.compile()));
  });
});

describe('compileNodePolicies: property', () => {
  const glob = fc.oneof(
    fc.constantFrom('/usr/bin/nc', 'curl', '*', '/opt/*', '*.sh', '/a*b', '*mid*', '/tmp/x', 'a/b*c', '**'),
    fc.stringMatching(/^[/a-z*.]{1,300}$/),
  );
  const port = fc.oneof(
    fc.integer({ min: 0, max: 65535 }).map(String),
    fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })).map(([a, b]) => `${a}-${b}`),
  );
  const attribute = fc.constantFrom(
    'kubernetes.namespace',
    'kubernetes.label',
    'container.name',
    'kubernetes.pod',
    'kubernetes.cluster',
    'enforcer.group',
    'container.label',
    'image.tag',
    'os.hostname',
    'host.label',
  );
  const variable = fc.record({
    attribute,
    name: fc.constantFrom('app', 'io.kubernetes.pod.namespace', 'a/b', 'bad key'),
    value: fc.constantFrom('shop', 'team-*', '*', 'a/b', 'prod-eks', 'default', 'x'.repeat(70)),
  });
  const expression = fc.constantFrom('', 'v1', '!v1', 'v1 && v2', 'v1 || v2', '!(v1 || v2)', '(v1 && !v2) || v1', '!(v1 && v2)');
  const controlSettings = fc.record({
    blockedExecutables: fc.record({ executables: fc.array(glob, { maxLength: 200 }) }),
    driftPrevention: fc.record({ allowedExecutables: fc.array(glob, { maxLength: 300 }) }),
    reverseShell: fc.record({
      allowedProcesses: fc.array(glob, { maxLength: 5 }),
      allowedIps: fc.array(fc.constantFrom('10.0.0.0/8', '1.2.*.*', '::1', 'x', '300.1.1.1', '1.2.3.4/40'), { maxLength: 400 }),
    }),
    blockContainerExec: fc.record({ allowedProcesses: fc.array(glob, { maxLength: 400 }) }),
    portBlock: fc.record({ inbound: fc.array(port, { maxLength: 300 }), outbound: fc.array(port, { maxLength: 10 }) }),
    readOnlyFiles: fc.record({ paths: fc.array(glob, { maxLength: 100 }), exceptions: fc.array(glob, { maxLength: 400 }) }),
    fileIntegrityMonitoring: fc.record({
      paths: fc.array(glob, { maxLength: 20 }),
      exceptions: fc.array(glob, { maxLength: 5 }),
      operations: fc.subarray(['create', 'read', 'modify', 'delete', 'attributes']),
    }),
    forkGuard: fc.constant({}),
  });
  const policyArbitrary = fc.record({
    name: fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/),
    type: fc.constantFrom('container', 'host'),
    enforcementMode: fc.constantFrom('audit', 'enforce'),
    enabled: fc.boolean(),
    expression,
    variables: fc.array(variable, { minLength: 2, maxLength: 2 }),
    controls: controlSettings,
  });

  it('never throws and every object validates against the v1.7.0 CRDs and the agent limits', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(policyArbitrary, { maxLength: 4, selector: (p) => `${p.type}/${p.name}` }),
        fc.boolean(),
        fc.boolean(),
        (specs, enforce, overBlock) => {
          const policies = specs.map((spec) => {
            const variableCount = spec.expression.includes('v2') ? 2 : spec.expression.includes('v1') ? 1 : 0;
            const keyed = (v: (typeof spec.variables)[number]) =>
              ['kubernetes.label', 'container.label', 'host.label'].includes(v.attribute);
            const variables = spec.variables
              .slice(0, variableCount)
              .map((v) => (keyed(v) ? v : { attribute: v.attribute, value: v.value }));
            const controls =
              spec.type === 'host'
                ? {
                    blockedExecutables: spec.controls.blockedExecutables,
                    portBlock: spec.controls.portBlock,
                    readOnlyFiles: spec.controls.readOnlyFiles,
                    fileIntegrityMonitoring: spec.controls.fileIntegrityMonitoring,
                    osUsers: {},
                    loginAuditing: {},
                  }
                : spec.controls;
            return policy({
              name: spec.name,
              type: spec.type,
              enabled: spec.enabled,
              enforcementMode: spec.enforcementMode,
              scope: { applicationScopes: ['Global'], expression: spec.expression, variables },
              controls,
            });
          });
          const compiled = compileNodePolicies(config(policies), {
            cluster: 'prod-eks',
            group: { ...enforcingGroup, enforce },
            allowOverBlocking: overBlock,
            namespaces: ['shop', 'team-a'],
          });
          const names = compiled.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
          expect(new Set(names).size).toBe(names.length);
          for (const object of compiled.objects) expect(tetragonProblems(object)).toEqual([]);
          expect(compiled.report.index.length).toBe(compiled.objects.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('knows every node-level control of the catalog', () => {
    // A control added to the catalog for agents must be given a lowering (or an explicit "impossible").
    for (const type of ['container', 'host'] as const)
      for (const [key, definition] of controlsForType(type))
        if (definition.enforcedBy.includes('agent') && !['limitContainerPrivileges'].includes(key))
          expect({
            key,
            report: compileNodePolicies(config([policy({ name: 'p', type, controls: { [key]: {} } })]), prodCluster).report.policies[0]!
              .controls[0]!.fidelity,
          }).not.toEqual({ key, report: 'admission' });
  });
});
