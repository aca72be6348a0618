import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { NotFoundError, UnauthorizedError } from '../errors.js';
import type { ExactHandlerTable, FunctionName, HandlerTable } from '../routes.js';
import { jsonBody, type ParsedBodyEvent } from './body-parsing.js';
import { errorMapper } from './error-mapping.js';
import type { ApiResponse, HttpHandler, HttpRequest } from './types.js';

// The skeleton of the HTTP functions (the admin API and the enforcer API): one middy chain, one dispatch
// by route key, one serialisation of answers. Each function brings only how it authenticates and its
// handlers, typed from the route table (functions/shared/routes.ts).

/** What an HTTP function is made of. */
export interface HttpFunctionProps<F extends FunctionName, C extends object, T extends HandlerTable<F, RouteHandlerOf<C>>> {
  /** Which function of the route table this is: its handlers must cover exactly that function's routes. */
  readonly function: F;
  readonly logger: Logger;
  /**
   * Resolves the caller or throws UnauthorizedError. It runs before the body is read and before any route
   * answers, so that an unknown resource and a missing credential look alike.
   */
  readonly authenticate: (event: APIGatewayProxyEventV2) => C | Promise<C>;
  readonly handlers: ExactHandlerTable<F, RouteHandlerOf<C>, T>;
  /** Refuses path parameters no resource can have (throws ValidationError) before any handler runs. */
  readonly checkPathParameters?: (params: Readonly<Record<string, string | undefined>>) => void;
}

/** A handler of a function whose callers authenticate as `C`. */
export type RouteHandlerOf<C extends object> = (request: HttpRequest & C) => Promise<ApiResponse>;

type Event<C> = ParsedBodyEvent & { authenticated?: C };

function serialised(response: ApiResponse): APIGatewayProxyStructuredResultV2 {
  if (response.text !== undefined) return { statusCode: response.status, headers: { ...response.headers }, body: response.text };
  return {
    statusCode: response.status,
    headers: { ...(response.body === undefined ? {} : { 'content-type': 'application/json' }), ...response.headers },
    ...(response.body === undefined ? {} : { body: JSON.stringify(response.body) }),
  };
}

/**
 * Builds an HTTP function: Lambda context in the logs, typed errors mapped to answers, header names in
 * lower case, authentication, the JSON body parsed within its limits, then the handler of the route.
 */
export function httpFunction<F extends FunctionName, C extends object, T extends HandlerTable<F, RouteHandlerOf<C>>>(
  props: HttpFunctionProps<F, C, T>,
): HttpHandler {
  const handlers: Readonly<Record<string, RouteHandlerOf<C> | undefined>> = props.handlers;

  const authenticate: middy.MiddlewareObj<Event<C>, APIGatewayProxyStructuredResultV2> = {
    before: async (request) => {
      request.event.authenticated = await props.authenticate(request.event);
    },
  };

  const dispatch = async (event: Event<C>): Promise<APIGatewayProxyStructuredResultV2> => {
    const handler = handlers[event.routeKey];
    if (!handler) throw new NotFoundError(`no route ${event.routeKey}`);
    // Set by the authentication step, which throws instead of leaving it out; checked so that no handler
    // can ever run without a caller.
    if (!event.authenticated) throw new UnauthorizedError();
    props.checkPathParameters?.(event.pathParameters ?? {});
    const request: HttpRequest = {
      routeKey: event.routeKey,
      params: event.pathParameters ?? {},
      query: event.queryStringParameters ?? {},
      headers: event.headers,
      body: event.parsedBody,
      requestId: event.requestContext.requestId,
    };
    return serialised(await handler({ ...request, ...event.authenticated }));
  };

  return middy<Event<C>, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(props.logger, { resetKeys: true }))
    .use(errorMapper(props.logger))
    .use(httpHeaderNormalizer())
    .use(authenticate)
    .use(jsonBody())
    .handler(dispatch);
}
