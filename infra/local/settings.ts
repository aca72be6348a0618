// The settings of local mode, read from the environment and checked before anything starts.

import { isIP } from 'node:net';
import { z } from 'zod';

/** What `startLocalMode` needs; `npm start` reads it from the environment. */
export interface LocalSettings {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  /** Holds the DynamoDB Local database and the generated admin token. */
  readonly dataDir: string;
  /** When absent, the token stored in the data dir is used, or one is generated there. */
  readonly adminToken?: string;
  /** An already running DynamoDB to use instead of starting DynamoDB Local. */
  readonly dynamodbEndpoint?: string;
  /**
   * The base URL clusters and enforcers reach the API at, used in webhook URLs and manifests
   * (no trailing slash). When absent, the URL the server listens at.
   */
  readonly publicUrl?: string;
  /** With TLS: more host names or IP addresses for the server certificate. */
  readonly tlsHostnames?: readonly string[];
}

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_DATA_DIR = '.vigil';

/** Visible ASCII only: the token travels in an `Authorization` header and in copied commands. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

export const adminTokenSchema = z
  .string()
  .min(16, 'must be at least 16 characters long')
  .max(512, 'must be at most 512 characters long')
  .regex(TOKEN_PATTERN, 'must be visible ASCII characters without spaces');

/** A DNS name in dot-separated labels (underscores allowed for local names), lower case. */
// eslint-disable-next-line security/detect-unsafe-regex -- linear: labels are separated by a literal ".", each bounded to 63 characters, the whole to 253 by the lookahead
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Whether a TLS certificate can name this: an IP address, or a host name (any case, optionally with a final dot). */
export function isTlsHostname(name: string): boolean {
  return isIP(name) !== 0 || DNS_NAME.test(name.toLowerCase().replace(/\.$/, ''));
}

/** Unset and empty variables both mean "use the default". */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const envSchema = z.object({
  PORT: optional(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number between 0 and 65535')
      .transform(Number)
      .pipe(z.number().int().min(0, 'must be between 0 and 65535').max(65535, 'must be between 0 and 65535')),
  ),
  HOST: optional(z.string().trim().min(1)),
  VIGIL_DATA_DIR: optional(z.string()),
  VIGIL_ADMIN_TOKEN: optional(adminTokenSchema),
  VIGIL_DYNAMODB_ENDPOINT: optional(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })),
  VIGIL_PUBLIC_URL: optional(
    z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .transform((text) => new URL(text))
      .refine(
        (url) => url.search === '' && url.hash === '' && url.username === '' && url.password === '',
        'must be a base URL without credentials, query or fragment',
      )
      .transform((url) => `${url.origin}${url.pathname}`.replace(/\/+$/, '')),
  ),
  VIGIL_TLS_HOSTNAMES: optional(
    z
      .string()
      .transform((text) =>
        text
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== ''),
      )
      .refine((names) => names.every(isTlsHostname), 'must be host names or IP addresses separated by commas'),
  ),
});

export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid settings:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/** Reads and checks the settings; throws a `SettingsError` naming each bad variable. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): LocalSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    // Never echo the value: VIGIL_ADMIN_TOKEN is a credential.
    throw new SettingsError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const values = parsed.data;
  return {
    port: values.PORT ?? DEFAULT_PORT,
    host: values.HOST ?? DEFAULT_HOST,
    dataDir: values.VIGIL_DATA_DIR ?? DEFAULT_DATA_DIR,
    ...(values.VIGIL_ADMIN_TOKEN !== undefined ? { adminToken: values.VIGIL_ADMIN_TOKEN } : {}),
    ...(values.VIGIL_DYNAMODB_ENDPOINT !== undefined ? { dynamodbEndpoint: values.VIGIL_DYNAMODB_ENDPOINT } : {}),
    ...(values.VIGIL_PUBLIC_URL !== undefined ? { publicUrl: values.VIGIL_PUBLIC_URL } : {}),
    ...(values.VIGIL_TLS_HOSTNAMES !== undefined && values.VIGIL_TLS_HOSTNAMES.length > 0
      ? { tlsHostnames: values.VIGIL_TLS_HOSTNAMES }
      : {}),
  };
}

export const USAGE = `Usage: npm start [-- [--tls] [--help]]

Runs the whole Vigil control plane on this machine: the same API handlers as in AWS behind a
local HTTP server, with DynamoDB Local (started and stopped with this command) as storage.
It prints the URL and the admin token, and stops cleanly on Ctrl-C (SIGINT) or SIGTERM, ending
with "vigil: stopped"; a second, separate signal (more than half a second later) exits at once.
Data persists across restarts in the data dir.

With --tls it serves HTTPS with a certificate from a local CA kept in <data dir>/tls/, so a
kind or minikube cluster can call the admission webhook: the manifest from POST /v1/clusters
carries that CA as caBundle. The cluster's API server must reach VIGIL_PUBLIC_URL; for kind:
  HOST=0.0.0.0 VIGIL_PUBLIC_URL=https://host.docker.internal:${DEFAULT_PORT} npm start -- --tls
(where host.docker.internal does not resolve, use this machine's IP address instead).

Settings (environment variables):
  PORT                     port to listen on (default ${DEFAULT_PORT}; 0 picks a free port)
  HOST                     address to listen on (default ${DEFAULT_HOST}; 0.0.0.0 exposes the API
                           to the network)
  VIGIL_DATA_DIR           where the database and the generated admin token are kept
                           (default ${DEFAULT_DATA_DIR})
  VIGIL_ADMIN_TOKEN        the admin bearer token (at least 16 visible characters); when unset,
                           the token in <data dir>/admin-token is used, or one is generated there
  VIGIL_DYNAMODB_ENDPOINT  use this running DynamoDB (e.g. http://127.0.0.1:8000) instead of
                           starting DynamoDB Local (which needs Java 17 or newer)
  VIGIL_PUBLIC_URL         the URL clusters and enforcers reach the API at, put into webhook
                           URLs and manifests (default: the URL it listens at); with --tls, its
                           host is added to the certificate
  VIGIL_TLS_HOSTNAMES      with --tls: more host names or IP addresses for the certificate,
                           comma-separated (e.g. host.docker.internal,192.168.1.20); localhost,
                           127.0.0.1, ::1 and HOST (unless 0.0.0.0 or ::) are always in it

Options:
      --tls                serve HTTPS with a certificate from the local CA
  -h, --help               show this help and exit
`;
