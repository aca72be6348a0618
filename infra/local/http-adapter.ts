// The local stand-in for API Gateway (HTTP API) and the Lambda service: it turns each HTTP request
// into the payload format 2.0 event API Gateway would send, calls the handler of the route's
// function with a Lambda-like context, and writes the handler's result back the way API Gateway does.
// The handlers cannot tell local mode from AWS, so they stay free of local-only branches.

import { isUtf8 } from 'node:buffer';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { CONSOLE_SECURITY_HEADERS, type ConsoleAssets } from '../../console/build.js';
import { matchRoute, routeKey, routes, type FunctionName } from '../../functions/shared/routes.js';
import { LocalModeError } from './errors.js';

/** A Lambda handler of an HTTP API route, as the functions export it. */
export type LocalHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** The handler of each function; a route whose function has none answers 501. */
export type LocalHandlers = Partial<Record<FunctionName, LocalHandler>>;

/** Where the server writes its one-line request log and handler failures. */
export interface LocalServerLogger {
  /** Lines too frequent to be news; a logger without it drops them. */
  debug?(line: string): void;
  info(line: string): void;
  error(line: string): void;
}

/** Writes request and failure lines to stderr (dropping debug lines), keeping stdout for what the user copies. */
export const stderrLogger: LocalServerLogger = {
  info: (line) => process.stderr.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
};

export interface LocalServerProps {
  /**
   * The handler of each function. Without handlers (while local mode is still starting), every
   * routed request answers 503 `unavailable`; install them later with `setHandlers`.
   */
  readonly handlers?: LocalHandlers;
  readonly host: string;
  /** 0 picks a free port; `LocalServer.port` and `url` carry the real one. */
  readonly port: number;
  /**
   * Hard cap on a request body, protecting the process (the API itself refuses bodies over 1 MiB).
   * @default 6 MiB, the Lambda request payload limit
   */
  readonly maxBodyBytes?: number;
  /** Request lines and handler failures; without it, failures still go to stderr. */
  readonly logger?: LocalServerLogger;
  /** Serve HTTPS with this PEM key and certificate instead of HTTP. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /**
   * What `context.getRemainingTimeInMillis()` counts down from.
   * @default 29000, API Gateway's integration timeout
   */
  readonly timeoutMs?: number;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /**
   * How long `close()` waits for in-flight requests before cutting their connections.
   * @default 10000
   */
  readonly closeGraceMs?: number;
  /**
   * The web console's files by path (`/`, `/assets/…`), served to GET and HEAD outside `/v1/`; called on
   * each such request (the provider caches). Without it, those paths answer 404 like any unrouted path.
   */
  readonly console?: () => Promise<ConsoleAssets>;
}

