import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DependencyError } from '../errors.js';
import { EVENT_SOURCE, type EventPublisher } from './ports.js';

/** Publishes to the installation's event bus (env `VIGIL_EVENT_BUS_NAME`), where rules route to SIEM, chat and so on. */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async publish(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    let failed: string | undefined;
    try {
      const output = await this.client.send(
        new PutEventsCommand({ Entries: [{ EventBusName: this.eventBusName, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }] }),
      );
      // PutEvents answers 200 even when it refused an entry: the entry carries the reason.
      if ((output.FailedEntryCount ?? 0) > 0) failed = `${output.Entries?.[0]?.ErrorCode ?? 'unknown'}: ${output.Entries?.[0]?.ErrorMessage ?? ''}`;
    } catch (error) {
      throw new DependencyError('the event bus is unavailable', [], { cause: error });
    }
    if (failed !== undefined) throw new DependencyError(`the event bus refused the event (${failed})`);
  }
}
