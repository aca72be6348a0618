import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { PartialHandlerTable } from '../routes.js';

/** The Lambda signature of every HTTP function: API Gateway HTTP API, payload format 2.0. */
export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** What every route handler gets once the middleware chain has parsed and limited the request. */
export interface HttpRequest {
  readonly routeKey: string;
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON body; undefined when the request had none. */
  readonly body: unknown;
  readonly requestId: string;
}

/** A request of the admin API, with the administrator the chain authenticated. */
export interface ApiRequest extends HttpRequest {
  /** Who is calling: the IAM principal ARN in AWS, `local-admin` locally, `anonymous` on public routes. */
  readonly actor: string;
}

/** What a route handler answers; the chain serialises it. */
export interface ApiResponse {
  readonly status: number;
  readonly body?: unknown;
  /** A body sent as it is instead of `body` as JSON; `headers` then give its content-type. */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RouteHandler = (request: ApiRequest) => Promise<ApiResponse>;

/** Handlers of some admin API routes, as one resource module provides them: a key outside the route table is a type error. */
export type ApiHandlers = PartialHandlerTable<'api', RouteHandler>;
