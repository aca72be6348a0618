import { describe, expect, it } from 'vitest';
import { CommercialFormatError, convertCommercialDocument, sourceLocation } from '../../../layers/core/commercial/index.js';

const namespaceScope = { expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }] };

describe('converting a whole document of the commercial product', () => {
  it('refuses what is none of the product shapes with a CommercialFormatError', () => {
    expect(() => convertCommercialDocument('a string')).toThrow(CommercialFormatError);
  });

  it('names every unrecognised item of a list answer at its path, with a few of its fields', () => {
    const manyFields = Object.fromEntries(Array.from({ length: 8 }, (_, index) => [`field${index}`, index]));
    const conversion = convertCommercialDocument({ count: 2, page: 1, pagesize: 50, result: [manyFields, 42] });
    expect(conversion.items).toEqual([]);
    expect(conversion.issues.map((issue) => issue.path)).toEqual(['result.0', 'result.1']);
    expect(conversion.issues[0]?.message).toContain('(it has "field0", "field1", "field2", "field3", "field4", "field5", ...)');
    expect(conversion.issues[1]?.message).not.toContain('it has');
  });

  it('names an item by its path when it has no name, and points problems at the field the user wrote', () => {
    const conversion = convertCommercialDocument({
      count: 2,
      page: 1,
      pagesize: 50,
      result: [
        { id: 'audit-only', type: 'agent', orchestrator: {}, enforce: 'no' },
        { scope: namespaceScope, runtime_type: 'container', enforce: false },
      ],
    });
    expect(conversion.items.map((item) => [item.kind, item.name, item.source])).toEqual([
      ['policy', 'result.1', 'result.1'],
      ['enforcerGroup', 'audit-only', 'result.0'],
    ]);
    expect(conversion.issues).toEqual([
      { path: 'result.0.enforce', name: 'audit-only', message: expect.stringContaining('must be true or false') },
    ]);
    expect(sourceLocation(conversion, 'enforcerGroup', 0, 'enforce')).toEqual({ path: 'result.0.enforce', name: 'audit-only' });
    expect(sourceLocation(conversion, 'policy', 0, 'nosuch.field')).toEqual({ path: 'result.1', name: 'result.1', field: 'nosuch.field' });
    expect(sourceLocation(conversion, 'policy', 5, 'name')).toBeUndefined();
  });
});
