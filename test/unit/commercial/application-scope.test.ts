import { describe, expect, it } from 'vitest';
import { convertApplicationScope, scopeFormula } from '../../../layers/core/commercial/application-scope.js';

const kubernetes = { expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }] };
const hosts = { expression: 'v1', variables: [{ attribute: 'aqua.hostgroup', value: 'web' }] };

describe('converting an application scope of the commercial product', () => {
  it('joins several workload categories with "||" and says so, pointing each variable at its source', () => {
    const converted = convertApplicationScope({
      name: 'payments',
      description: 'Payments workloads',
      categories: { workloads: { kubernetes, os: hosts } },
    });
    expect(converted.value).toMatchObject({ name: 'payments', description: 'Payments workloads', expression: 'v1 || v2' });
    expect(converted.meaningChanges.map((change) => change.field)).toContain('categories');
    expect(converted.sourceOf('variables.1.value')).toBe('categories.workloads.os.variables.0.value');
    expect(converted.sourceOf('expression')).toBe('categories');
    expect(converted.sourceOf('name')).toBe('name');
    expect(converted.sourceOf('enforcementMode')).toBeUndefined();
  });

  it('refuses a category that is not a formula object, naming it', () => {
    const converted = convertApplicationScope({ name: 'odd', categories: { workloads: { kubernetes: 'payments' } } });
    expect(converted.issues.map((issue) => issue.path)).toEqual(['categories.workloads.kubernetes']);
    expect(converted.value).not.toHaveProperty('expression');
  });

  it('gives the formula of a converted scope to policies that exclude it, and nothing for a nameless one', () => {
    expect(scopeFormula({ name: 'payments', expression: 'v1', variables: kubernetes.variables })).toEqual({
      expression: 'v1',
      variables: kubernetes.variables,
    });
    expect(scopeFormula({ name: 'everything' })).toEqual({ expression: '', variables: [] });
    expect(scopeFormula({ expression: 'v1' })).toBeUndefined();
  });
});
