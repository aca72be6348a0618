import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiError, DependencyError } from '../errors.js';

/** Where the adapters find DynamoDB. */
export interface DynamoClientOptions {
  /**
   * An explicit endpoint, e.g. `http://127.0.0.1:8000`. Only DynamoDB Local is reached this way (local mode
   * and tests), so it gets placeholder credentials: DynamoDB Local accepts any signature.
   * @default the regional AWS endpoint
   */
  readonly endpoint?: string | undefined;
  /** @default the SDK's own resolution (AWS_REGION in Lambda); `local` with an explicit endpoint */
  readonly region?: string | undefined;
}

/** The low-level client (table management) and the document client (everything else). */
export interface DynamoClients {
  readonly client: DynamoDBClient;
  readonly document: DynamoDBDocumentClient;
}

/** Builds the DynamoDB clients once per Lambda instance (or once for local mode). */
export function createDynamoClients(options: DynamoClientOptions = {}): DynamoClients {
  // The SDK waits forever for a connection or an answer by default: a storage that accepts connections
  // but never answers would hold every request for its whole budget. Bounded waits let the callers fall
  // back (the webhook to its cached configuration) instead.
  const requestHandler = { connectionTimeout: 1_000, requestTimeout: 10_000 };
  const client = options.endpoint
    ? new DynamoDBClient({
        endpoint: options.endpoint,
        // DynamoDB Local keys nothing on the region with -sharedDb; any valid label signs.
        region: options.region ?? 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        requestHandler,
      })
    : new DynamoDBClient({ ...(options.region ? { region: options.region } : {}), requestHandler });
  const document = DynamoDBDocumentClient.from(client, {
    marshallOptions: {
      // Optional fields of zod outputs are `undefined`; DynamoDB has no such value.
      removeUndefinedValues: true,
      // Documents are plain JSON; a class instance here is a bug that must fail loudly.
      convertClassInstanceToMap: false,
    },
  });
  return { client, document };
}

/**
 * Maps any failure of a storage call to what the API may show: typed errors pass through, everything
 * else becomes a 503 `DependencyError` whose `cause` keeps the SDK error for the logs.
 */
export function storageError(cause: unknown): Error {
  if (cause instanceof ApiError) return cause;
  const error = new DependencyError('storage is unavailable');
  error.cause = cause;
  return error;
}
