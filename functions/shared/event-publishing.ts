import type { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { awsOptions } from './aws-options.js';
import { boundServiceClient } from './call-budget.js';
import { EventBridgePublisher } from './events/EventBridgePublisher.js';
import { LogEventPublisher } from './events/LogEventPublisher.js';
import type { EventPublisher } from './events/ports.js';
import { lazyEventPublisher } from './lazy-adapters.js';
import type { RuntimeConfig } from './runtime-config.js';

// The mode-change function's AWS adapter, apart from the admin API's (aws-adapters.ts), so that neither
// function's module graph holds the other's SDK clients: a bundle that leaves the SDK to the runtime keeps
// every import of a client, used or not. The client and its one command are imported by name (docs/adr/0021).

/** Publishes to the Vigil event bus when the stack named one; otherwise (and in local mode) to the log. */
export function eventPublishing(config: RuntimeConfig, logger: Logger): EventPublisher {
  const { eventBusName } = config;
  if (config.mode === 'local' || !eventBusName) return new LogEventPublisher(logger);
  // Built on first use: a run with no change due publishes nothing.
  return lazyEventPublisher(() =>
    Promise.resolve(new EventBridgePublisher(boundServiceClient(new EventBridgeClient(awsOptions(config)), 'EventBridge'), eventBusName)),
  );
}
