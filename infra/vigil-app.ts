import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_RESERVED_CONCURRENCY, VigilStack } from './vigil-stack.js';

/** Context values of `cdk deploy -c key=value` that shape the stack (README, "Deploy to AWS"). */
export const contextKeys = {
  /** Name of the CloudFormation stack, and the default prefix of table, bus and schedule group names. */
  stackName: 'vigil:stackName',
  /** `true`: a disposable stack (no deletion protection; data deleted with the stack). */
  devStack: 'vigil:devStack',
  /** An e-mail address subscribed to the alarm topic. */
  alarmEmail: 'vigil:alarmEmail',
  /** `true`: reserve concurrency for the webhook and the enforcer API (the account quota must leave room for it). */
  reserveConcurrency: 'vigil:reserveConcurrency',
  /** `true`: turn on the tables' deletion protection (after the first deployment succeeded: docs/adr/0010). */
  deletionProtection: 'vigil:deletionProtection',
  /** The base URL clusters and enforcers call, when a CloudFront distribution (with AWS WAF) fronts the API. */
  publicUrl: 'vigil:publicUrl',
  /** `false`: no Lambda active tracing (X-Ray traces are the largest per-verdict cost at low traffic). */
  tracing: 'vigil:tracing',
} as const;

function flag(app: App, key: string, fallback: boolean): boolean {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context ${key} must be true or false, not ${JSON.stringify(value)}`);
}

function text(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`context ${key} must be a string`);
  return value;
}

/**
 * The CDK app: one environment-agnostic Vigil stack (no lookups, so `cdk synth` needs no credentials) with
 * the cdk-nag AwsSolutions checks attached, which fail synthesis on any unacknowledged finding.
 */
export function createVigilApp(props: AppProps = {}): { readonly app: App; readonly stack: VigilStack } {
  const app = new App(props);
  const stack = new VigilStack(app, text(app, contextKeys.stackName) ?? 'Vigil', {
    description: 'Vigil: serverless runtime-protection control plane (EKS admission, Lambda protection, enforcer policies)',
    devStack: flag(app, contextKeys.devStack, false),
    alarmEmail: text(app, contextKeys.alarmEmail),
    ...(flag(app, contextKeys.reserveConcurrency, false) ? { reservedConcurrency: DEFAULT_RESERVED_CONCURRENCY } : {}),
    tableDeletionProtection: flag(app, contextKeys.deletionProtection, false),
    publicUrl: text(app, contextKeys.publicUrl),
    tracing: flag(app, contextKeys.tracing, true),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
