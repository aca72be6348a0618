import type { EnforcerGroup } from '../schemas/settings.js';
import type { WorkloadAttributes } from '../scope/index.js';
import type { Violation } from './decide.js';
import type { EventOf } from './events.js';
import { quoted } from './control-kit.js';
import type { ActionPolicy } from './snapshot-indexes.js';
import type { CompiledSnapshot } from './snapshot.js';

/**
 * The rule table of the native exec guard (layers/protection/native): the process controls that apply to
 * one function, compiled from its bundle into a line format a small C parser reads without allocating.
 *
 *   vigil-guard 1
 *   generation <n>          echoed in every event line, so events are explained by the table that decided them
 *   revision <n>|-          bundle revision; "-" when no bundle is known
 *   started <ms>            when the function's process started (drift: "created after start")
 *   failmode open|closed    what to do while no bundle is known
 *   state bundle|none|oversize
 *   rule <id> <control> block|detect <patterns>
 *   p <pattern>             one line per pattern; \\ \t \n \r \0 escaped
 *   end
 *
 * `oversize` says the rules did not fit the bounds below: the guard then behaves as without a bundle (fail
 * mode), and the layer logs it; the Node hooks still decide with the whole bundle.
 */
export const GUARD_RULES_HEADER = 'vigil-guard 1';

/** Bounds the guard's parser relies on (it has fixed-size tables); the compiler never exceeds them. */
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
  readonly text: string;
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

/** Escapes what would end a line or a field of the table; the guard reverses it. */
export function escapeGuardText(text: string): string {
  return text.replace(/[\\\t\n\r\0]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' })[c]!);
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

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

function fits(rules: readonly GuardRule[]): boolean {
  if (rules.length > GUARD_RULE_LIMITS.rules) return false;
  let patterns = 0;
  for (const rule of rules) {
    patterns += rule.patterns.length;
    if (rule.patterns.some((p) => byteLength(escapeGuardText(p)) > GUARD_RULE_LIMITS.patternBytes)) return false;
  }
  return patterns <= GUARD_RULE_LIMITS.patterns;
}

/**
 * Compiles the guard's rule table from the bundle in force and the function's facts. Pure: the layer
 * writes `text` where the guard reads it and keeps the table to explain the guard's events.
 */
export function compileGuardRules(input: GuardRuleInput): GuardRuleTable {
  let rules = rulesOf(input);
  let state: GuardRuleTable['state'] = input.bundle ? 'bundle' : 'none';
  const head = [
    GUARD_RULES_HEADER,
    `generation ${input.generation}`,
    `revision ${input.bundle ? input.bundle.revision : '-'}`,
    `started ${Math.floor(input.startedAtMs)}`,
    `failmode ${input.failMode}`,
  ];
  const body: string[] = [];
  if (fits(rules)) {
    for (const rule of rules) {
      body.push(`rule ${rule.id} ${rule.control} ${rule.blocks ? 'block' : 'detect'} ${rule.patterns.length}`);
      for (const pattern of rule.patterns) body.push(`p ${escapeGuardText(pattern)}`);
    }
  }
  let text = [...head, `state ${state}`, ...body, 'end', ''].join('\n');
  if (!fits(rules) || byteLength(text) > GUARD_RULE_LIMITS.tableBytes) {
    state = 'oversize';
    rules = [];
    text = [...head, `state ${state}`, 'end', ''].join('\n');
  }
  return { generation: input.generation, state, rules, text };
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
