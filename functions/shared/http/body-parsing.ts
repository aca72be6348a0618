import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';

/** Request bodies larger than this are refused with 413 before parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An event once the body parser ran: the parsed JSON, absent when the request had no body. */
export type ParsedBodyEvent = APIGatewayProxyEventV2 & { parsedBody?: unknown };

function bodyBytes(event: APIGatewayProxyEventV2): Buffer | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

const methodsWithBody = new Set(['POST', 'PUT', 'PATCH']);

/** Refuses bodies over 1 MiB (413) and non-JSON bodies (415); parses JSON (400 on syntax errors). */
export function jsonBody(): middy.MiddlewareObj<ParsedBodyEvent, APIGatewayProxyStructuredResultV2, Error> {
  return {
    before: (request) => {
      const event = request.event;
      const bytes = bodyBytes(event);
      if (!bytes) return;
      if (bytes.length > MAX_BODY_BYTES)
        throw new PayloadTooLargeError(`the body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES} (1 MiB)`);
      if (!methodsWithBody.has(event.requestContext.http.method)) return;
      const type = (event.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json' && !type.endsWith('+json'))
        throw new UnsupportedMediaTypeError(`send the body as application/json (got ${type === '' ? 'no content type' : type})`);
      try {
        event.parsedBody = JSON.parse(bytes.toString('utf8')) as unknown;
      } catch (error) {
        throw new BadRequestError(`the body is not valid JSON: ${(error as Error).message}`);
      }
    },
  };
}
