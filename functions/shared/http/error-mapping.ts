import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError, type ErrorDetail } from '../errors.js';

/** What a 503 tells clients to wait before retrying (a storage call gives up after STORAGE_CALL_BUDGET_MS). */
export const RETRY_AFTER_SECONDS = 5;

const jsonHeaders = { 'content-type': 'application/json' } as const;

/** The error body of the API contract. */
export function errorResult(
  status: number,
  code: string,
  message: string,
  details: readonly ErrorDetail[] = [],
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { ...jsonHeaders, ...headers }, body: JSON.stringify({ error: { code, message, details } }) };
}

/**
 * Maps typed errors to HTTP answers in one place. Anything unexpected becomes a 500 that leaks
 * nothing; the cause goes to the log with the request id.
 */
export function errorMapper(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error> {
  return {
    onError: (request) => {
      const error = request.error;
      if (error instanceof ApiError) {
        if (error.status >= 500) logger.error('dependency failure', { error, cause: error.cause });
        // A dependency that failed may well answer a moment later: tell clients when to try again.
        const headers: Record<string, string> = error.status === 503 ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {};
        request.response = errorResult(error.status, error.code, error.message, error.details, headers);
        return;
      }
      logger.error('unhandled error', { error: error ?? undefined });
      request.response = errorResult(500, 'internal', 'internal error; the request id is in the x-request-id header', [], {
        'x-request-id': request.context.awsRequestId,
      });
    },
  };
}
