// Readiness before enforcing: from a policy's stored Detect events, what enforce mode would have blocked,
// counted by control, workload, user and command, and what appeared only since the policy's current version.
// Pure: the caller reads the events (one policy's, through the audit table's per-policy index).

import { findControl, type PolicyType } from './catalog.js';
import type { AuditEvent } from './schemas/audit.js';

/** One value and how many would-be blocks it had. */
export interface ReadinessCount {
  readonly value: string;
  readonly count: number;
}

export interface ReadinessBreakdown {
  /** Detect events that enforce mode would have turned into Block. */
  readonly wouldBlock: number;
  readonly byControl: readonly ReadinessCount[];
  readonly byWorkload: readonly ReadinessCount[];
  readonly byUser: readonly ReadinessCount[];
  readonly byCommand: readonly ReadinessCount[];
}

export interface Readiness extends ReadinessBreakdown {
  /** Detect events of controls that only record (always Detect, also in enforce): not counted above. */
  readonly recordOnly: number;
  /**
   * Would-be blocks recorded under the policy's current version whose control, workload, user or command
   * never appeared under an earlier version in the window: what the last change brought in. The counts are
   * of the current version's events.
   */
  readonly newSinceChange: ReadinessBreakdown;
}

/** How many values each breakdown lists, most frequent first; the totals count every event. */
export const READINESS_TOP = 20;

/** The workload an event concerns, in one line: cluster/namespace/pod (container), function or host. */
export function workloadLabel(event: AuditEvent): string {
  const w = event.workload;
  const parts = [w.cluster, w.namespace, w.pod ?? w.function ?? w.host].filter((part): part is string => typeof part === 'string');
  return parts.length > 0 ? parts.join('/') : '(unknown)';
}

type Dimension = 'byControl' | 'byWorkload' | 'byUser' | 'byCommand';

function valuesOf(event: AuditEvent): Record<Dimension, string> {
  return {
    byControl: event.control,
    byWorkload: workloadLabel(event),
    byUser: event.user?.name ?? '(none)',
    byCommand: event.command && event.command.length > 0 ? event.command.join(' ') : '(none)',
  };
}

const DIMENSIONS: readonly Dimension[] = ['byControl', 'byWorkload', 'byUser', 'byCommand'];

class Tally {
  total = 0;
  readonly counts: Record<Dimension, Map<string, number>> = {
    byControl: new Map(),
    byWorkload: new Map(),
    byUser: new Map(),
    byCommand: new Map(),
  };

  add(values: Record<Dimension, string>, only?: (dimension: Dimension) => boolean): void {
    this.total += 1;
    for (const dimension of DIMENSIONS) {
      if (only && !only(dimension)) continue;
      const map = this.counts[dimension];
      map.set(values[dimension], (map.get(values[dimension]) ?? 0) + 1);
    }
  }

  breakdown(): ReadinessBreakdown {
    const top = (map: Map<string, number>): ReadinessCount[] =>
      [...map]
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
        .slice(0, READINESS_TOP);
    return {
      wouldBlock: this.total,
      byControl: top(this.counts.byControl),
      byWorkload: top(this.counts.byWorkload),
      byUser: top(this.counts.byUser),
      byCommand: top(this.counts.byCommand),
    };
  }
}

/**
 * Readiness of a policy from its Detect events. `currentVersion` is the policy's version now: events of an
 * earlier version are before its last change. Block events and other policies' events are ignored.
 */
export function policyReadiness(
  policy: { readonly name: string; readonly type: PolicyType; readonly version: number },
  events: Iterable<AuditEvent>,
): Readiness {
  const all = new Tally();
  const current: Record<Dimension, string>[] = [];
  const seenBefore: Record<Dimension, Set<string>> = {
    byControl: new Set(),
    byWorkload: new Set(),
    byUser: new Set(),
    byCommand: new Set(),
  };
  let recordOnly = 0;
  for (const event of events) {
    if (event.status !== 'Detect' || event.policy !== policy.name) continue;
    if (findControl(event.policyType, event.control)?.recordOnly === true) {
      recordOnly += 1;
      continue;
    }
    const values = valuesOf(event);
    all.add(values);
    if (event.policyVersion >= policy.version) current.push(values);
    else for (const dimension of DIMENSIONS) seenBefore[dimension].add(values[dimension]);
  }
  const fresh = new Tally();
  for (const values of current) {
    const isNew = (dimension: Dimension): boolean => !seenBefore[dimension].has(values[dimension]);
    if (DIMENSIONS.some(isNew)) fresh.add(values, isNew);
  }
  return { ...all.breakdown(), recordOnly, newSinceChange: fresh.breakdown() };
}
