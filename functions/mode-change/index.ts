// Lambda entry point of scheduled enforcement-mode changes: wiring only; the behaviour lives in app.ts.
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Logger } from '@aws-lambda-powertools/logger';
import { eventPublishing } from '../shared/event-publishing.js';
import { createRuntime } from '../shared/runtime.js';
import { runtimeConfigFromEnv } from '../shared/runtime-config.js';
import { createModeChangeHandler } from './app.js';

const config = runtimeConfigFromEnv();
const logger = new Logger({ serviceName: 'vigil' });
// An applied change is announced on the Vigil event bus.
const runtime = createRuntime(config, { logger, events: eventPublishing(config, logger) });
// The namespace comes from POWERTOOLS_METRICS_NAMESPACE (set by the stack).
export const handler = createModeChangeHandler(runtime, { metrics: new Metrics({ serviceName: 'vigil' }) });
