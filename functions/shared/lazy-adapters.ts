import type { EventPublisher } from './events/ports.js';
import type { AuditFallback } from './storage/audit-fallback.js';
import type { ModeChangeScheduler, ScheduledChange } from './scheduling/ports.js';

// The AWS adapters build their SDK clients on first use, so that a function that never sends to a service
// (a run of the mode-change function with nothing due, an admin API request that schedules nothing) does not
// pay for its client's configuration. The clients' modules are imported statically (see aws-adapters.ts and event-publishing.ts).

/** Builds the adapter once, on first use; a failed build is tried again next time. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

/** A ModeChangeScheduler whose adapter is built on first use. */
export function lazyModeChangeScheduler(load: () => Promise<ModeChangeScheduler>): ModeChangeScheduler {
  const adapter = once(load);
  return {
    schedule: async (policy: string, change: ScheduledChange) => (await adapter()).schedule(policy, change),
    cancel: async (policy: string) => (await adapter()).cancel(policy),
  };
}

/** An EventPublisher whose adapter is built on first use. */
export function lazyEventPublisher(load: () => Promise<EventPublisher>): EventPublisher {
  const adapter = once(load);
  return { publish: async (detailType, detail) => (await adapter()).publish(detailType, detail) };
}

/** An AuditFallback whose adapter is built on first use (the webhook needs it only when storage fails). */
export function lazyAuditFallback(load: () => Promise<AuditFallback>): AuditFallback {
  const adapter = once(load);
  return { hold: async (events, reason) => (await adapter()).hold(events, reason) };
}
