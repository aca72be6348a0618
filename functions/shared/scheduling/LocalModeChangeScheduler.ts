import type { Logger } from '@aws-lambda-powertools/logger';
import { DependencyError } from '../errors.js';
import type { EventPublisher, ModeChangeScheduler } from './ports.js';

/**
 * Local mode keeps no timers of its own: the pending changes live in DynamoDB next to their policies
 * (written in the same transaction), and the LocalScheduler polls them. So there is nothing to do here.
 */
export class LocalModeChangeScheduler implements ModeChangeScheduler {
  async schedule(): Promise<void> {}
  async cancel(): Promise<void> {}
}

/** A deployment without scheduler settings refuses to schedule rather than save changes that would never fire. */
export class UnconfiguredModeChangeScheduler implements ModeChangeScheduler {
  schedule(): Promise<void> {
    return Promise.reject(
      new DependencyError(
        'scheduled mode changes are not configured in this deployment (VIGIL_SCHEDULE_GROUP, VIGIL_MODE_CHANGE_FUNCTION_ARN, VIGIL_SCHEDULER_ROLE_ARN)',
      ),
    );
  }
  // Nothing can have been scheduled, so there is nothing to cancel: deletes keep working.
  async cancel(): Promise<void> {}
}

/** Local mode (and a deployment without an event bus): events go to the log. */
export class LogEventPublisher implements EventPublisher {
  constructor(private readonly logger: Pick<Logger, 'info'>) {}
  publish(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    this.logger.info(detailType, { event: { detailType, detail } });
    return Promise.resolve();
  }
}
