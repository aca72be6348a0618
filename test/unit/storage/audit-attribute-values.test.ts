import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeValue, attributeValues, toItem } from '../../../functions/shared/storage/audit-items.js';
import { boundAuditEvent, type AuditEvent } from '../../../layers/core/index.js';
import { blockedExecEvent } from '../../support/audit-events.js';

// The webhook writes its audit items as AttributeValues it builds itself (docs/adr/0005); they must be
// exactly what the document client would have sent with the options of createDynamoClients.
const documentClientOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

/** The value, or the fact that it threw: both marshallers must refuse the same values. */
function outcome(convert: () => unknown): unknown {
  try {
    return { value: convert() };
  } catch {
    return 'refused';
  }
}

/** JSON values with undefined members and list entries here and there, as optional fields leave them. */
const itemLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.oneof(tie('value'), fc.constant(undefined)), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.dictionary(fc.string(), fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 5 }),
}));

describe('attributeValues', () => {
  it('makes what the document client marshalls from JSON values, and refuses what it refuses', () => {
    fc.assert(
      fc.property(itemLike.object, (object) => {
        expect(outcome(() => attributeValues(object))).toEqual(outcome(() => marshall(object, documentClientOptions)));
      }),
      { numRuns: 1_000 },
    );
  });

  it('makes the audit items of generated events as the document client does', () => {
    const { event, retentionDays } = blockedExecEvent('policy-1', 'web-1');
    const item = toItem({ ...event, unresolved: [] }, retentionDays);
    expect(attributeValues(item)).toEqual(marshall(item, documentClientOptions));
    expect(attributeValues(item).event).toMatchObject({
      M: { command: { L: [{ S: 'sh' }] }, workload: { M: { function: { NULL: true } } } },
    });
  });

  it('makes the items of the enforcer events route as the document client does, over generated events', () => {
    // What the route stores (functions/enforcer/app.ts): a node agent's or a function's event, its id in the
    // enforcer's namespace, texts of any characters, optional lists present or not.
    const text = fc.string({ unit: 'grapheme', maxLength: 60 });
    const nullableText = fc.option(text, { nil: null });
    const routeEvent = fc.record({
      id: fc.string({ minLength: 1, maxLength: 40 }).map((id) => `enf-0123456789abcdef01234567:${id}`),
      time: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }).map((ms) => new Date(ms).toISOString()),
      status: fc.constantFrom('Detect' as const, 'Block' as const),
      policy: text,
      policyType: fc.constantFrom('container' as const, 'function' as const, 'host' as const),
      policyVersion: fc.nat(),
      control: text,
      controlName: text,
      enforcementMode: fc.constantFrom('audit' as const, 'enforce' as const),
      action: fc.constantFrom('exec' as const, 'process' as const),
      message: text,
      workload: fc.record({
        cluster: nullableText,
        namespace: nullableText,
        pod: nullableText,
        container: nullableText,
        image: nullableText,
        function: nullableText,
        host: nullableText,
      }),
      user: fc.option(fc.record({ name: nullableText, groups: fc.array(text, { maxLength: 3 }) }), { nil: null }),
      command: fc.option(fc.array(text, { maxLength: 4 }), { nil: null }),
      enforcer: fc.record({
        group: text,
        type: fc.constantFrom('agent' as const, 'nano_enforcer' as const),
        id: fc.option(text, { nil: null }),
      }),
      unresolved: fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }),
      truncated: fc.option(fc.array(fc.record({ field: fc.constantFrom('message', 'command[2]'), length: fc.nat() }), { maxLength: 2 }), {
        nil: undefined,
      }),
    });
    fc.assert(
      fc.property(routeEvent, fc.integer({ min: 1, max: 3650 }), (generated, retentionDays) => {
        const { unresolved, truncated, ...rest } = generated;
        const event: AuditEvent = boundAuditEvent({ ...rest, ...(unresolved ? { unresolved } : {}), ...(truncated ? { truncated } : {}) });
        const item = toItem(event, retentionDays);
        expect(attributeValues(item)).toEqual(marshall(item, documentClientOptions));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses numbers DynamoDB cannot hold exactly and values that are not JSON', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2])
      expect(() => attributeValue(value)).toThrow(`the number ${value} cannot be stored`);
    for (const value of [new Date(0), new Set(['a']), new Map(), 1n, Symbol('s'), undefined])
      expect(() => attributeValue(value)).toThrow('is not a JSON value and cannot be stored');
  });
});
