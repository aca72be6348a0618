// Lambda entry point of scheduled enforcement-mode changes: wiring only; the behaviour lives in app.ts.
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createRuntime, runtimeConfigFromEnv } from '../shared/runtime.js';
import { createModeChangeHandler } from './app.js';

// The namespace comes from POWERTOOLS_METRICS_NAMESPACE (set by the stack).
export const handler = createModeChangeHandler(createRuntime(runtimeConfigFromEnv()), { metrics: new Metrics({ serviceName: 'vigil' }) });
