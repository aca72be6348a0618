import { readFileSync } from 'node:fs';
import type { TokenSource } from './tokenSource.js';

/** How the layer is configured; everything comes from the function's environment. */
export interface ProtectionConfig {
  /** Base URL of the control plane (`VIGIL_ENDPOINT`); undefined = embedded snapshot only. */
  readonly endpoint: string | undefined;
  /** Enforcer-group token: `VIGIL_TOKEN`, or the SSM parameter (`VIGIL_TOKEN_PARAMETER`) or secret (`VIGIL_TOKEN_SECRET`) holding it. */
  readonly token: TokenSource | undefined;
  /** What to do while no bundle is known (`VIGIL_FAIL_MODE`). @default 'open' */
  readonly failMode: 'open' | 'closed';
  /** Bundle embedded at deploy time (`VIGIL_SNAPSHOT`: a file path or inline JSON). */
  readonly embeddedBundle: unknown;
  /** Seconds between bundle refreshes (`VIGIL_BUNDLE_TTL_SECONDS`); undefined = the server's pollIntervalSeconds. */
  readonly bundleTtlSeconds: number | undefined;
  /** Milliseconds between background event flushes (`VIGIL_FLUSH_INTERVAL_MS`). @default 1000 */
  readonly flushIntervalMs: number;
  /** Where the honeypot credentials file is planted (`VIGIL_HONEYPOT_FILE`). @default '/tmp/.aws/credentials' */
  readonly honeypotFile: string;
  readonly fn: FunctionFacts;
  /** Problems found while reading the configuration, reported on stderr. */
  readonly problems: readonly string[];
}

/** The function as the scope language sees it. */
export interface FunctionFacts {
  readonly name: string | undefined;
  readonly runtime: string | undefined;
  readonly region: string | undefined;
  readonly account: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

function positive(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** `k=v,k2=v2` → record; Lambda does not expose a function's tags to its code, so they are configured. */
function parseTags(text: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) tags[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return tags;
}

function readEmbedded(text: string | undefined, problems: string[]): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text.trimStart().startsWith('{') ? text : readFileSync(text, 'utf8')) as unknown;
  } catch (error) {
    problems.push(`VIGIL_SNAPSHOT could not be read: ${(error as Error).message}`);
    return undefined;
  }
}

/** SSM parameter names and secret ids or ARNs are at most 2048 characters. */
const MAX_STORE_NAME_LENGTH = 2048;

function readTokenSource(env: Env, problems: string[]): TokenSource | undefined {
  const parameter = env.VIGIL_TOKEN_PARAMETER?.trim() || undefined;
  const secret = env.VIGIL_TOKEN_SECRET?.trim() || undefined;
  const given = [parameter && 'VIGIL_TOKEN_PARAMETER', secret && 'VIGIL_TOKEN_SECRET', env.VIGIL_TOKEN && 'VIGIL_TOKEN'].filter(Boolean);
  if (given.length > 1) problems.push(`${given.join(' and ')} are set: set one; using ${String(given[0])}`);
  for (const [name, value] of [
    ['VIGIL_TOKEN_PARAMETER', parameter],
    ['VIGIL_TOKEN_SECRET', secret],
  ] as const) {
    if (value !== undefined && value.length > MAX_STORE_NAME_LENGTH) {
      problems.push(`${name} is longer than ${MAX_STORE_NAME_LENGTH} characters; ignored`);
      return undefined;
    }
  }
  if (parameter !== undefined) return { kind: 'ssmParameter', name: parameter };
  // eslint-disable-next-line security/detect-possible-timing-attacks -- a test for a missing value, not a comparison of a secret
  if (secret !== undefined) return { kind: 'secret', secretId: secret };
  return env.VIGIL_TOKEN ? { kind: 'value', token: env.VIGIL_TOKEN } : undefined;
}

/** Reads the layer's configuration and the function's facts from the environment. */
export function readProtectionConfig(env: Env): ProtectionConfig {
  const problems: string[] = [];
  const failMode = env.VIGIL_FAIL_MODE === 'closed' ? 'closed' : 'open';
  if (env.VIGIL_FAIL_MODE !== undefined && env.VIGIL_FAIL_MODE !== 'open' && env.VIGIL_FAIL_MODE !== 'closed') {
    problems.push(`VIGIL_FAIL_MODE must be "open" or "closed"; using "open"`);
  }
  const executionEnv = env.AWS_EXECUTION_ENV;
  return {
    endpoint: env.VIGIL_ENDPOINT?.replace(/\/+$/, '') || undefined,
    token: readTokenSource(env, problems),
    failMode,
    embeddedBundle: readEmbedded(env.VIGIL_SNAPSHOT, problems),
    bundleTtlSeconds: positive(env.VIGIL_BUNDLE_TTL_SECONDS),
    flushIntervalMs: positive(env.VIGIL_FLUSH_INTERVAL_MS) ?? 1000,
    honeypotFile: env.VIGIL_HONEYPOT_FILE || '/tmp/.aws/credentials',
    fn: {
      name: env.AWS_LAMBDA_FUNCTION_NAME,
      runtime: executionEnv?.startsWith('AWS_Lambda_') ? executionEnv.slice('AWS_Lambda_'.length) : executionEnv,
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
      account: env.VIGIL_AWS_ACCOUNT || undefined,
      tags: parseTags(env.VIGIL_FUNCTION_TAGS),
    },
    problems,
  };
}

/** The account id of an invoked function ARN (`arn:aws:lambda:<region>:<account>:function:<name>`). */
export function accountOfArn(arn: string | undefined): string | undefined {
  const account = arn?.split(':')[4];
  return account !== undefined && account !== '' ? account : undefined;
}
