import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ConsoleIdentityProvider } from './console-sign-in.js';
import { DEFAULT_RESERVED_CONCURRENCY, VigilStack, type ConsoleOptions, type ReservedConcurrency } from './vigil-stack.js';

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
  /** With vigil:reserveConcurrency=true: the webhook's reservation instead of the default 50. */
  admissionConcurrency: 'vigil:admissionConcurrency',
  /** With vigil:reserveConcurrency=true: the enforcer API's reservation instead of the default 20 (docs/node-enforcement.md sizes it). */
  enforcerConcurrency: 'vigil:enforcerConcurrency',
  /** `true`: turn on the tables' deletion protection (after the first deployment succeeded: docs/adr/0010). */
  deletionProtection: 'vigil:deletionProtection',
  /** The base URL clusters and enforcers call, when a CloudFront distribution (with AWS WAF) fronts the API. */
  publicUrl: 'vigil:publicUrl',
  /** `false`: no Lambda active tracing (X-Ray traces are the largest per-verdict cost at low traffic). */
  tracing: 'vigil:tracing',
  /** `false`: no web console (no CloudFront distribution, Cognito user pool or console API); the CLI works alike. */
  console: 'vigil:console',
  /** Prefix of the console's Cognito domain (`https://<prefix>.auth.<region>.amazoncognito.com`), unique in the region. */
  consoleDomainPrefix: 'vigil:consoleDomainPrefix',
  /** `saml` or `oidc`: federate a company IdP into the console's user pool. */
  consoleIdp: 'vigil:consoleIdp',
  /** The IdP's name on the sign-in page (default `CompanyIdP`). */
  consoleIdpName: 'vigil:consoleIdpName',
  /** SAML: the https URL of the IdP's metadata document. */
  consoleIdpMetadataUrl: 'vigil:consoleIdpMetadataUrl',
  /** OIDC: the IdP's https issuer URL. */
  consoleIdpIssuer: 'vigil:consoleIdpIssuer',
  /** OIDC: the client id Vigil has at the IdP. */
  consoleIdpClientId: 'vigil:consoleIdpClientId',
  /** OIDC: the name or ARN of the Secrets Manager secret that holds the client secret (never the secret itself). */
  consoleIdpClientSecretName: 'vigil:consoleIdpClientSecretName',
  /** An AWS WAF web ACL (scope CLOUDFRONT, in us-east-1) for the console's distribution. */
  consoleWebAclArn: 'vigil:consoleWebAclArn',
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

function httpsUrl(app: App, key: string): string | undefined {
  const value = text(app, key);
  if (value !== undefined && (!URL.canParse(value) || new URL(value).protocol !== 'https:'))
    throw new Error(`context ${key} must be an https URL, not ${JSON.stringify(value)}`);
  return value;
}

function consoleDomainPrefix(app: App): string | undefined {
  const prefix = text(app, contextKeys.consoleDomainPrefix);
  // Cognito's rules for a prefix; it may not contain "aws", "amazon" or "cognito" either.
  if (
    prefix !== undefined &&
    (!/^[a-z0-9-]{1,63}$/.test(prefix) || prefix.startsWith('-') || prefix.endsWith('-') || /aws|amazon|cognito/.test(prefix))
  )
    throw new Error(
      `context ${contextKeys.consoleDomainPrefix} must be 1 to 63 lower-case letters, digits and inner "-", without "aws", "amazon" or "cognito", not ${JSON.stringify(prefix)}`,
    );
  return prefix;
}

/** A reservation from context: a whole number from 1 to 10,000 (Lambda's own ceiling is the account quota). */
function concurrency(app: App, key: string): number | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(number) || number < 1 || number > 10_000)
    throw new Error(`context ${key} must be a whole number from 1 to 10000, not ${JSON.stringify(value)}`);
  return number;
}

/** The reservations, or undefined without `vigil:reserveConcurrency=true`; a number given without it is refused. */
export function reservedConcurrency(app: App): ReservedConcurrency | undefined {
  const admission = concurrency(app, contextKeys.admissionConcurrency);
  const enforcer = concurrency(app, contextKeys.enforcerConcurrency);
  if (!flag(app, contextKeys.reserveConcurrency, false)) {
    // A reservation given without turning reservations on is a mistake to hear about, not a silent no-op.
    const given = [
      admission === undefined ? [] : [contextKeys.admissionConcurrency],
      enforcer === undefined ? [] : [contextKeys.enforcerConcurrency],
    ].flat();
    if (given.length > 0) throw new Error(`context ${given.join(', ')} needs ${contextKeys.reserveConcurrency}=true`);
    return undefined;
  }
  return { admission: admission ?? DEFAULT_RESERVED_CONCURRENCY.admission, enforcer: enforcer ?? DEFAULT_RESERVED_CONCURRENCY.enforcer };
}

function required(app: App, key: string, because: string): string {
  const value = text(app, key);
  if (value === undefined) throw new Error(`context ${key} is required ${because}`);
  return value;
}

/** The company IdP of the console's user pool, from `-c vigil:consoleIdp=saml|oidc` and the values each needs. */
export function consoleIdentityProvider(app: App): ConsoleIdentityProvider | undefined {
  const type = text(app, contextKeys.consoleIdp);
  if (type === undefined) return undefined;
  const name = text(app, contextKeys.consoleIdpName) ?? 'CompanyIdP';
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{1,30}[A-Za-z0-9]$/.test(name))
    throw new Error(`context ${contextKeys.consoleIdpName} must be 3 to 32 letters, digits, "." or "-", not ${JSON.stringify(name)}`);
  const because = `with ${contextKeys.consoleIdp}=${type}`;
  if (type === 'saml') {
    httpsUrl(app, contextKeys.consoleIdpMetadataUrl);
    return { type, name, metadataUrl: required(app, contextKeys.consoleIdpMetadataUrl, because) };
  }
  if (type === 'oidc') {
    httpsUrl(app, contextKeys.consoleIdpIssuer);
    return {
      type,
      name,
      issuerUrl: required(app, contextKeys.consoleIdpIssuer, because),
      clientId: required(app, contextKeys.consoleIdpClientId, because),
      clientSecretName: required(app, contextKeys.consoleIdpClientSecretName, because),
    };
  }
  throw new Error(`context ${contextKeys.consoleIdp} must be saml or oidc, not ${JSON.stringify(type)}`);
}

/** The console's settings, or `false` for a stack without it (`-c vigil:console=false`). */
function consoleOptions(app: App): ConsoleOptions | false {
  if (flag(app, contextKeys.console, true))
    return {
      domainPrefix: consoleDomainPrefix(app),
      identityProvider: consoleIdentityProvider(app),
      webAclArn: text(app, contextKeys.consoleWebAclArn),
    };
  // A console setting given with the console left out is a mistake to hear about, not a silent no-op.
  const given = Object.values(contextKeys).filter(
    (key) => key.startsWith('vigil:console') && key !== contextKeys.console && app.node.tryGetContext(key) !== undefined,
  );
  if (given.length > 0) throw new Error(`context ${given.join(', ')} configures the console, which vigil:console=false leaves out`);
  return false;
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
    reservedConcurrency: reservedConcurrency(app) ?? false,
    tableDeletionProtection: flag(app, contextKeys.deletionProtection, false),
    publicUrl: text(app, contextKeys.publicUrl),
    tracing: flag(app, contextKeys.tracing, true),
    console: consoleOptions(app),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
