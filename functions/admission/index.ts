// Lambda entry point of the admission webhook: wiring only; the behaviour lives in app.ts.
import { runtimeConfigFromEnv } from '../shared/runtime-config.js';
import { createAdmissionHandler } from './app.js';
import { createWebhookRuntime } from './runtime.js';

export const handler = createAdmissionHandler(createWebhookRuntime(runtimeConfigFromEnv()));
