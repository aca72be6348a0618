// Lambda entry point of the admission webhook: wiring only; the behaviour lives in app.ts.
import { createRuntime, runtimeConfigFromEnv } from '../shared/runtime.js';
import { createAdmissionHandler } from './app.js';

export const handler = createAdmissionHandler(createRuntime(runtimeConfigFromEnv()));
