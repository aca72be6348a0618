import type { GeneratedAuditEvent } from './ports.js';

// Where generated audit events go when the audit table cannot take them before the verdict is answered
// (docs/adr/0011). Local mode spools them to a file in its data directory; in AWS they go to an SQS queue
// whose consumer writes them to the table. Both are replayed into the table idempotently by event id: a
// generated event is written unconditionally, and writing the same event again stores the identical item.

/** Durable storage for generated audit events outside the audit table. */
export interface AuditFallback {
  /**
   * Makes the events durable; resolves once they are. Rejects when it cannot (full, unreachable), after
   * saying why in the log: the caller has nowhere else to put them.
   * @param reason why the table did not take them, for the log
   */
  hold(events: readonly GeneratedAuditEvent[], reason: string): Promise<void>;
  /** A write to the audit table has just succeeded: a fallback that replays on its own may start now. */
  storageIsBack?(): void;
}

/**
 * Whether DynamoDB refused the write itself (an item it will never accept) rather than being unavailable:
 * such events are set aside with the reason instead of being retried forever. Throttling and timeouts are
 * not refusals.
 */
export function isRefusal(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  const name = (cause as { name?: unknown } | undefined)?.name;
  return name === 'ValidationException' || name === 'SerializationException';
}

/** The events of one spooled record or queued message, checked before they are replayed. */
export function generatedEventsOf(value: unknown): GeneratedAuditEvent[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const events: GeneratedAuditEvent[] = [];
  for (const entry of value as unknown[]) {
    const { event, retentionDays } = (entry ?? {}) as { event?: unknown; retentionDays?: unknown };
    const id = (event as { id?: unknown } | undefined)?.id;
    if (typeof event !== 'object' || event === null || typeof id !== 'string' || id === '') return undefined;
    if (typeof retentionDays !== 'number' || !Number.isInteger(retentionDays) || retentionDays < 1) return undefined;
    events.push({ event: event as GeneratedAuditEvent['event'], retentionDays });
  }
  return events;
}

/** The events once each, by id (the last copy wins; copies of one generated event are identical). */
export function uniqueById(events: readonly GeneratedAuditEvent[]): GeneratedAuditEvent[] {
  return [...new Map(events.map((entry) => [entry.event.id, entry])).values()];
}
