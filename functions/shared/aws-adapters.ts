import type { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { describeClusterUnavailable, eksDescribeCluster, type DescribeCluster } from './eks.js';
import { BOUNDED_ATTEMPTS, boundServiceClient } from './call-budget.js';
import type { RuntimeConfig } from './runtime-config.js';
import { lazyEventPublisher, lazyModeChangeScheduler } from './lazy-adapters.js';
import { EventBridgePublisher } from './events/EventBridgePublisher.js';
import { LogEventPublisher } from './events/LogEventPublisher.js';
import type { EventPublisher } from './events/ports.js';
import { EventBridgeModeChangeScheduler } from './scheduling/EventBridgeModeChangeScheduler.js';
import { LocalModeChangeScheduler, UnconfiguredModeChangeScheduler } from './scheduling/LocalModeChangeScheduler.js';
import type { ModeChangeScheduler } from './scheduling/ports.js';

// The adapters of AWS services other than DynamoDB. Only the entry points that use one import it (the admin
// API validates clusters and keeps schedules, mode change publishes events), so that the SDK clients they
// load stay out of the other functions' bundles: the enforcer API and the bootstrap carry none of them.
// Local mode reaches no AWS API: each adapter then has a local stand-in.
//
// The SDK clients are imported statically and by name, and built on first use. The deployed function is one
// esbuild file, which evaluates every module it holds when it loads, a dynamically imported one too; and a
// namespace import (or a destructured `await import(...)`) keeps every command of the client and its schema.
// A dynamic import therefore saved nothing and cost every command's evaluation on each cold start
// (docs/adr/0021); named imports keep only the commands the adapters send.

/** Each client's region, and attempts that fail when late (the call budget then bounds their retries). */
function awsOptions(config: RuntimeConfig): { region?: string; requestHandler: typeof BOUNDED_ATTEMPTS } {
  return { ...(config.region ? { region: config.region } : {}), requestHandler: BOUNDED_ATTEMPTS };
}

/** Validates EKS cluster ARNs at registration with DescribeCluster (unavailable in local mode). */
export function clusterValidation(config: RuntimeConfig): DescribeCluster {
  return config.mode === 'local' ? describeClusterUnavailable : eksDescribeCluster();
}

/**
 * One-time EventBridge Scheduler schedules for pending enforcement-mode changes when the stack configured
 * them; local mode polls the pending changes in DynamoDB instead.
 */
export function modeChangeScheduling(config: RuntimeConfig): ModeChangeScheduler {
  const { scheduling } = config;
  if (config.mode === 'local') return new LocalModeChangeScheduler();
  if (!scheduling) return new UnconfiguredModeChangeScheduler();
  // Built on first use: most admin API requests never schedule a mode change.
  return lazyModeChangeScheduler(() =>
    Promise.resolve(
      new EventBridgeModeChangeScheduler(boundServiceClient(new SchedulerClient(awsOptions(config)), 'EventBridge Scheduler'), scheduling),
    ),
  );
}

/** Publishes to the Vigil event bus when the stack named one; otherwise (and in local mode) to the log. */
export function eventPublishing(config: RuntimeConfig, logger: Logger): EventPublisher {
  const { eventBusName } = config;
  if (config.mode === 'local' || !eventBusName) return new LogEventPublisher(logger);
  // Built on first use: a run with no change due publishes nothing.
  return lazyEventPublisher(() =>
    Promise.resolve(new EventBridgePublisher(boundServiceClient(new EventBridgeClient(awsOptions(config)), 'EventBridge'), eventBusName)),
  );
}
