// Lambda entry point of the deployment's bootstrap (a CloudFormation custom resource): wiring only; the behaviour lives in app.ts.
import { createRuntime } from '../shared/runtime.js';
import { runtimeConfigFromEnv } from '../shared/runtime-config.js';
import { createBootstrapHandler } from './app.js';

export const handler = createBootstrapHandler(createRuntime(runtimeConfigFromEnv()));
