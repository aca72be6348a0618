// The settings of local mode, read from the environment and checked before anything starts.

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
  };
}

export const USAGE = `Usage: npm start [-- --help]

Runs the whole Vigil control plane on this machine: the same API handlers as in AWS behind a
local HTTP server, with DynamoDB Local (started and stopped with this command) as storage.
It prints the URL and the admin token, and stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
Data persists across restarts in the data dir.

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

Options:
  -h, --help               show this help and exit
`;
