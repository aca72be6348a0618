// Lambda entry point of the admin API: wiring only; the behaviour lives in app.ts.
import { clusterValidation, modeChangeScheduling } from '../shared/aws-adapters.js';
import { createRuntime } from '../shared/runtime.js';
import { runtimeConfigFromEnv } from '../shared/runtime-config.js';
import { createApiHandler } from './app.js';

const config = runtimeConfigFromEnv();
// Registration validates cluster ARNs with EKS; policy saves keep the one-time schedules of mode changes.
export const handler = createApiHandler(
  createRuntime(config, { describeCluster: clusterValidation(config), modeChangeScheduler: modeChangeScheduling(config) }),
);
