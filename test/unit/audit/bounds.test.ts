import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_LIMITS,
  auditEventSchema,
  boundAuditEvent,
  CUT_LIST_FIELDS,
  CUT_TEXT_FIELDS,
  cutText,
  sentTruncatedFieldSchema,
  MAX_AUDIT_EVENT_BYTES,
  type AuditEvent,
} from '../../../layers/core/index.js';
import { attributeValues, toItem } from '../../../functions/shared/storage/audit-items.js';
import { transactionChunks } from '../../../functions/shared/storage/DynamoAuditStore.js';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

const base: AuditEvent = {
  id: 'e-1',
  time: '2026-12-01T00:00:00.000Z',
  status: 'Block',
  policy: 'exec-guard',
  policyType: 'container',
  policyVersion: 1,
  control: 'blockContainerExec',
  controlName: 'Block Container Exec',
  enforcementMode: 'enforce',
  action: 'exec',
  message: 'exec of "sh" is not an allowed process',
  workload: { cluster: 'c', namespace: 'default', pod: 'p', container: 'web', image: 'nginx:1', function: null, host: null },
  user: { name: 'alice', groups: ['system:authenticated'] },
  command: ['sh', '-c', 'id'],
  enforcer: { group: 'default-ke', type: 'kube_enforcer', id: 'c' },
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);

/** Text that mixes the characters that matter: blanks, astral characters (surrogate pairs), plain ASCII. */
const hostileText = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.constantFrom(' ', '\t', '\n', '\u0001', '😀', 'é', 'a'), fc.string({ maxLength: 8 })), { maxLength })
    .chain((parts) => fc.nat({ max: 3 }).map((repeat) => parts.join('').repeat(1 + repeat * 500)));

/** The event's text and list fields, each hostile: what both property tests below cut. */
const hostileFields = {
  message: hostileText(50),
  image: hostileText(20),
  name: hostileText(20),
  groups: fc.array(hostileText(10), { maxLength: 300 }),
  command: fc.array(hostileText(20), { maxLength: 400 }),
};

