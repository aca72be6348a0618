// Where the CLI sends requests and how it authenticates: a bearer token (local mode, or any endpoint when a
// token is given) or AWS SigV4 from the default credential chain (the API Gateway endpoint in AWS).
import { isIP } from 'node:net';
import { UsageError } from './errors.js';

export type Auth =
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'sigv4'; readonly region: string; readonly profile?: string }
  | { readonly kind: 'none' };

export interface Target {
  /** The endpoint without a trailing slash; it may carry a base path (a stage or a custom domain mapping). */
  readonly endpoint: URL;
  readonly auth: Auth;
}

/** What the command line and the environment say about the target. */
export interface TargetOptions {
  readonly endpoint?: string;
  readonly token?: string;
  readonly region?: string;
  readonly profile?: string;
}

/** Whether a host name is this machine: local mode, where SigV4 makes no sense. */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.') || host === '0.0.0.0';
  if (isIP(host) === 6) return host === '::1' || host === '::';
  return false;
}

/** The region in an API Gateway host name such as `abc123.execute-api.eu-west-1.amazonaws.com`. */
export function regionFromHost(hostname: string): string | undefined {
  // eslint-disable-next-line security/detect-unsafe-regex -- linear: each repetition of (?:-[a-z]+) starts with a '-' that [a-z] cannot match, so the split is unique
  const match = /\.execute-api(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/.exec(hostname.toLowerCase());
  return match?.[1];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Resolves the target from flags first, then the environment (`VIGIL_ENDPOINT`, `VIGIL_TOKEN`); the signing region
 * from `--region`, else the execute-api host name, else `AWS_REGION` / `AWS_DEFAULT_REGION`. A token always means Bearer; without one, an https endpoint on another
 * host is signed with SigV4; anything else is sent without credentials (and the API will say 401).
 */
export function resolveTarget(options: TargetOptions, env: Readonly<Record<string, string | undefined>>): Target {
  const raw = nonEmpty(options.endpoint) ?? nonEmpty(env.VIGIL_ENDPOINT);
  if (raw === undefined)
    throw new UsageError('no endpoint: pass --endpoint <url> or set VIGIL_ENDPOINT (e.g. http://127.0.0.1:8787 for local mode)');
  let endpoint: URL;
  try {
    endpoint = new URL(raw);
  } catch {
    throw new UsageError(`the endpoint "${raw}" is not a URL (e.g. https://abc123.execute-api.eu-west-1.amazonaws.com)`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:')
    throw new UsageError(`the endpoint must be an http or https URL, not ${endpoint.protocol}`);
  if (endpoint.search !== '' || endpoint.hash !== '') throw new UsageError('the endpoint must not carry a query string or a fragment');
  endpoint.pathname = endpoint.pathname.replace(/\/+$/, '');

  const token = nonEmpty(options.token) ?? nonEmpty(env.VIGIL_TOKEN);
  // eslint-disable-next-line security/detect-possible-timing-attacks -- a test for a missing value, not a comparison of a secret
  if (token !== undefined) return { endpoint, auth: { kind: 'bearer', token } };
  if (endpoint.protocol === 'https:' && !isLocalHost(endpoint.hostname)) {
    // An execute-api host names its region, which is the one to sign for whatever the shell's default region is.
    const region =
      nonEmpty(options.region) ?? regionFromHost(endpoint.hostname) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
    if (region === undefined)
      throw new UsageError(`cannot tell the AWS region of ${endpoint.hostname} to sign requests: pass --region or set AWS_REGION`);
    const profile = nonEmpty(options.profile);
    return { endpoint, auth: { kind: 'sigv4', region, ...(profile === undefined ? {} : { profile }) } };
  }
  return { endpoint, auth: { kind: 'none' } };
}
