import { describe, expect, it } from 'vitest';
import { applicationScopeSchema, enforcerGroupSchema, enforcerSettingsSchema, policySchema } from '../../../layers/core/index.js';

function issues(result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) {
  return (result.error?.issues ?? []).map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('policySchema', () => {
  it('fills defaults so that {"enabled": true} is a complete control', () => {
    const policy = policySchema.parse({ name: 'exec-guard', type: 'container', controls: { blockContainerExec: { enabled: true } } });
    expect(policy).toMatchObject({
      enabled: true,
      enforcementMode: 'audit',
      scope: { applicationScopes: ['Global'], expression: '', variables: [] },
      controls: { blockContainerExec: { enabled: true, allowedProcesses: [] } },
    });
  });

  it('rejects unknown fields and names their path', () => {
    const result = policySchema.safeParse({
      name: 'p',
      type: 'container',
      colour: 'red',
      controls: { blockContainerExec: { enabled: true, allowedProcess: [] } },
    });
    expect(result.success).toBe(false);
    const paths = issues(result).map((i) => i.path);
    expect(paths).toContain('');
    expect(paths).toContain('controls.blockContainerExec');
    expect(JSON.stringify(result.error?.issues)).toContain('colour');
    expect(JSON.stringify(result.error?.issues)).toContain('allowedProcess');
  });

  it('rejects a control of another policy type with a message listing the allowed ones', () => {
    const result = policySchema.safeParse({ name: 'p', type: 'function', controls: { blockContainerExec: { enabled: true } } });
    expect(issues(result)).toEqual([
      {
        path: 'controls',
        message: expect.stringMatching(
          /^"blockContainerExec" is not a control of function policies \(allowed: blockedExecutables, /,
        ) as string,
      },
    ]);
  });

  it('rejects an unknown policy type', () => {
    expect(issues(policySchema.safeParse({ name: 'p', type: 'vm' }))).toEqual([
      { path: 'type', message: '"type" must be one of container, function, host' },
    ]);
  });

  it.each([
    ['', 'must not be empty'],
    [' padded', 'must not start or end with a space'],
    ['a/b', 'may contain only'],
    ['x'.repeat(129), 'at most 128'],
  ])('rejects the name %j', (name, message) => {
    const result = policySchema.safeParse({ name, type: 'container' });
    expect(issues(result)[0]?.path).toBe('name');
    expect(issues(result)[0]?.message).toContain(message);
  });

  it('requires exactly one of at and afterDays in an enforcement-mode change', () => {
    expect(issues(policySchema.safeParse({ name: 'p', type: 'container', enforcementModeChange: { to: 'enforce' } }))[0]?.path).toBe(
      'enforcementModeChange',
    );
    expect(
      issues(
        policySchema.safeParse({
          name: 'p',
          type: 'container',
          enforcementModeChange: { to: 'enforce', afterDays: 3, at: '2026-12-01T09:00:00Z' },
        }),
      )[0]?.path,
    ).toBe('enforcementModeChange');
    expect(policySchema.safeParse({ name: 'p', type: 'container', enforcementModeChange: { to: 'enforce', afterDays: 3 } }).success).toBe(
      true,
    );
    expect(policySchema.safeParse({ name: 'p', type: 'container', enforcementModeChange: null }).success).toBe(true);
  });

  it('rejects a change to the mode the policy already has', () => {
    const result = policySchema.safeParse({
      name: 'p',
      type: 'container',
      enforcementMode: 'enforce',
      enforcementModeChange: { to: 'enforce', afterDays: 1 },
    });
    expect(issues(result)).toEqual([{ path: 'enforcementModeChange.to', message: expect.stringContaining('must differ') as string }]);
  });

  it('accepts server-managed fields so that a GET body can be sent back', () => {
    const result = policySchema.safeParse({
      name: 'p',
      type: 'container',
      version: 4,
      createdAt: 'x',
      updatedAt: 'y',
      updatedBy: 'z',
      enforcementModeChange: { to: 'enforce', afterDays: 3, scheduledFor: '2026-12-01T09:00:00Z', state: 'pending', id: 'c1' },
    });
    expect(result.success).toBe(true);
  });

  it('reports scope expression errors at the expression with their position', () => {
    const result = policySchema.safeParse({
      name: 'p',
      type: 'container',
      scope: { applicationScopes: ['Global'], expression: 'v1 && v3', variables: [{ attribute: 'kubernetes.namespace', value: 'x' }] },
    });
    expect(issues(result)).toEqual([{ path: 'scope.expression', message: expect.stringContaining('v3') as string }]);
    expect(JSON.stringify(result.error?.issues)).toContain('"position":6');
  });

  it('rejects unknown attributes, keyed attributes without a name and unkeyed ones with a name', () => {
    const result = policySchema.safeParse({
      name: 'p',
      type: 'container',
      scope: {
        expression: 'v1 && v2 && v3',
        variables: [
          { attribute: 'kubernetes.colour', value: 'x' },
          { attribute: 'kubernetes.label', value: 'web' },
          { attribute: 'kubernetes.namespace', name: 'n', value: 'x' },
        ],
      },
    });
    expect(issues(result).map((i) => i.path)).toEqual(['scope.variables.0.attribute', 'scope.variables.1.name', 'scope.variables.2.name']);
  });

  it('rejects variables that the expression does not use, and variables without an expression', () => {
    const unused = policySchema.safeParse({
      name: 'p',
      type: 'container',
      scope: {
        expression: 'v1',
        variables: [
          { attribute: 'kubernetes.namespace', value: 'a' },
          { attribute: 'kubernetes.namespace', value: 'b' },
        ],
      },
    });
    expect(issues(unused)).toEqual([{ path: 'scope.variables.1', message: 'variable v2 is not used in the expression' }]);
    const noExpression = policySchema.safeParse({
      name: 'p',
      type: 'container',
      scope: { variables: [{ attribute: 'kubernetes.namespace', value: 'a' }] },
    });
    expect(issues(noExpression)[0]?.path).toBe('scope.expression');
  });

  it('requires at least one application scope', () => {
    expect(issues(policySchema.safeParse({ name: 'p', type: 'container', scope: { applicationScopes: [] } }))[0]?.path).toBe(
      'scope.applicationScopes',
    );
  });

  it('validates control options with their paths', () => {
    const result = policySchema.safeParse({
      name: 'p',
      type: 'function',
      controls: { honeypot: { enabled: true, accessKeyId: 'not-a-key', applyOn: ['registry'] }, networkEgress: { allowedPorts: [70000] } },
    });
    expect(
      issues(result)
        .map((i) => i.path)
        .sort(),
    ).toEqual(['controls.honeypot.accessKeyId', 'controls.honeypot.applyOn.0', 'controls.networkEgress.allowedPorts.0']);
  });
});

describe('applicationScopeSchema', () => {
  it('accepts a named selector with a formula', () => {
    const scope = applicationScopeSchema.parse({
      name: 'payments-prod',
      expression: 'v1 && v2',
      variables: [
        { attribute: 'kubernetes.cluster', value: 'prod-*' },
        { attribute: 'kubernetes.namespace', value: 'payments' },
      ],
    });
    expect(scope.variables).toHaveLength(2);
  });

  it('rejects more than 64 variables', () => {
    const variables = Array.from({ length: 65 }, (_, i) => ({ attribute: 'kubernetes.namespace', value: `n${i}` }));
    const expression = variables.map((_, i) => `v${i + 1}`).join(' || ');
    expect(issues(applicationScopeSchema.safeParse({ name: 's', expression, variables })).map((i) => i.path)).toContain('variables');
  });
});

describe('enforcerSettingsSchema', () => {
  it('starts with the two kube-system bypass entries', () => {
    expect(enforcerSettingsSchema.parse({})).toEqual({
      bypassScopes: [
        { attribute: 'container.label', name: 'io.kubernetes.pod.namespace', value: 'kube-system' },
        { attribute: 'kubernetes.namespace', value: 'kube-system' },
      ],
      admissionWarnings: true,
      auditRetentionDays: 90,
    });
  });

  it('accepts the dotted string form and normalises it', () => {
    const settings = enforcerSettingsSchema.parse({
      bypassScopes: ['container.label."io.kubernetes.pod.namespace"."kube-system"', 'kubernetes.namespace.kube-system'],
    });
    expect(settings.bypassScopes).toEqual(enforcerSettingsSchema.parse({}).bypassScopes);
  });

  it('explains a dotted entry it cannot read, at its index', () => {
    const result = enforcerSettingsSchema.safeParse({ bypassScopes: ['kubernetes.namespace.ok', 'pod.colour.red'] });
    expect(issues(result)).toEqual([{ path: 'bypassScopes.1', message: expect.stringContaining('known attribute') as string }]);
  });
});

describe('enforcerGroupSchema', () => {
  it('defaults to audit only, protections on, fail open, and kube-system exempt when failing closed', () => {
    expect(enforcerGroupSchema.parse({ name: 'g', type: 'kube_enforcer' })).toEqual({
      name: 'g',
      type: 'kube_enforcer',
      enforce: false,
      containerProtection: true,
      hostProtection: true,
      failMode: 'open',
      timeoutSeconds: 5,
      exemptKubeSystem: true,
    });
  });

  it('bounds the webhook timeout to what Kubernetes accepts', () => {
    expect(issues(enforcerGroupSchema.safeParse({ name: 'g', type: 'kube_enforcer', timeoutSeconds: 31 }))[0]?.path).toBe('timeoutSeconds');
  });
});
