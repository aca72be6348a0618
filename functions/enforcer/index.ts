// Lambda entry point of the enforcer API: wiring only; the behaviour lives in app.ts.
import { createRuntime } from '../shared/runtime.js';
import { runtimeConfigFromEnv } from '../shared/runtime-config.js';
import { createEnforcerHandler } from './app.js';

export const handler = createEnforcerHandler(createRuntime(runtimeConfigFromEnv()));
