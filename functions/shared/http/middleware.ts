import { hash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import {
  ApiError,
  BadRequestError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
  type ErrorDetail,
} from '../errors.js';

type Request = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error>;
type Middleware = middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error>;

/** Request bodies larger than this are refused with 413 before parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;

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

/** zod issues as error details with dotted JSON paths (`controls.blockContainerExec.allowedProcesses.0`). */
export function zodDetails(error: z.ZodError, prefix: readonly PropertyKey[] = []): ErrorDetail[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join('.');
    const extra = issue.code === 'custom' && issue.params ? { ...(issue.params as Record<string, unknown>) } : {};
    return { path: path === '' ? '(root)' : path, message: issue.message, ...extra };
  });
}

/** Parses a value with a schema or throws ValidationError naming every bad field. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, what: string, prefix: readonly PropertyKey[] = []): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`${what} is invalid`, zodDetails(result.error, prefix));
  return result.data;
}

/**
 * Maps typed errors to HTTP answers in one place. Anything unexpected becomes a 500 that leaks
 * nothing; the cause goes to the log with the request id.
 */
export function errorMapper(logger: Logger): Middleware {
  return {
    onError: (request: Request) => {
      const error = request.error;
      if (error instanceof ApiError) {
        if (error.status >= 500) logger.error('dependency failure', { error, cause: error.cause });
        request.response = errorResult(error.status, error.code, error.message, error.details);
        return;
      }
      logger.error('unhandled error', { error: error ?? undefined });
      request.response = errorResult(500, 'internal', 'internal error; the request id is in the x-request-id header', [], {
        'x-request-id': request.context.awsRequestId,
      });
    },
  };
}

function bodyBytes(event: APIGatewayProxyEventV2): Buffer | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

const methodsWithBody = new Set(['POST', 'PUT', 'PATCH']);

/** Refuses bodies over 1 MiB (413) and non-JSON bodies (415); parses JSON (400 on syntax errors). */
export function jsonBody(): Middleware {
  return {
    before: (request: Request) => {
      const event = request.event;
      const bytes = bodyBytes(event);
      const parsed = event as APIGatewayProxyEventV2 & { parsedBody?: unknown };
      if (!bytes) return;
      if (bytes.length > MAX_BODY_BYTES)
        throw new PayloadTooLargeError(`the body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES} (1 MiB)`);
      if (!methodsWithBody.has(event.requestContext.http.method)) return;
      const type = (event.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json' && !type.endsWith('+json'))
        throw new UnsupportedMediaTypeError(`send the body as application/json (got ${type === '' ? 'no content type' : type})`);
      try {
        parsed.parsedBody = JSON.parse(bytes.toString('utf8')) as unknown;
      } catch (error) {
        throw new BadRequestError(`the body is not valid JSON: ${(error as Error).message}`);
      }
    },
  };
}

/** The SHA-256 of a secret, hex: how tokens and webhook secrets are stored and compared. */
export function hashSecret(secret: string): string {
  // The one-shot form: no Hash stream object per call (the webhook hashes a secret on every review).
  return hash('sha256', secret, 'hex');
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** The bearer token of a request, if it carries one. */
export function bearerToken(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = headers.authorization;
  if (!value) return undefined;
  const [scheme, token, extra] = value.trim().split(/\s+/);
  return scheme?.toLowerCase() === 'bearer' && token && extra === undefined ? token : undefined;
}

/** How administrators authenticate: the IAM authorizer in AWS, a bearer token locally. */
export type AdminAuth = { readonly mode: 'iam' } | { readonly mode: 'token'; readonly tokenHash: string; readonly actor: string };

/** Resolves the administrator making an admin request, or throws UnauthorizedError. */
export function adminActor(event: APIGatewayProxyEventV2, auth: AdminAuth): string {
  if (auth.mode === 'iam') {
    // API Gateway's IAM authorizer already verified the signature; the principal is the actor.
    const iam = (event.requestContext as { authorizer?: { iam?: { userArn?: string } } }).authorizer?.iam;
    if (!iam?.userArn) throw new UnauthorizedError();
    return iam.userArn;
  }
  const token = bearerToken(event.headers);
  if (!token || !sameHash(hashSecret(token), auth.tokenHash)) throw new UnauthorizedError();
  return auth.actor;
}
