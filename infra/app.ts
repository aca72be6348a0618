// The CDK app (`npx cdk synth`, `npx cdk deploy`; cdk.json runs it with tsx). The CDK CLI synthesizes it
// when the process exits.
import { createVigilApp } from './vigil-app.js';

createVigilApp();
