// Lambda entry point of scheduled enforcement-mode changes: wiring only; the behaviour lives in app.ts.
import { createRuntime, runtimeConfigFromEnv } from '../shared/runtime.js';
import { createModeChangeHandler } from './app.js';

export const handler = createModeChangeHandler(createRuntime(runtimeConfigFromEnv()));
