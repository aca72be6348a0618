import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { describeClusterUnavailable, type DescribeCluster } from './eks.js';
import { eksDescribeCluster } from './eks-describe-cluster.js';
import type { RuntimeConfig } from './runtime-config.js';
import { awsOptions } from './aws-options.js';
import { boundServiceClient } from './call-budget.js';
import { lazyModeChangeScheduler } from './lazy-adapters.js';
import { EventBridgeModeChangeScheduler } from './scheduling/EventBridgeModeChangeScheduler.js';
import { LocalModeChangeScheduler, UnconfiguredModeChangeScheduler } from './scheduling/LocalModeChangeScheduler.js';
import type { ModeChangeScheduler } from './scheduling/ports.js';

// The admin API's adapters of AWS services other than DynamoDB: it validates clusters and keeps schedules.
// Only its entry point imports this module (mode change has its own, event-publishing.ts), so that these SDK
// clients stay out of the other functions' bundles, also of a bundle that leaves the SDK to the runtime, which
// keeps every import of a client, used or not. Local mode reaches no AWS API: each adapter then has a local
// stand-in.
//
// The SDK clients are imported statically and by name, and built on first use. The deployed function is one
// esbuild file, which evaluates every module it holds when it loads, a dynamically imported one too; and a
// namespace import (or a destructured `await import(...)`) keeps every command of the client and its schema.
// A dynamic import therefore saved nothing and cost every command's evaluation on each cold start
// (docs/adr/0021); named imports keep only the commands the adapters send.

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
