import type { EnforcerGroup } from '../schemas/settings.js';
import type { WorkloadAttributes } from '../scope/index.js';
import type { Violation } from './decide.js';
import type { EventOf } from './events.js';
import { quoted } from './control-kit.js';
import type { ActionPolicy } from './snapshot-indexes.js';
import type { CompiledSnapshot } from './snapshot.js';

/**
 * The rule table of the native exec guard (layers/protection/native): the process controls that apply to
 * one function, compiled from its bundle into a compact binary table that the guard maps read-only and
 * decides from in place (no parsing, no allocation, nothing written: a forked child about to exec maps it
 * anew). Little-endian (both Lambda architectures are), every field naturally aligned:
 *
 *   header, 56 bytes
 *     0  u8[4] magic "VGRT"        4  u32 format version (2)   8  u32 byte length of the whole table
 *    12  u32 state: 0 none, 1 bundle, 2 oversize               16  u32 fail mode: 0 open, 1 closed
 *    20  u32 rule count            24  u32 pattern count       28  u32 reserved (0)
 *    32  u64 generation (echoed in every event line, so events are explained by the table that decided them)
 *    40  u64 when the function's process started, ms since the epoch (drift: "created after start")
 *    48  u64 bundle revision, all ones when no bundle is known
 *   rules, 16 bytes each, in configuration order
 *     u32 id, u16 control (0 blockedExecutables, 1 driftPrevention, 2 blockAllProcesses), u16 blocks (0|1),
 *     u32 first pattern, u32 pattern count
 *   patterns, 8 bytes each
 *     u32 offset of its UTF-8 bytes from the table's start, u16 byte length, u16 flags (1: contains "/")
 *   the patterns' bytes
 *
 * The guard checks the magic, version and length against the file, and every count and offset against
 * the length before it uses an entry. `oversize` says the rules did not fit the bounds below: the guard
 * then behaves as without a bundle (fail mode), and the layer logs it; the Node hooks still decide with the
 * whole bundle.
 */
export const GUARD_TABLE_MAGIC = 'VGRT';
export const GUARD_TABLE_VERSION = 2;
export const GUARD_TABLE_LAYOUT = { headerBytes: 56, ruleBytes: 16, patternBytes: 8 } as const;

/** Bounds the guard relies on (and checks); the compiler never exceeds them. */
export const GUARD_RULE_LIMITS = {
  rules: 1024,
  patterns: 16384,
  patternBytes: 4096,
  tableBytes: 1024 * 1024,
} as const;

/** The controls the guard evaluates: every function control acting on processes. */
export const GUARD_CONTROLS = ['blockedExecutables', 'driftPrevention', 'blockAllProcesses'] as const;
export type GuardControl = (typeof GUARD_CONTROLS)[number];

/** One control of one policy as the guard evaluates it. */
export interface GuardRule {
  readonly id: number;
  readonly control: GuardControl;
  /** A violation blocks: the policy enforces and the enforcer group allows enforcement. */
  readonly blocks: boolean;
  /** Executables (blockedExecutables) or allowed executables (the others). */
  readonly patterns: readonly string[];
  readonly policy: Pick<ActionPolicy, 'name' | 'type' | 'version' | 'enforcementMode'>;
  readonly controlName: string;
  /** The engine's own message for an event, so that the guard's events read like the layer's. */
  readonly message: (event: EventOf<'process'>) => string | undefined;
}

/** The table as written for the guard, and the rules it numbers (to turn the guard's event lines into audit events). */
export interface GuardRuleTable {
  readonly generation: number;
  readonly state: 'bundle' | 'none' | 'oversize';
  readonly rules: readonly GuardRule[];
  readonly bytes: Uint8Array;
}

/** What the table is compiled from; `bundle` is undefined while no bundle is known. */
export interface GuardRuleInput {
  readonly generation: number;
  readonly startedAtMs: number;
  readonly failMode: 'open' | 'closed';
  readonly bundle?: { readonly revision: number; readonly snapshot: CompiledSnapshot; readonly group: EnforcerGroup } | undefined;
  readonly workload?: WorkloadAttributes | undefined;
}

function isGuardControl(key: string): key is GuardControl {
  return (GUARD_CONTROLS as readonly string[]).includes(key);
}

