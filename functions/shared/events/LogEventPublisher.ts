import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventPublisher } from './ports.js';

/** Local mode (and a deployment without an event bus): events go to the log. */
export class LogEventPublisher implements EventPublisher {
  constructor(private readonly logger: Pick<Logger, 'info'>) {}
  publish(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    this.logger.info(detailType, { event: { detailType, detail } });
    return Promise.resolve();
  }
}
