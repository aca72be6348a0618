import { describe, expect, it } from 'vitest';
import {
  compileGuardRules,
  compileSnapshot,
  decide,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  encodeGuardTable,
  GUARD_TABLE_LAYOUT,
  GUARD_RULE_LIMITS,
  guardViolations,
  policySchema,
  workloadAttributes,
  type DecisionEvent,
  type PolicyInput,
} from '../../../layers/core/index.js';

const enforcing = enforcerGroupSchema.parse({ name: 'fn', type: 'nano_enforcer', enforce: true });
const auditOnly = enforcerGroupSchema.parse({ name: 'fn', type: 'nano_enforcer' });
const orders = workloadAttributes({ 'function.name': 'orders-api', 'enforcer.group': 'fn' }, {});

function bundleOf(policies: PolicyInput[], group = enforcing, settings: unknown = {}) {
  const snapshot = compileSnapshot({
    revision: 7,
    policies: policies.map((p) => policySchema.parse(p)),
    applicationScopes: [],
    settings: enforcerSettingsSchema.parse(settings),
    groups: [group],
  });
  return { revision: 7, snapshot, group };
}

const blocked: PolicyInput = {
  name: 'no-id',
  type: 'function',
  enforcementMode: 'enforce',
  controls: { blockedExecutables: { enabled: true, executables: ['/usr/bin/id', 'who*'] } },
};
const drift: PolicyInput = {
  name: 'drift',
  type: 'function',
  enforcementMode: 'audit',
  controls: { driftPrevention: { enabled: true, allowedExecutables: ['/tmp/ok'] }, honeypot: { enabled: true } },
};
const onlyOthers: PolicyInput = {
  name: 'checkout-only',
  type: 'function',
  enforcementMode: 'enforce',
  scope: { expression: 'v1', variables: [{ attribute: 'function.name', value: 'checkout-*' }] },
  controls: { blockAllProcesses: { enabled: true, allowedExecutables: ['node'] } },
};

/** Reads a table back as the guard does (the layout documented in guard-rules.ts). */
function readTable(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { headerBytes, ruleBytes, patternBytes } = GUARD_TABLE_LAYOUT;
  const u32 = (at: number) => view.getUint32(at, true);
  const u16 = (at: number) => view.getUint16(at, true);
  const ruleCount = u32(20);
  const patternsAt = headerBytes + ruleCount * ruleBytes;
  const pattern = (index: number) => {
    const at = patternsAt + index * patternBytes;
    const text = new TextDecoder().decode(bytes.subarray(u32(at), u32(at) + u16(at + 4)));
    return { text, slash: u16(at + 6) };
  };
  return {
    magic: new TextDecoder().decode(bytes.subarray(0, 4)),
    version: u32(4),
    length: u32(8),
    state: u32(12),
    failClosed: u32(16),
    patternCount: u32(24),
    reserved: u32(28),
    generation: view.getBigUint64(32, true),
    started: view.getBigUint64(40, true),
    revision: view.getBigUint64(48, true),
    rules: Array.from({ length: ruleCount }, (_, i) => {
      const at = headerBytes + i * ruleBytes;
      const first = u32(at + 8);
      return {
        id: u32(at),
        control: u16(at + 4),
        blocks: u16(at + 6),
        first,
        patterns: Array.from({ length: u32(at + 12) }, (_, p) => pattern(first + p)),
      };
    }),
  };
}

