/**
 * What API Gateway (HTTP API, payload format 2.0) and the Lambda service hand to a function: the
 * event and a minimal context, for invoking a handler in-process without an HTTP socket. The shape
 * follows what API Gateway sends for a request with a JSON body and a bearer token.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

const ACCOUNT_ID = '000000000000';
const REGION = 'us-east-1';
const API_ID = 'bench';
const DOMAIN = `${API_ID}.execute-api.${REGION}.amazonaws.com`;
const SOURCE_IP = '198.51.100.7';
const USER_AGENT = 'vigil-bench/1';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface ApiCall {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The route template, e.g. `/v1/policies/{name}`. */
  readonly route: string;
  /** Values of the template's `{…}` segments (unencoded). */
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Bearer token for the authorization header. */
  readonly token?: string;
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's `requestContext.time`. */
function gatewayTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** The payload format 2.0 event API Gateway would send for this call. */
export function apiGatewayEvent(call: ApiCall): APIGatewayProxyEventV2 {
  const now = new Date();
  const params = call.pathParameters ?? {};
  const rawPath = call.route.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const rawQueryString = call.query ? new URLSearchParams(call.query).toString() : '';
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(call.token === undefined ? {} : { authorization: `Bearer ${call.token}` }),
    ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body, 'utf8')), 'content-type': 'application/json' }),
    host: DOMAIN,
    'user-agent': USER_AGENT,
    'x-amzn-trace-id': `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
    'x-forwarded-for': SOURCE_IP,
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  const routeKey = `${call.method} ${call.route}`;
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    ...(call.query && Object.keys(call.query).length > 0 ? { queryStringParameters: { ...call.query } } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName: DOMAIN,
      domainPrefix: API_ID,
      http: { method: call.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: SOURCE_IP, userAgent: USER_AGENT },
      // API Gateway's request ids are 16 base64 characters.
      requestId: randomBytes(12).toString('base64'),
      routeKey,
      stage: '$default',
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(params).length > 0 ? { pathParameters: { ...params } } : {}),
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** A Lambda context with what handlers and Powertools read; callback-style completion is refused. */
export function lambdaContext(functionName: string, timeoutMs = 29_000): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = (): never => {
    throw new Error('callback-style completion is not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
