// Lambda entry point of the enforcer API: wiring only; the behaviour lives in app.ts.
import { createRuntime, runtimeConfigFromEnv } from '../shared/runtime.js';
import { createEnforcerHandler } from './app.js';

export const handler = createEnforcerHandler(createRuntime(runtimeConfigFromEnv()));