function patternsOf(options: unknown, control: GuardControl): string[] {
  const key = control === 'blockedExecutables' ? 'executables' : 'allowedExecutables';
  const value = (options as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The applicable process rules of a workload, in configuration order (as the engine reports violations). */
function rulesOf(input: GuardRuleInput): GuardRule[] {
  const { bundle, workload } = input;
  if (!bundle || !workload || bundle.snapshot.bypassed(workload)) return [];
  const policies: ActionPolicy[] = [];
  bundle.snapshot.collectApplicable('function', 'process', workload, policies);
  policies.sort((a, b) => a.ordinal - b.ordinal);
  const rules: GuardRule[] = [];
  for (const policy of policies) {
    const options = policy.compiled.policy.controls as Record<string, unknown>;
    for (const control of policy.controls) {
      if (!isGuardControl(control.key)) continue;
      const compiled = control.shared.compiled;
      rules.push({
        id: rules.length,
        control: control.key,
        blocks: control.blocksWhereEnforced && bundle.group.enforce,
        patterns: patternsOf(options[control.key], control.key),
        policy: { name: policy.name, type: policy.type, version: policy.version, enforcementMode: policy.enforcementMode },
        controlName: control.name,
        message: (event) => compiled.message(event, 0),
      });
    }
  }
  return rules;
}

const encoder = new TextEncoder();

const CONTROL_CODES: Record<GuardControl, number> = { blockedExecutables: 0, driftPrevention: 1, blockAllProcesses: 2 };
const STATE_CODES: Record<GuardRuleTable['state'], number> = { none: 0, bundle: 1, oversize: 2 };
const NO_REVISION = 0xffff_ffff_ffff_ffffn;

/** What a table holds: the compiled facts and rules (or, in the guard's own tests, rules written by hand). */
export interface GuardTableContent {
  readonly generation: number;
  readonly revision: number | undefined;
  readonly startedAtMs: number;
  readonly failMode: 'open' | 'closed';
  readonly state: GuardRuleTable['state'];
  readonly rules: ReadonlyArray<Pick<GuardRule, 'id' | 'control' | 'blocks' | 'patterns'>>;
}

/** The table's bytes in the layout above; undefined when they would exceed GUARD_RULE_LIMITS. */
export function encodeGuardTable(content: GuardTableContent): Uint8Array | undefined {
  const { headerBytes, ruleBytes, patternBytes } = GUARD_TABLE_LAYOUT;
  const patterns = content.rules.flatMap((rule) => rule.patterns.map((p) => encoder.encode(p)));
  if (content.rules.length > GUARD_RULE_LIMITS.rules || patterns.length > GUARD_RULE_LIMITS.patterns) return undefined;
  if (patterns.some((p) => p.length > GUARD_RULE_LIMITS.patternBytes)) return undefined;
  const stringsAt = headerBytes + content.rules.length * ruleBytes + patterns.length * patternBytes;
  const length = stringsAt + patterns.reduce((sum, p) => sum + p.length, 0);
  if (length > GUARD_RULE_LIMITS.tableBytes) return undefined;
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  bytes.set(encoder.encode(GUARD_TABLE_MAGIC), 0);
  view.setUint32(4, GUARD_TABLE_VERSION, true);
  view.setUint32(8, length, true);
  view.setUint32(12, STATE_CODES[content.state], true);
  view.setUint32(16, content.failMode === 'closed' ? 1 : 0, true);
  view.setUint32(20, content.rules.length, true);
  view.setUint32(24, patterns.length, true);
  view.setBigUint64(32, BigInt(content.generation), true);
  view.setBigUint64(40, BigInt(Math.max(0, Math.floor(content.startedAtMs))), true);
  view.setBigUint64(48, content.revision === undefined ? NO_REVISION : BigInt(content.revision), true);
  let ruleAt = headerBytes;
  let patternAt = headerBytes + content.rules.length * ruleBytes;
  let stringAt = stringsAt;
  let index = 0;
  for (const rule of content.rules) {
    view.setUint32(ruleAt, rule.id, true);
    view.setUint16(ruleAt + 4, CONTROL_CODES[rule.control], true);
    view.setUint16(ruleAt + 6, rule.blocks ? 1 : 0, true);
    view.setUint32(ruleAt + 8, index, true);
    view.setUint32(ruleAt + 12, rule.patterns.length, true);
    ruleAt += ruleBytes;
    for (const text of rule.patterns) {
      const pattern = patterns[index++]!;
      view.setUint32(patternAt, stringAt, true);
      view.setUint16(patternAt + 4, pattern.length, true);
      view.setUint16(patternAt + 6, text.includes('/') ? 1 : 0, true);
      bytes.set(pattern, stringAt);
      patternAt += patternBytes;
      stringAt += pattern.length;
    }
  }
  return bytes;
}

/**
 * Compiles the guard's rule table from the bundle in force and the function's facts. Pure: the layer
 * writes `bytes` where the guard reads it and keeps the table to explain the guard's events.
 */
export function compileGuardRules(input: GuardRuleInput): GuardRuleTable {
  const rules = rulesOf(input);
  const facts = {
    generation: input.generation,
    revision: input.bundle?.revision,
    startedAtMs: input.startedAtMs,
    failMode: input.failMode,
  };
  const state = input.bundle ? 'bundle' : 'none';
  const bytes = encodeGuardTable({ ...facts, state, rules });
  if (bytes !== undefined) return { generation: input.generation, state, rules, bytes };
  // The empty oversize table always fits.
  return {
    generation: input.generation,
    state: 'oversize',
    rules: [],
    bytes: encodeGuardTable({ ...facts, state: 'oversize', rules: [] })!,
  };
}

/** What the guard saw when it decided: the program as invoked and after PATH lookup and realpath. */
export interface GuardObservation {
  readonly command: readonly string[];
  readonly executable: string;
  readonly resolvedPath: string | undefined;
  readonly createdAfterStart: boolean;
}

/**
 * The violations behind one decision of the guard (the rule ids it wrote in its event line), with the
 * engine's messages. Ids the table does not know are ignored: the line belongs to another table.
 */
export function guardViolations(table: GuardRuleTable, ruleIds: readonly number[], seen: GuardObservation): Violation[] {
  const event: EventOf<'process'> = {
    action: 'process',
    command: seen.command,
    executable: seen.executable,
    resolvedPath: seen.resolvedPath,
    createdAfterStart: seen.createdAfterStart,
  };
  const violations: Violation[] = [];
  for (const id of ruleIds) {
    const rule = table.rules[id];
    if (!rule) continue;
    violations.push({
      status: rule.blocks ? 'Block' : 'Detect',
      policy: rule.policy.name,
      policyType: rule.policy.type,
      policyVersion: rule.policy.version,
      control: rule.control,
      controlName: rule.controlName,
      enforcementMode: rule.policy.enforcementMode,
      action: 'process',
      message: rule.message(event) ?? `${quoted(seen.resolvedPath ?? seen.executable)} was refused by the exec guard`,
    });
  }
  return violations;
}
