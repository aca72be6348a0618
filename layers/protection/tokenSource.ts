import type * as SecretsManager from '@aws-sdk/client-secrets-manager';
import type * as Ssm from '@aws-sdk/client-ssm';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** Where the enforcer-group token comes from. */
export type TokenSource =
  | { readonly kind: 'value'; readonly token: string }
  | { readonly kind: 'ssmParameter'; readonly name: string }
  | { readonly kind: 'secret'; readonly secretId: string };

/** Longest token accepted from a store; group tokens are far shorter. */
const MAX_TOKEN_LENGTH = 4096;
/** Bounds of one read: the first bundle fetch waits for it, so it must fail quickly. */
const CONNECT_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 3000;

type Env = Readonly<Record<string, string | undefined>>;

/** How a source is named in log lines: which parameter or secret, never what it holds. */
export function describeTokenSource(source: TokenSource): string {
  if (source.kind === 'ssmParameter') return `SSM parameter "${source.name}"`;
  if (source.kind === 'secret') return `Secrets Manager secret "${source.secretId}"`;
  return 'VIGIL_TOKEN';
}

/**
 * Host and port the SDK connects to for a store, so that the layer's own read is not judged by the egress
 * control (or refused by a closed fail mode before any bundle is known): the service's endpoint URL
 * override if set, else the standard regional endpoint.
 */
export function storeEndpoint(source: TokenSource, env: Env): { readonly host: string; readonly port: number } | undefined {
  if (source.kind === 'value') return undefined;
  const service =
    source.kind === 'ssmParameter'
      ? { override: 'AWS_ENDPOINT_URL_SSM', prefix: 'ssm' }
      : { override: 'AWS_ENDPOINT_URL_SECRETS_MANAGER', prefix: 'secretsmanager' };
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const text =
    env[service.override] ||
    env.AWS_ENDPOINT_URL ||
    `https://${service.prefix}.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
  try {
    const url = new URL(text);
    return { host: url.hostname, port: url.port !== '' ? Number(url.port) : url.protocol === 'http:' ? 80 : 443 };
  } catch {
    return undefined;
  }
}

/**
 * Loads an AWS SDK v3 client package at run time (the layer never bundles one). Resolution goes through the
 * CommonJS resolver, which honours NODE_PATH: that is how the Lambda Node.js runtimes expose the SDK they
 * ship (/var/runtime/node_modules), and a bare ESM import() from the layer's directory would not find it.
 */
async function loadSdkPackage<T>(name: string): Promise<T> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    throw new Error(`${name} is not available (the Lambda Node.js runtimes provide it)`);
  }
  return (await import(pathToFileURL(entry).href)) as T;
}

function checked(token: string | undefined): string {
  const trimmed = token?.trim();
  if (!trimmed) throw new Error('it holds no token');
  if (trimmed.length > MAX_TOKEN_LENGTH) throw new Error(`it holds more than ${MAX_TOKEN_LENGTH} characters`);
  for (let i = 0; i < trimmed.length; i++) {
    const code = trimmed.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) throw new Error('the token must be printable ASCII without spaces');
  }
  return trimmed;
}

/** A secret's string: the token itself, or a JSON object whose `token` field is the token (a key/value secret). */
function tokenOfSecretString(secretString: string | undefined): string {
  const text = secretString?.trim() ?? '';
  if (!text.startsWith('{')) return checked(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('it looks like JSON but does not parse');
  }
  const token = (parsed as { token?: unknown }).token;
  if (typeof token !== 'string') throw new Error('it is a JSON object without a string "token" field');
  return checked(token);
}

const clientOptions = { maxAttempts: 2, requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS } };

/**
 * Reads the token once (at init, in the background). Errors name the source, never a value; the SDK takes
 * region, credentials and endpoint overrides from the function's environment as usual.
 */
export async function fetchToken(source: TokenSource): Promise<string> {
  if (source.kind === 'value') return source.token;
  if (source.kind === 'ssmParameter') {
    const { SSMClient, GetParameterCommand } = await loadSdkPackage<typeof Ssm>('@aws-sdk/client-ssm');
    const client = new SSMClient(clientOptions);
    try {
      const answer = await client.send(new GetParameterCommand({ Name: source.name, WithDecryption: true }));
      return checked(answer.Parameter?.Value);
    } finally {
      client.destroy();
    }
  }
  const { SecretsManagerClient, GetSecretValueCommand } = await loadSdkPackage<typeof SecretsManager>('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient(clientOptions);
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: source.secretId }));
    return tokenOfSecretString(answer.SecretString);
  } finally {
    client.destroy();
  }
}
