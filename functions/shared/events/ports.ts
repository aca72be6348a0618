import type { EnforcementMode } from '../../../layers/core/index.js';

// Ports of the events the control plane publishes: what it announces and where (EventBridge in AWS, the
// log in local mode). Wired in the composition root (runtime.ts) and the entry points (event-publishing.ts).

/** The `source` of every event Vigil publishes. */
export const EVENT_SOURCE = 'vigil';
/** The detail type of the event published when a scheduled change switched a policy. */
export const MODE_CHANGED_DETAIL_TYPE = 'Vigil Policy Mode Changed';

/** The detail of a `Vigil Policy Mode Changed` event. */
export interface PolicyModeChangedDetail {
  readonly policy: string;
  readonly from: EnforcementMode;
  readonly to: EnforcementMode;
  readonly changeId: string;
  readonly scheduledFor: string;
  readonly appliedAt: string;
  /** `schedule`: fired by its timer; `sweep`: found overdue by the periodic sweep (its timer was lost). */
  readonly trigger: 'schedule' | 'sweep';
}

/** Announces what the control plane did (EventBridge in AWS, the log in local mode). */
export interface EventPublisher {
  publish(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void>;
}

/** The detail type of an exported audit event; the detail is the audit event as the API returns it. */
export const AUDIT_EVENT_DETAIL_TYPE = 'Vigil Audit Event';

/** One event for the bus. */
export interface OutgoingEvent {
  readonly detailType: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** What became of one event handed to `publishAll`. */
export type PublishOutcome =
  | { readonly status: 'published' }
  /** The bus will never take this event as it is (too large, malformed): sending it again cannot help. */
  | { readonly status: 'rejected'; readonly reason: string }
  /** Not taken this time (throttling, an outage, a missing permission): it may pass when sent again. */
  | { readonly status: 'failed'; readonly reason: string };

/** Publishes many events in as few calls as the bus allows (the audit export). */
export interface EventBatchPublisher {
  /** One outcome per event, in the order given; what the bus answers is an outcome, never a thrown error. */
  publishAll(events: readonly OutgoingEvent[]): Promise<PublishOutcome[]>;
}
