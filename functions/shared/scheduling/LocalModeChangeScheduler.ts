import { DependencyError } from '../errors.js';
import type { ModeChangeScheduler } from './ports.js';

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
