import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeValue, attributeValues, toItem } from '../../../functions/shared/storage/audit-items.js';
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

  it('refuses numbers DynamoDB cannot hold exactly and values that are not JSON', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2])
      expect(() => attributeValue(value)).toThrow(`the number ${value} cannot be stored`);
    for (const value of [new Date(0), new Set(['a']), new Map(), 1n, Symbol('s'), undefined])
      expect(() => attributeValue(value)).toThrow('is not a JSON value and cannot be stored');
  });
});
