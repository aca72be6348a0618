import { segment } from '../client.js';
import type { Context } from '../context.js';
import { ExitCode } from '../errors.js';
import type { OutputFormat } from '../output.js';

interface Count {
  readonly value: string;
  readonly count: number;
}

interface Breakdown {
  readonly wouldBlock: number;
  readonly byControl: readonly Count[];
  readonly byWorkload: readonly Count[];
  readonly byUser: readonly Count[];
  readonly byCommand: readonly Count[];
}

interface Readiness extends Breakdown {
  readonly policy: string;
  readonly enforcementMode: string;
  readonly days: number;
  readonly since: string;
  readonly policyVersion: number;
  readonly changedAt?: string;
  readonly truncated: boolean;
  readonly recordOnly: number;
  readonly newSinceChange: Breakdown;
}

const SECTIONS: readonly [keyof Omit<Breakdown, 'wouldBlock'>, string][] = [
  ['byControl', 'by control'],
  ['byWorkload', 'by workload'],
  ['byUser', 'by user'],
  ['byCommand', 'by command'],
];

function breakdownLines(breakdown: Breakdown, indent: string): string[] {
  return SECTIONS.flatMap(([key, title]) =>
    breakdown[key].length === 0
      ? []
      : [`${indent}${title}:`, ...breakdown[key].map((c) => `${indent}  ${String(c.count).padStart(6)}  ${c.value}`)],
  );
}

/** The readiness report in words: what enforce would have blocked, and what the last change brought in. */
export function readinessText(r: Readiness): string {
  const lines = [
    `policy ${r.policy} (${r.enforcementMode}, version ${r.policyVersion}): over the last ${r.days} days, enforce would have blocked ${r.wouldBlock} events${r.truncated ? ' (the newest 10,000 Detect events were counted; there are more)' : ''}`,
    ...breakdownLines(r, '  '),
    `new since the policy last changed${r.changedAt ? ` (${r.changedAt})` : ''}: ${r.newSinceChange.wouldBlock} events`,
    ...breakdownLines(r.newSinceChange, '  '),
  ];
  if (r.recordOnly > 0) lines.push(`${r.recordOnly} more Detect events are of record-only controls, which enforce mode does not block`);
  return lines.join('\n');
}

export async function readinessCommand(ctx: Context, policy: string, options: { days: number; output: OutputFormat }): Promise<number> {
  const answer = await ctx.client().get<Readiness>(`/v1/policies/${segment(policy)}/readiness`, { days: String(options.days) });
  if (options.output === 'table') ctx.print(readinessText(answer));
  else ctx.output(answer, options.output, []);
  return ExitCode.ok;
}
