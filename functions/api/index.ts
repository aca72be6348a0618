// Lambda entry point of the admin API: wiring only; the behaviour lives in app.ts.
import { createRuntime, runtimeConfigFromEnv } from '../shared/runtime.js';
import { createApiHandler } from './app.js';

export const handler = createApiHandler(createRuntime(runtimeConfigFromEnv()));