describe('compileGuardRules', () => {
  it('writes the applicable process controls in configuration order, with what each blocks and its patterns', () => {
    const table = compileGuardRules({
      generation: 3,
      startedAtMs: 1_700_000_000_123.7,
      failMode: 'closed',
      bundle: bundleOf([blocked, onlyOthers, drift]),
      workload: orders,
    });
    const read = readTable(table.bytes);
    expect(read).toEqual({
      magic: 'VGRT',
      version: 2,
      length: table.bytes.length,
      state: 1,
      failClosed: 1,
      patternCount: 3,
      reserved: 0,
      generation: 3n,
      started: 1_700_000_000_123n,
      revision: 7n,
      rules: [
        {
          id: 0,
          control: 0,
          blocks: 1,
          first: 0,
          patterns: [
            { text: '/usr/bin/id', slash: 1 },
            { text: 'who*', slash: 0 },
          ],
        },
        { id: 1, control: 1, blocks: 0, first: 2, patterns: [{ text: '/tmp/ok', slash: 1 }] },
      ],
    });
    // Header, two rules, three patterns, then the patterns' bytes and nothing else.
    expect(table.bytes.length).toBe(56 + 2 * 16 + 3 * 8 + '/usr/bin/idwho*/tmp/ok'.length);
    expect(table.rules.map((r) => [r.id, r.policy.name, r.control, r.blocks])).toEqual([
      [0, 'no-id', 'blockedExecutables', true],
      [1, 'drift', 'driftPrevention', false],
    ]);
  });

  it('marks every rule detect while the group is audit only', () => {
    const table = compileGuardRules({
      generation: 1,
      startedAtMs: 0,
      failMode: 'open',
      bundle: bundleOf([blocked], auditOnly),
      workload: orders,
    });
    expect(readTable(table.bytes).rules.map((r) => [r.control, r.blocks])).toEqual([[0, 0]]);
    expect(readTable(table.bytes).failClosed).toBe(0);
  });

  it('has no rules for a bypassed workload and says when no bundle is known', () => {
    const bypassed = compileGuardRules({
      generation: 1,
      startedAtMs: 0,
      failMode: 'open',
      bundle: bundleOf([blocked], enforcing, { bypassScopes: [{ attribute: 'function.name', value: 'orders-*' }] }),
      workload: orders,
    });
    expect(bypassed.state).toBe('bundle');
    expect(bypassed.rules).toEqual([]);
    expect(readTable(bypassed.bytes)).toMatchObject({ state: 1, rules: [], patternCount: 0, length: 56 });
    const none = compileGuardRules({ generation: 2, startedAtMs: 5, failMode: 'closed' });
    expect(readTable(none.bytes)).toMatchObject({
      state: 0,
      failClosed: 1,
      generation: 2n,
      started: 5n,
      revision: 0xffff_ffff_ffff_ffffn,
      rules: [],
      length: 56,
    });
  });

  it('stores patterns as their UTF-8 bytes, whatever characters they hold', () => {
    const odd: PolicyInput = { ...blocked, controls: { blockedExecutables: { enabled: true, executables: ['x\ny', 'café\t/ß'] } } };
    const table = compileGuardRules({ generation: 1, startedAtMs: 0, failMode: 'open', bundle: bundleOf([odd]), workload: orders });
    expect(readTable(table.bytes).rules[0]!.patterns).toEqual([
      { text: 'x\ny', slash: 0 },
      { text: 'café\t/ß', slash: 1 },
    ]);
  });

  it('falls back to the fail mode (state oversize) rather than writing a table above the bounds', () => {
    const many = Array.from({ length: GUARD_RULE_LIMITS.rules + 1 }, (_, i) => ({ ...blocked, name: `p${i}` }));
    const table = compileGuardRules({ generation: 1, startedAtMs: 0, failMode: 'closed', bundle: bundleOf(many), workload: orders });
    expect(table.state).toBe('oversize');
    expect(table.rules).toEqual([]);
    expect(readTable(table.bytes)).toMatchObject({ state: 2, rules: [], length: 56 });
  });
});

describe('encodeGuardTable', () => {
  const rule = (patterns: string[]) => ({ id: 0, control: 'blockedExecutables' as const, blocks: true, patterns });
  const facts = { generation: 1, revision: 1, startedAtMs: 0, failMode: 'open' as const, state: 'bundle' as const };

  it('refuses (undefined) every bound: rules, patterns, pattern bytes and table bytes', () => {
    const limits = GUARD_RULE_LIMITS;
    expect(encodeGuardTable({ ...facts, rules: Array.from({ length: limits.rules }, () => rule([])) })).toBeDefined();
    expect(encodeGuardTable({ ...facts, rules: Array.from({ length: limits.rules + 1 }, () => rule([])) })).toBeUndefined();
    expect(encodeGuardTable({ ...facts, rules: [rule(Array.from({ length: limits.patterns }, () => 'a'))] })).toBeDefined();
    expect(encodeGuardTable({ ...facts, rules: [rule(Array.from({ length: limits.patterns + 1 }, () => 'a'))] })).toBeUndefined();
    expect(encodeGuardTable({ ...facts, rules: [rule(['a'.repeat(limits.patternBytes)])] })).toBeDefined();
    // Counted in bytes, not characters: 2,049 two-byte characters are 4,098 bytes.
    expect(encodeGuardTable({ ...facts, rules: [rule(['é'.repeat(limits.patternBytes / 2 + 1)])] })).toBeUndefined();
    const big = Array.from({ length: 300 }, () => 'b'.repeat(limits.patternBytes));
    expect(encodeGuardTable({ ...facts, rules: [rule(big)] })).toBeUndefined();
  });
});

describe('guardViolations', () => {
  it('explains the rules the guard fired with the engine’s own violations', () => {
    const bundle = bundleOf([blocked, drift]);
    const table = compileGuardRules({ generation: 1, startedAtMs: 0, failMode: 'open', bundle, workload: orders });
    const seen = { command: ['id', '-u'], executable: 'id', resolvedPath: '/usr/bin/id', createdAfterStart: false };
    const event: DecisionEvent = { action: 'process', ...seen };
    const engine = decide(bundle.snapshot, { policyType: 'function', group: enforcing, workload: orders, event });
    expect(guardViolations(table, [0], seen)).toEqual(engine.violations);

    const copied = { command: ['/tmp/x'], executable: '/tmp/x', resolvedPath: '/tmp/x', createdAfterStart: true };
    expect(guardViolations(table, [1, 99], copied)).toEqual([
      expect.objectContaining({
        status: 'Detect',
        policy: 'drift',
        control: 'driftPrevention',
        message: '"/tmp/x" is located under /tmp (drift)',
      }),
    ]);
  });
});