export interface LocalServer {
  readonly server: HttpServer | HttpsServer;
  /** Base URL with the real port, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  readonly port: number;
  /** Installs (or replaces) the handlers; requests made before the first call answer 503. */
  setHandlers(handlers: LocalHandlers): void;
  /** Stops accepting connections and resolves when in-flight requests are done. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 29_000;
const DEFAULT_ACCOUNT_ID = '000000000000';
const DEFAULT_REGION = 'us-east-1';
const API_ID = 'local';
/**
 * An over-sized upload is read and discarded up to this many bytes past the cap before its 413 is sent:
 * a client still sending when the server closes would see its connection reset instead of the answer.
 */
const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;
/** How long an over-sized upload may take to drain, before the 413 goes out anyway and the socket is cut. */
const DRAIN_TIMEOUT_MS = 10_000;
/** How long an upload too large to drain may keep arriving after its 413 before the socket is cut. */
const DRAIN_AFTER_REJECT_MS = 2_000;

/** Starts the server and resolves once it listens. */
export async function createLocalServer(props: LocalServerProps): Promise<LocalServer> {
  let handlers = props.handlers;
  const options: AdapterOptions = {
    maxBodyBytes: props.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    logger: props.logger,
    timeoutMs: props.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    accountId: props.accountId ?? DEFAULT_ACCOUNT_ID,
    region: props.region ?? DEFAULT_REGION,
    secure: props.tls !== undefined,
    handlers: () => handlers,
    console: props.console,
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handleRequest(req, res, options).catch((error: unknown) => {
      // handleRequest answers every failure itself; reaching this means the answer could not be written.
      logError(options, `vigil: could not answer ${req.method ?? '?'} ${redactPath(pathOf(req.url ?? '/'))}: ${describe(error)}`);
      res.destroy();
    });
  };
  const server = props.tls ? createHttpsServer({ key: props.tls.key, cert: props.tls.cert }, listener) : createHttpServer(listener);

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => reject(listenError(error, props.host, props.port));
    server.once('error', onError);
    server.listen(props.port, props.host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const url = `${props.tls ? 'https' : 'http'}://${urlHost(props.host)}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    port,
    setHandlers(next) {
      handlers = next;
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        const force = setTimeout(() => server.closeAllConnections(), props.closeGraceMs ?? 10_000);
        force.unref();
        server.close((error) => {
          clearTimeout(force);
          if (error) reject(error);
          else resolve();
        });
        // Keep-alive connections with no request in flight would otherwise hold close() open.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

const AUDIT_LIST_PATH = '/v1/audit-events';

interface AdapterOptions {
  readonly maxBodyBytes: number;
  readonly logger: LocalServerLogger | undefined;
  readonly timeoutMs: number;
  readonly accountId: string;
  readonly region: string;
  readonly secure: boolean;
  readonly handlers: () => LocalHandlers | undefined;
  readonly console: (() => Promise<ConsoleAssets>) | undefined;
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, options: AdapterOptions): Promise<void> {
  const started = performance.now();
  const method = req.method ?? 'GET';
  const target = splitTarget(req.url ?? '/');
  const { logger } = options;
  if (logger)
    res.once('finish', () => {
      const line = `${method} ${redactPath(target.path)} ${res.statusCode} ${Math.round(performance.now() - started)}ms`;
      // `vigil audit tail` polls the audit list every few seconds: its answered polls would drown the log.
      if (method === 'GET' && target.path === AUDIT_LIST_PATH && res.statusCode < 400) logger.debug?.(line);
      else logger.info(line);
    });

  const body = await readBody(req, options.maxBodyBytes);
  if (body === 'too_large') {
    // The whole upload was read: the client is listening, and closing now resets nothing.
    sendOversized(res, options.maxBodyBytes);
    return;
  }
  if (body === 'too_large_to_drain') {
    rejectOversized(req, res, options.maxBodyBytes);
    return;
  }
  if (body === 'aborted') {
    res.destroy();
    return;
  }

  if (options.console && (method === 'GET' || method === 'HEAD') && !target.path.startsWith('/v1/')) {
    if (await serveConsole(res, method, target.path, options.console, options)) return;
  }

  const match = matchRoute(method, target.path);
  if (!match.route) {
    if (match.methodsAllowed.length > 0) {
      const allow = [...new Set(match.methodsAllowed)].join(', ');
      sendError(res, 405, 'method_not_allowed', `${method} is not allowed on this path; use ${allow}`, { allow });
    } else {
      sendError(res, 404, 'not_found', 'no route matches this path');
    }
    return;
  }
  const handlers = options.handlers();
  if (!handlers) {
    sendError(res, 503, 'unavailable', 'local mode is still starting; retry in a moment', { 'retry-after': '1' });
    return;
  }
  const functionName = match.route.function;
  const handler = handlers[functionName];
  if (!handler) {
    sendError(res, 501, 'not_implemented', `the ${functionName} function is not available in local mode yet`);
    return;
  }

  const event = buildEvent({ req, method, target, body, routeKey: routeKey(match.route), pathParameters: match.pathParameters, options });
  const context = buildContext(functionName, options);
  let result: unknown;
  try {
    result = await handler(event, context);
  } catch (error) {
    logError(
      options,
      `vigil: the ${functionName} handler failed on ${method} ${redactPath(target.path)} (request ${context.awsRequestId}): ${describe(error)}`,
    );
    sendError(res, 500, 'internal', 'internal error');
    return;
  }
  const response = toHttpResponse(result);
  if (!response) {
    logError(
      options,
      `vigil: the ${functionName} handler returned an invalid statusCode on ${method} ${redactPath(target.path)} (request ${context.awsRequestId})`,
    );
    sendError(res, 500, 'internal', 'internal error');
    return;
  }
  try {
    res.writeHead(response.statusCode, response.headers);
  } catch (error) {
    // An invalid header name or value from the handler: nothing was sent yet, so answer 500.
    logError(
      options,
      `vigil: the ${functionName} handler returned an invalid header on ${method} ${redactPath(target.path)} (request ${context.awsRequestId}): ${describe(error)}`,
    );
    sendError(res, 500, 'internal', 'internal error');
    return;
  }
  if (typeof response.body === 'string') res.end(response.body, 'utf8');
  else res.end(response.body);
}

// ---------------------------------------------------------------------------------------------
// Request side

interface Target {
  /** The path as sent (still percent-encoded). */
  readonly path: string;
  /** The query string as sent, without `?`. */
  readonly query: string;
}

function splitTarget(url: string): Target {
  let target = url;
  if (!target.startsWith('/')) {
    // Absolute-form targets (`GET http://host/path`) are legal HTTP; keep only path and query.
    try {
      const parsed = new URL(target);
      target = parsed.pathname + parsed.search;
    } catch {
      target = '/';
    }
  }
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const question = target.indexOf('?');
  return question < 0 ? { path: target, query: '' } : { path: target.slice(0, question), query: target.slice(question + 1) };
}

function pathOf(url: string): string {
  return splitTarget(url).path;
}

/**
 * The body; `too_large` once an over-sized upload has been read to its end (and discarded);
 * `too_large_to_drain` when it is announced or runs beyond the drain limit, or does not end in time.
 */
type BodyResult = Buffer | 'too_large' | 'too_large_to_drain' | 'aborted';

/** Reads the whole body; past the cap, it keeps reading without buffering, up to the drain limit. */
function readBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max + DRAIN_LIMIT_BYTES) return Promise.resolve('too_large_to_drain');
  return new Promise<BodyResult>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let drainTimer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      clearTimeout(drainTimer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
    };
    const giveUp = (): void => {
      cleanup();
      resolve('too_large_to_drain');
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      if (drainTimer === undefined) {
        // Past the cap: from here on the upload is only counted, never kept.
        chunks.length = 0;
        drainTimer = setTimeout(giveUp, DRAIN_TIMEOUT_MS);
      }
      if (size > max + DRAIN_LIMIT_BYTES) giveUp();
    };
    const onEnd = (): void => {
      cleanup();
      if (size > max) resolve('too_large');
      // Most bodies arrive in one chunk, which needs no copy.
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onAbort = (): void => {
      cleanup();
      resolve('aborted');
    };
    const onClose = (): void => {
      if (!req.complete) onAbort();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

function sendOversized(res: ServerResponse, max: number): void {
  sendError(res, 413, 'payload_too_large', `request bodies over ${max} bytes are refused`, { connection: 'close' }, [
    { path: '(body)', message: `must be at most ${max} bytes` },
  ]);
}

/**
 * Answers 413 to an upload too large to drain, and closes the connection. What still arrives is discarded,
 * not buffered, for a short while so that the client may read the answer before the socket is cut.
 */
function rejectOversized(req: IncomingMessage, res: ServerResponse, max: number): void {
  sendOversized(res, max);
  req.on('data', () => undefined);
  req.on('error', () => undefined);
  req.resume();
  const cut = setTimeout(() => req.socket.destroy(), DRAIN_AFTER_REJECT_MS);
  cut.unref();
  req.socket.once('close', () => clearTimeout(cut));
}

interface EventInput {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly target: Target;
  readonly body: Buffer;
  readonly routeKey: string;
  readonly pathParameters: Record<string, string>;
  readonly options: AdapterOptions;
}

/** The payload format 2.0 event of API Gateway HTTP APIs. */
function buildEvent(input: EventInput): APIGatewayProxyEventV2 {
  const { req, method, target, body, options } = input;
  const now = Date.now();
  const sourceIp = normalizeIp(req.socket.remoteAddress ?? '');
  const { headers, cookies } = eventHeaders(req, sourceIp, options.secure);
  const domainName = hostnameOf(headers.host ?? '') || 'localhost';
  const queryStringParameters = parseQuery(target.query);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath: target.path,
    rawQueryString: target.query,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: options.accountId,
      apiId: API_ID,
      domainName,
      domainPrefix: domainPrefixOf(domainName),
      http: {
        method,
        path: target.path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: input.routeKey,
      stage: '$default',
      time: apiGatewayTimeAt(now),
      timeEpoch: now,
    },
    ...(Object.keys(input.pathParameters).length > 0 ? { pathParameters: { ...input.pathParameters } } : {}),
    isBase64Encoded: false,
  };
  if (body.length > 0) {
    if (isTextBody(body, headers)) {
      event.body = body.toString('utf8');
    } else {
      event.body = body.toString('base64');
      event.isBase64Encoded = true;
    }
  }
  return event;
}

/**
 * Lower-cased headers with repeated ones joined by commas; the `cookie` header moves to `cookies`
 * (one entry per cookie), and the `x-forwarded-*` headers API Gateway adds are set.
 */
function eventHeaders(req: IncomingMessage, sourceIp: string, secure: boolean): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  // rawHeaders as received, name and value alternating: one pass, without the arrays headersDistinct builds.
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'cookie') {
      for (const cookie of value.split(';')) {
        const trimmed = cookie.trim();
        if (trimmed !== '') cookies.push(trimmed);
      }
      continue;
    }
    // Own properties only: a header named like an Object.prototype member must not read that member.
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]},${value}` : value;
  }
  const forwarded = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwarded ? `${forwarded}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  headers['x-forwarded-proto'] = secure ? 'https' : 'http';
  return { headers, cookies };
}

