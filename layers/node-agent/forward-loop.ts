/**
 * The forwarder's loop: bundle polls, heartbeats and steps, with back-off when the control plane cannot take
 * events. Kept apart from the entry point so that its behaviour under outages and throttling is tested with
 * an injected clock, sleep and random source instead of waiting.
 *
 * A node agent runs as a DaemonSet pod: exiting on an outage would only make it crash-loop (with the kubelet's
 * own back-off) and forget its bundle, so it never exits for a failed call. It keeps the last bundle it
 * compiled and goes on reading with it, within its memory bound; only a forwarder that never got a bundle waits
 * without reading, because without an index every line would be dropped as unmanaged.
 */
import { EnforcerApiError } from './enforcer-client.js';

/** How often the forwarder asks whether its bundle changed (a 304 costs the control plane nothing). */
export const INDEX_POLL_MS = 10_000;
export const HEARTBEAT_MS = 60_000;
export const FIRST_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 60_000;
/** How long an idle forwarder waits before looking at the file again. */
export const IDLE_MS = 500;

export type LogLevel = 'INFO' | 'WARN';

export interface ForwardLoopOptions {
  readonly forwarder: {
    refreshIndex(): Promise<void>;
    step(): Promise<boolean>;
    readonly pendingEvents: number;
  };
  readonly heartbeat: () => Promise<void>;
  readonly stop: AbortSignal;
  /** Waits, or less when `stop` aborts. */
  readonly sleep: (ms: number, stop: AbortSignal) => Promise<void>;
  readonly log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** A number in [0, 1): spreads the retries of many nodes. @default Math.random */
  readonly random?: () => number;
}

/**
 * How long to wait after a failed step: the back-off, with equal jitter (between half of it and all of it) so that
 * the nodes a throttled enforcer API refused at once do not come back at once, and never less than the server's
 * `Retry-After` (then spread over up to half as long again, for the same reason).
 */
export function retryDelayMs(backoffMs: number, error: unknown, random: number): number {
  const jittered = backoffMs / 2 + (random * backoffMs) / 2;
  const retryAfterMs = error instanceof EnforcerApiError ? error.retryAfterMs : undefined;
  if (retryAfterMs === undefined) return Math.round(jittered);
  return Math.round(Math.max(jittered, retryAfterMs + (random * retryAfterMs) / 2));
}

/** Runs until `stop` aborts; never throws for a failed call to the control plane. */
export async function runForwardLoop(options: ForwardLoopOptions): Promise<void> {
  const { forwarder, stop, sleep, log } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  let lastPoll = Number.NEGATIVE_INFINITY;
  let lastHeartbeat = Number.NEGATIVE_INFINITY;
  let backoffMs = FIRST_BACKOFF_MS;
  while (!stop.aborted) {
    // A failed poll or heartbeat does not stop the step: the last compiled index still maps the events, and the
    // step's posts tell whether the control plane takes them. Each is tried again at its next interval.
    if (now() - lastPoll >= INDEX_POLL_MS) {
      lastPoll = now();
      await forwarder
        .refreshIndex()
        .catch((error: unknown) =>
          log('WARN', 'bundle poll failed; the last bundle compiled, if any, stays in use', { error: (error as Error).message }),
        );
    }
    if (now() - lastHeartbeat >= HEARTBEAT_MS) {
      // A failed heartbeat is tried again before the next step (paced by the back-off), so that the node shows as
      // connected again as soon as the control plane is back.
      await options.heartbeat().then(
        () => (lastHeartbeat = now()),
        (error: unknown) => log('WARN', 'heartbeat failed', { error: (error as Error).message }),
      );
    }
    try {
      const readAny = await forwarder.step();
      backoffMs = FIRST_BACKOFF_MS;
      if (!readAny) await sleep(IDLE_MS, stop);
    } catch (error) {
      // The control plane is unreachable or throttling: what was read waits in memory (bounded), the file on disk.
      const waitMs = retryDelayMs(backoffMs, error, random());
      log('WARN', 'forwarding paused', {
        error: (error as Error).message,
        status: error instanceof EnforcerApiError ? error.status : undefined,
        pending: forwarder.pendingEvents,
        retryInMs: waitMs,
      });
      await sleep(waitMs, stop);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
}