describe('cutText', () => {
  it('keeps text that fits as it is', () => {
    expect(cutText('echo hi', 10)).toBe('echo hi');
  });

  it('keeps the start and the end of a long text, with the number of characters cut in between', () => {
    const cut = cutText(`${'a'.repeat(100)}${'b'.repeat(100)}`, 60);
    expect(cut).toHaveLength(60);
    expect(cut).toMatch(/^a+ \[… \d+ characters cut …\] b+$/);
    const [, count] = / \[… (\d+) characters cut …\] /.exec(cut)!;
    expect(cut.length - ` [… ${count} characters cut …] `.length + Number(count)).toBe(200);
  });

  it('collapses runs of blanks before it cuts anything else', () => {
    expect(cutText(`sh${' '.repeat(50)}-c`, 40)).toBe('sh [… 50 blanks …] -c');
  });

  it('never splits a surrogate pair and never exceeds the bound', () => {
    fc.assert(
      fc.property(hostileText(200), fc.integer({ min: 40, max: 5000 }), (text, max) => {
        const cut = cutText(text, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(wellFormed(cut)).toBe(wellFormed(text));
        if (text.length <= max) expect(cut).toBe(text);
      }),
    );
  });
});

describe('boundAuditEvent', () => {
  it('returns an event that fits unchanged (the same object)', () => {
    expect(boundAuditEvent(base)).toBe(base);
  });

  it('shares the command budget among the long arguments and keeps the short ones whole', () => {
    const long = 'x'.repeat(4000);
    const event = boundAuditEvent({ ...base, command: ['sh', '-c', ...Array.from({ length: 10 }, () => long)] });
    expect(event.command!.slice(0, 2)).toEqual(['sh', '-c']);
    const total = event.command!.reduce((sum, argument) => sum + argument.length, 0);
    expect(total).toBeLessThanOrEqual(AUDIT_LIMITS.commandTotal);
    expect(event.truncated).toHaveLength(10);
    expect(event.truncated![0]).toEqual({ field: 'command[2]', length: 4000 });
  });

  it('cuts an event whose JSON is too large only because of escaped characters further, within the byte bound', () => {
    const controls = '\u0001'.repeat(4096);
    const event = boundAuditEvent({
      ...base,
      command: Array.from({ length: 256 }, () => controls),
      user: { name: controls, groups: Array.from({ length: 256 }, () => controls) },
    });
    expect(auditEventSchema.safeParse(event).success).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(event), 'utf8')).toBeLessThanOrEqual(MAX_AUDIT_EVENT_BYTES);
    // At the schema's bounds this JSON has about 150 KB; at half of them the lists are cut to 128 items.
    expect(event.command).toHaveLength(128);
    expect(event.truncated).toContainEqual({ field: 'command', length: 256 });
  });

  it('cuts any event to the schema, to an item far below 400 KB, and cutting again changes nothing', () => {
    fc.assert(
      fc.property(
        fc.record({
          ...hostileFields,
        }),
        ({ message, image, name, groups, command }) => {
          const event = boundAuditEvent({ ...base, message, workload: { ...base.workload, image }, user: { name, groups }, command });
          expect(auditEventSchema.safeParse(event).error?.issues ?? []).toEqual([]);
          expect(Buffer.byteLength(JSON.stringify(event), 'utf8')).toBeLessThanOrEqual(MAX_AUDIT_EVENT_BYTES);
          expect(boundAuditEvent(event)).toBe(event);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** The size DynamoDB counts for a value: UTF-8 bytes of strings and names, digits of numbers, 3 bytes per list or map and 1 per element. */
function attributeBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  // One byte per two significant digits and one more: counting every digit as a byte stays above that.
  if (value.N !== undefined) return value.N.length + 1;
  if (value.NULL !== undefined || value.BOOL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + attributeBytes(element), 0);
  if (value.M !== undefined) return 3 + mapBytes(value.M);
  throw new TypeError(`no size for ${JSON.stringify(value)}`);
}
function mapBytes(map: Record<string, AttributeValue>): number {
  return Object.entries(map).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name, 'utf8') + attributeBytes(element), 0);
}
const itemBytes = (event: AuditEvent): number => mapBytes(attributeValues(toItem(event, 3650)));
const jsonBytes = (event: AuditEvent): number => Buffer.byteLength(JSON.stringify(event), 'utf8');

/** JSON escapes a control character as `\u0001`: six bytes for one character, the most any character takes. */
const escaped = (length: number): string => '\u0001'.repeat(length);
/** The longest entry `truncated` admits: a 32-character field name and the largest length. */
const longestTruncatedEntry = { field: `${'z'.repeat(27)}[999]`, length: Number.MAX_SAFE_INTEGER };

/** Every field the cutting leaves alone at its longest, escaped, and the longest `truncated` a sender may bring. */
const worstFixed: AuditEvent = {
  ...base,
  id: escaped(128),
  policy: escaped(128),
  policyVersion: Number.MAX_SAFE_INTEGER,
  control: escaped(64),
  controlName: escaped(128),
  enforcer: { group: escaped(128), type: 'kube_enforcer', id: escaped(128) },
  truncated: Array.from({ length: AUDIT_LIMITS.truncated }, () => longestTruncatedEntry),
};

describe('the byte bound of an event holds for the worst event the schema admits', () => {
  it('worst-case inputs are what the schema admits', () => {
    expect(auditEventSchema.safeParse(worstFixed).error?.issues ?? []).toEqual([]);
    expect(JSON.stringify(longestTruncatedEntry.field).length - 2).toBe(AUDIT_LIMITS.truncatedField);
  });

  it('an event within every character bound, its text all escaped, and the longest truncated list', () => {
    // 20,480 characters of text: what the bound's estimate lets through without measuring the JSON.
    const event: AuditEvent = {
      ...worstFixed,
      message: escaped(AUDIT_LIMITS.message),
      workload: {
        cluster: escaped(1024),
        namespace: escaped(1024),
        pod: escaped(1024),
        container: escaped(1024),
        image: escaped(1024),
        function: escaped(1024),
        host: escaped(1024),
      },
      user: { name: escaped(AUDIT_LIMITS.text), groups: [] },
      command: Array.from({ length: AUDIT_LIMITS.arguments }, () => escaped(40)),
    };
    const bounded = boundAuditEvent(event);
    expect(auditEventSchema.safeParse(bounded).error?.issues ?? []).toEqual([]);
    expect(jsonBytes(bounded)).toBeLessThanOrEqual(MAX_AUDIT_EVENT_BYTES);
    expect(itemBytes(bounded)).toBeLessThanOrEqual(MAX_AUDIT_EVENT_BYTES);
  });

  it('an event over every bound, its text all escaped, and the longest truncated list', () => {
    // Lists of short items are cut by their counts, not by their totals; unresolved entries by their own bounds.
    const overEveryBound = (itemLength: number): AuditEvent => ({
      ...worstFixed,
      message: escaped(100_000),
      workload: {
        cluster: escaped(5000),
        namespace: escaped(5000),
        pod: escaped(5000),
        container: escaped(5000),
        image: escaped(5000),
        function: escaped(5000),
        host: escaped(5000),
      },
      user: { name: escaped(5000), groups: Array.from({ length: 1000 }, () => escaped(itemLength)) },
      command: Array.from({ length: 1000 }, () => escaped(itemLength)),
      unresolved: Array.from({ length: 1000 }, () => escaped(AUDIT_LIMITS.unresolvedEntry)),
    });
    for (const itemLength of [64, 128, 5000]) {
      const bounded = boundAuditEvent(overEveryBound(itemLength));
      expect(auditEventSchema.safeParse(bounded).error?.issues ?? []).toEqual([]);
      expect(jsonBytes(bounded)).toBeLessThanOrEqual(MAX_AUDIT_EVENT_BYTES);
      expect(itemBytes(bounded)).toBeLessThanOrEqual(MAX_AUDIT_EVENT_BYTES);
      // What the bounds promise still holds: the start of the command, the marker ending a cut list, the cut fields named.
      expect(bounded.command![0]!.startsWith('\u0001')).toBe(true);
      expect(bounded.command!.at(-1)).toMatch(/^\[… \d+ more cut …\]$/);
      expect(bounded.truncated).toContainEqual({ field: 'command', length: 1000 });
      expect(bounded.truncated).toContainEqual({ field: 'message', length: 100_000 });
    }
  });

  // The enforcer API refuses truncated entries that name anything else: an agent that bounds its own events
  // (the forwarder) must have every entry it makes accepted.
  it('names in truncated only what an enforcer may claim, and names every field it can cut', () => {
    const long = (length: number) => 'x'.repeat(length);
    const event: AuditEvent = {
      ...base,
      message: long(100_000),
      workload: {
        cluster: long(5000),
        namespace: long(5000),
        pod: long(5000),
        container: long(5000),
        image: long(5000),
        function: long(5000),
        host: long(5000),
      },
      user: { name: long(5000), groups: Array.from({ length: 1000 }, () => long(5000)) },
      command: Array.from({ length: 1000 }, () => long(5000)),
      unresolved: Array.from({ length: 1000 }, () => long(1000)),
    };
    const truncated = boundAuditEvent(event).truncated ?? [];
    for (const entry of truncated) expect(sentTruncatedFieldSchema.safeParse(entry).error?.issues ?? [], entry.field).toEqual([]);
    const named = new Set(truncated.map((entry) => entry.field.replace(/\[\d+\]$/, '[]')));
    expect([...named].sort()).toEqual(
      [...CUT_TEXT_FIELDS, ...Object.keys(CUT_LIST_FIELDS), ...Object.keys(CUT_LIST_FIELDS).map((list) => `${list}[]`)].sort(),
    );
  });

  it('any generated event, with escapes, surrogate pairs, long lists and a long truncated list, fits the byte bound and the schema', () => {
    const truncatedEntry = fc.record({
      field: fc.constantFrom('message', 'command', 'user.groups[12]', `${'z'.repeat(27)}[999]`),
      length: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
    });
    fc.assert(
      fc.property(
        fc.record({
          ...hostileFields,
          unresolved: fc.array(hostileText(4), { maxLength: 100 }),
          truncatedCount: fc.nat({ max: AUDIT_LIMITS.truncated }),
          truncated: truncatedEntry,
        }),
        ({ message, image, name, groups, command, unresolved, truncatedCount, truncated }) => {
          const event = boundAuditEvent({
            ...worstFixed,
            message,
            workload: { ...base.workload, image },
            user: { name, groups },
            command,
            unresolved,
            truncated: Array.from({ length: truncatedCount }, () => truncated),
          });
          expect(auditEventSchema.safeParse(event).error?.issues ?? []).toEqual([]);
          expect(jsonBytes(event)).toBeLessThanOrEqual(MAX_AUDIT_EVENT_BYTES);
          expect(itemBytes(event)).toBeLessThanOrEqual(MAX_AUDIT_EVENT_BYTES);
          expect(boundAuditEvent(event)).toBe(event);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("100 of the largest events make transactions within DynamoDB's 4 MB", () => {
    // Three-byte characters, which an item counts as the JSON does (unlike control characters), and the uncut fields at their longest.
    const largest = boundAuditEvent({
      ...worstFixed,
      message: '€'.repeat(AUDIT_LIMITS.message),
      user: { name: null, groups: Array.from({ length: AUDIT_LIMITS.groups }, () => '€'.repeat(32)) },
      command: Array.from({ length: AUDIT_LIMITS.arguments }, () => '€'.repeat(64)),
    });
    expect(jsonBytes(largest)).toBeGreaterThan(MAX_AUDIT_EVENT_BYTES * 0.95);
    const items = Array.from({ length: 100 }, (_, index) => toItem({ ...largest, id: `e-${index}` }, 3650));
    const chunks = transactionChunks(items);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      const bytes = chunk.reduce((sum, item) => sum + mapBytes(attributeValues(item)), 0);
      expect(bytes).toBeLessThanOrEqual(4_000_000);
    }
  });
});