/** Decoded query parameters, repeated keys joined by commas; undefined when there are none. */
export function parseQuery(query: string): Record<string, string> | undefined {
  if (query === '') return undefined;
  const out: Record<string, string> = {};
  // Without escapes (`%`, `+`) decoding changes nothing: split by hand, as URLSearchParams would.
  if (!query.includes('%') && !query.includes('+')) {
    for (const pair of query.split('&')) {
      if (pair === '') continue;
      const equals = pair.indexOf('=');
      const key = equals < 0 ? pair : pair.slice(0, equals);
      const value = equals < 0 ? '' : pair.slice(equals + 1);
      out[key] = Object.hasOwn(out, key) ? `${out[key]},${value}` : value;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  for (const [key, value] of new URLSearchParams(query)) {
    out[key] = Object.hasOwn(out, key) ? `${out[key]},${value}` : value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
  'application/x-www-form-urlencoded',
  'application/yaml',
  'application/x-yaml',
  'application/graphql',
]);

/** Text goes to the handler as is; anything binary (by type, encoding or content) as base64. */
function isTextBody(body: Buffer, headers: Record<string, string>): boolean {
  const encoding = (headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') return false;
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const textual = type === '' || type.startsWith('text/') || TEXT_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml');
  return textual && isUtf8(body);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the `requestContext.time` format of API Gateway. */
export function apiGatewayTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** The first label of a domain name, as API Gateway's `domainPrefix`. */
function domainPrefixOf(domainName: string): string {
  const dot = domainName.indexOf('.');
  return dot < 0 ? domainName : domainName.slice(0, dot);
}

/** The formatted time changes once a second; at thousands of requests a second, most reuse the last one. */
let lastTime = { second: Number.NaN, text: '' };

function apiGatewayTimeAt(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== lastTime.second) lastTime = { second, text: apiGatewayTime(new Date(second * 1000)) };
  return lastTime.text;
}

function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.indexOf(':');
  return (colon >= 0 ? host.slice(0, colon) : host).toLowerCase();
}

const LOG_STREAM_DATE = (d: Date): string =>
  `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;

/**
 * One log stream per function for the server's life: in Lambda a stream belongs to an execution environment,
 * and local mode runs each function in one. (Also spares every request a call for fresh random bytes.)
 */
const logStreams = new Map<FunctionName, string>();

function logStreamOf(functionName: FunctionName): string {
  let stream = logStreams.get(functionName);
  if (!stream) logStreams.set(functionName, (stream = `${LOG_STREAM_DATE(new Date())}/[$LATEST]${randomBytes(16).toString('hex')}`));
  return stream;
}

const unsupported = (): never => {
  throw new Error('callback-style completion is not supported: return a promise from the handler');
};

/** A Lambda-like context: what the handlers and Powertools read from the real one. */
function buildContext(functionName: FunctionName, options: AdapterOptions): Context {
  const name = `vigil-${functionName}`;
  const deadline = Date.now() + options.timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region}:${options.accountId}:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: logStreamOf(functionName),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

// ---------------------------------------------------------------------------------------------
// Response side

interface HttpResponse {
  readonly statusCode: number;
  readonly headers: OutgoingHttpHeaders;
  /** A text body goes out as the string it is: Node encodes it straight into the socket write. */
  readonly body: Buffer | string | undefined;
}

/** Headers Node computes from the body it writes; a handler's copy could only disagree. */
const MANAGED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * Maps a handler result as API Gateway does for payload 2.0: an object with `statusCode` is a
 * structured result; anything else is a 200 `application/json` answer whose body is the result.
 * Undefined when `statusCode` is not a valid HTTP status (API Gateway answers 500 then).
 */
function toHttpResponse(result: unknown): HttpResponse | undefined {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { statusCode: 200, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body, 'utf8') }, body };
  }
  const structured = result as APIGatewayProxyStructuredResultV2;
  const statusCode = structured.statusCode ?? 200;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return undefined;
  const headers: OutgoingHttpHeaders = {};
  const setCookies: string[] = [];
  for (const [name, value] of Object.entries(structured.headers ?? {})) {
    const lower = name.toLowerCase();
    if (MANAGED_HEADERS.has(lower)) continue;
    if (lower === 'set-cookie') setCookies.push(String(value));
    else headers[lower] = String(value);
  }
  setCookies.push(...(structured.cookies ?? []));
  if (setCookies.length > 0) headers['set-cookie'] = setCookies;
  const noBody = statusCode === 204 || statusCode === 304 || statusCode < 200;
  const text = structured.body;
  const body = noBody || text === undefined ? undefined : structured.isBase64Encoded ? Buffer.from(text, 'base64') : text;
  if (!noBody)
    headers['content-length'] = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  return { statusCode, headers, body };
}

/** Answers a console file; false when the path is none of them (it then answers 404 like any unrouted path). */
async function serveConsole(
  res: ServerResponse,
  method: string,
  path: string,
  console: () => Promise<ConsoleAssets>,
  options: AdapterOptions,
): Promise<boolean> {
  let assets: ConsoleAssets;
  try {
    assets = await console();
  } catch (error) {
    logError(options, `vigil: the web console could not be built: ${describe(error)}`);
    sendError(res, 500, 'internal', 'the web console could not be built; see the local mode log');
    return true;
  }
  const asset = assets.get(path);
  if (!asset) return false;
  res.writeHead(200, { ...CONSOLE_SECURITY_HEADERS, 'content-type': asset.contentType, 'content-length': asset.body.length });
  res.end(method === 'HEAD' ? undefined : asset.body);
  return true;
}

/** The API's error body, `details` included (empty when there is nothing field-level to say), as the handlers answer it. */
function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  details: ReadonlyArray<{ readonly path: string; readonly message: string }> = [],
): void {
  const body = JSON.stringify({ error: { code, message, details } });
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

// ---------------------------------------------------------------------------------------------
// Logging and listening

/** Path templates that carry a secret segment, with the segment's index. */
const SECRET_TEMPLATES = routes
  .map((route) => route.path.split('/').filter((s) => s !== ''))
  .filter((parts) => parts.includes('{secret}'))
  .map((parts) => ({ parts, index: parts.indexOf('{secret}') }));

/**
 * The path with the secret segment of webhook URLs (and anything after it) replaced by `***`, so
 * that logs never hold a credential. Applies whatever the method, so a 404/405 is redacted too.
 */
export function redactPath(path: string): string {
  const parts = path.split('/').filter((s) => s !== '');
  for (const { parts: template, index } of SECRET_TEMPLATES) {
    if (parts.length <= index) continue;
    const prefixMatches = template.slice(0, index).every((t, i) => (t.startsWith('{') && t.endsWith('}')) || t === parts[i]);
    if (prefixMatches) return `/${[...parts.slice(0, index), '***'].join('/')}`;
  }
  return path;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

function logError(options: AdapterOptions, line: string): void {
  (options.logger ?? stderrLogger).error(line);
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new LocalModeError(`port ${port} is already in use: set PORT to another port`, { cause: error });
    case 'EACCES':
      return new LocalModeError(`no permission to listen on port ${port}: set PORT to a port above 1023`, { cause: error });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new LocalModeError(`cannot listen on host ${host}: set HOST to an address of this machine (e.g. 127.0.0.1)`, { cause: error });
    default:
      return error;
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
