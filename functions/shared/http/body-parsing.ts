import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import { utf8Problem } from './utf8.js';

/** Request bodies larger than this are refused with 413 before parsing, on every route not in ROUTE_BODY_LIMITS. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The import route takes whole console exports of the commercial product: about 4.7 KiB per full runtime policy
 * (measured on the shared corpus; a 2,000-policy export is 9.2 MiB compact). What bounds it is Lambda's 6 MB
 * synchronous invocation payload, which holds the body JSON-escaped inside the event (about 9 % larger for such
 * documents) plus headers: 5 MiB leaves about half a megabyte of margin and carries about 1,000 full policies.
 */
export const IMPORT_MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Routes that accept larger bodies than MAX_BODY_BYTES, by route key; the one place per-route limits live. */
export const ROUTE_BODY_LIMITS: Readonly<Record<string, number>> = {
  'POST /v1/import': IMPORT_MAX_BODY_BYTES,
  // A part of a multi-part import is one request of a document too large for one (docs/adr/0016).
  'PUT /v1/imports/{id}/parts/{part}': IMPORT_MAX_BODY_BYTES,
};

/** The body limit of a route (its API Gateway route key, e.g. "POST /v1/import"). */
export function bodyLimit(routeKey: string | undefined): number {
  return (routeKey !== undefined && ROUTE_BODY_LIMITS[routeKey]) || MAX_BODY_BYTES;
}

function mebibytes(bytes: number): string {
  return `${bytes / (1024 * 1024)} MiB`;
}

/** An event once the body parser ran: the parsed JSON, absent when the request had no body. */
export type ParsedBodyEvent = APIGatewayProxyEventV2 & { parsedBody?: unknown };

function bodyBytes(event: APIGatewayProxyEventV2): Buffer | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

const methodsWithBody = new Set(['POST', 'PUT', 'PATCH']);

/** Refuses bodies over the route's limit (413) and non-JSON bodies (415); parses JSON (400 when not UTF-8 or not JSON). */
export function jsonBody(): middy.MiddlewareObj<ParsedBodyEvent, APIGatewayProxyStructuredResultV2, Error> {
  return {
    before: (request) => {
      const event = request.event;
      const bytes = bodyBytes(event);
      if (!bytes) return;
      const limit = bodyLimit(event.routeKey);
      if (bytes.length > limit)
        throw new PayloadTooLargeError(`the body is ${bytes.length} bytes; the limit is ${limit} (${mebibytes(limit)})`);
      if (!methodsWithBody.has(event.requestContext.http.method)) return;
      const type = (event.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json' && !type.endsWith('+json'))
        throw new UnsupportedMediaTypeError(`send the body as application/json (got ${type === '' ? 'no content type' : type})`);
      const notUtf8 = utf8Problem(bytes);
      if (notUtf8 !== undefined) throw new BadRequestError(notUtf8);
      try {
        event.parsedBody = JSON.parse(bytes.toString('utf8')) as unknown;
      } catch (error) {
        throw new BadRequestError(`the body is not valid JSON: ${(error as Error).message}`);
      }
    },
  };
}
