import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/** The Lambda signature of every HTTP function: API Gateway HTTP API, payload format 2.0. */
export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** What a route handler gets once the middleware chain has parsed, limited and authenticated the request. */
export interface ApiRequest {
  readonly routeKey: string;
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON body; undefined when the request had none. */
  readonly body: unknown;
  /** Who is calling: the IAM principal ARN in AWS, `local-admin` locally. */
  readonly actor: string;
  readonly requestId: string;
}

/** What a route handler answers; the chain serialises it. */
export interface ApiResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RouteHandler = (request: ApiRequest) => Promise<ApiResponse>;
