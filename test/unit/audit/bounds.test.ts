import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_LIMITS,
  auditEventSchema,
  boundAuditEvent,
  cutText,
  MAX_AUDIT_EVENT_BYTES,
  type AuditEvent,
} from '../../../layers/core/index.js';

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
          message: hostileText(50),
          image: hostileText(20),
          name: hostileText(20),
          groups: fc.array(hostileText(10), { maxLength: 300 }),
          command: fc.array(hostileText(20), { maxLength: 400 }),
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
