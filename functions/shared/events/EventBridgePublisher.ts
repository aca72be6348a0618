import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { DependencyError } from '../errors.js';
import { mapWithConcurrency } from '../retry.js';
import { EVENT_SOURCE, type EventBatchPublisher, type EventPublisher, type OutgoingEvent, type PublishOutcome } from './ports.js';

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** The entries of one PutEvents call must add up to less than 256 KiB, counted as `entrySize` counts. */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
/** Per-entry error codes that blame the entry itself; every other code (throttling, permissions) may pass later. */
const ENTRY_REJECTED_CODES = new Set(['MalformedDetail', 'InvalidArgument']);
/** PutEvents calls in flight per `publishAll`: a stream batch of 100 events is 10 calls. */
const CALLS_IN_FLIGHT = 4;

/** An entry's size as EventBridge counts it: Source, DetailType and Detail in UTF-8 (we set no Time and no Resources). */
export function entrySize(entry: PutEventsRequestEntry): number {
  return (
    Buffer.byteLength(entry.Source ?? '', 'utf8') +
    Buffer.byteLength(entry.DetailType ?? '', 'utf8') +
    Buffer.byteLength(entry.Detail ?? '', 'utf8')
  );
}

function outcomeOf(result: PutEventsResultEntry | undefined): PublishOutcome {
  if (result?.ErrorCode === undefined) {
    // A result list shorter than the request would leave an entry unaccounted for: never count that as published.
    return result?.EventId === undefined ? { status: 'failed', reason: 'no result for the entry' } : { status: 'published' };
  }
  const reason = `${result.ErrorCode}: ${(result.ErrorMessage ?? '').slice(0, 200)}`;
  return ENTRY_REJECTED_CODES.has(result.ErrorCode) ? { status: 'rejected', reason } : { status: 'failed', reason };
}

/** Publishes to the installation's event bus (env `VIGIL_EVENT_BUS_NAME`), where rules route to SIEM, chat and so on. */
export class EventBridgePublisher implements EventPublisher, EventBatchPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  private entry(detailType: string, detail: Readonly<Record<string, unknown>>): PutEventsRequestEntry {
    return { EventBusName: this.eventBusName, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) };
  }

  async publish(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    let failed: string | undefined;
    try {
      const output = await this.client.send(new PutEventsCommand({ Entries: [this.entry(detailType, detail)] }));
      // PutEvents answers 200 even when it refused an entry: the entry carries the reason.
      if ((output.FailedEntryCount ?? 0) > 0)
        failed = `${output.Entries?.[0]?.ErrorCode ?? 'unknown'}: ${output.Entries?.[0]?.ErrorMessage ?? ''}`;
    } catch (error) {
      throw new DependencyError('the event bus is unavailable', [], { cause: error });
    }
    if (failed !== undefined) throw new DependencyError(`the event bus refused the event (${failed})`);
  }

  /**
   * Packs the events into PutEvents calls of at most 10 entries and less than 256 KiB, in order. An event
   * too large for any call is rejected without being sent; a call that throws fails all its entries.
   */
  async publishAll(events: readonly OutgoingEvent[]): Promise<PublishOutcome[]> {
    const outcomes = new Array<PublishOutcome>(events.length);
    const calls: Array<Array<{ readonly index: number; readonly entry: PutEventsRequestEntry }>> = [];
    let call: (typeof calls)[number] = [];
    let callBytes = 0;
    events.forEach((event, index) => {
      const entry = this.entry(event.detailType, event.detail);
      const size = entrySize(entry);
      if (size >= PUT_EVENTS_MAX_BYTES) {
        outcomes[index] = { status: 'rejected', reason: `the entry has ${size} bytes; PutEvents takes less than ${PUT_EVENTS_MAX_BYTES}` };
        return;
      }
      if (call.length === PUT_EVENTS_MAX_ENTRIES || callBytes + size >= PUT_EVENTS_MAX_BYTES) {
        calls.push(call);
        call = [];
        callBytes = 0;
      }
      call.push({ index, entry });
      callBytes += size;
    });
    if (call.length > 0) calls.push(call);

    await mapWithConcurrency(calls, CALLS_IN_FLIGHT, async (entries) => {
      try {
        const output = await this.client.send(new PutEventsCommand({ Entries: entries.map((e) => e.entry) }));
        // Results come in the order of the request's entries.
        entries.forEach(({ index }, i) => (outcomes[index] = outcomeOf(output.Entries?.[i])));
      } catch (error) {
        // The SDK has already retried what it could; the caller decides whether to try again later.
        const reason = `PutEvents failed (${error instanceof Error ? error.name : 'unknown error'})`;
        for (const { index } of entries) outcomes[index] = { status: 'failed', reason };
      }
    });
    return outcomes;
  }
}
