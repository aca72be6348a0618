// The HTTP client of the admin API: JSON in and out, Bearer or SigV4, API errors as ApiError.
import { ApiError, CliError } from './errors.js';
import type { AwsCredentials } from './sigv4.js';
import type { Target } from './target.js';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface ClientOptions {
  readonly fetch?: typeof fetch;
  /** Per request; the default gives a slow cold start room but not a hung pipeline. */
  readonly timeoutMs?: number;
  readonly userAgent?: string;
  /** Fixed credentials for SigV4 (tests); otherwise the default AWS credential chain. */
  readonly credentials?: AwsCredentials;
  /** How to wait before sending a request again (tests record the waits). @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) that spreads the waits. @default Math.random */
  readonly random?: () => number;
  /** Told each time a request is sent again, and why (the CLI prints it on stderr). */
  readonly onRetry?: (message: string) => void;
}

/** Sends of one request, the first included, when the API is busy (see busyReason). */
export const MAX_ATTEMPTS = 3;
/** The wait before the first resend without a Retry-After; it doubles for the next. */
const FIRST_RETRY_MS = 1_000;
/** A Retry-After is honoured up to this long: a command should not hang for minutes. */
const MAX_RETRY_AFTER_MS = 30_000;

interface Page<T> {
  items: T[];
  nextCursor?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorFrom(status: number, body: unknown, hint: string | undefined): ApiError {
  const error = isObject(body) && isObject(body.error) ? body.error : undefined;
  if (!error) return new ApiError(status, `http_${status}`, `the API answered HTTP ${status}`, [], hint);
  const details = Array.isArray(error.details)
    ? error.details.filter(isObject).map((d) => ({
        path: typeof d.path === 'string' ? d.path : '',
        message: typeof d.message === 'string' ? d.message : JSON.stringify(d),
      }))
    : [];
  return new ApiError(
    status,
    typeof error.code === 'string' ? error.code : `http_${status}`,
    typeof error.message === 'string' ? error.message : `HTTP ${status}`,
    details,
    hint,
  );
}

/**
 * Why an answer says the API was busy rather than judging the request, or undefined for a final answer. API
 * Gateway answers 500 with its own body (no Vigil error) when it cannot invoke a throttled function (reserved
 * concurrency reached), and 429 when its own throttling refuses; the functions answer 503 when storage does not
 * answer in time. The API is made to be sent such a request again: creates are create-if-absent, a PUT that
 * changes nothing writes nothing, If-Match keeps a replacement from overwriting a newer version.
 */
function busyReason(status: number, body: unknown): { readonly said: string; readonly final: string } | undefined {
  const error = isObject(body) && isObject(body.error) ? body.error : undefined;
  if (status === 503 && error) {
    const message = typeof error.message === 'string' ? error.message : 'unavailable';
    return { said: `(${message})`, final: `${message} (HTTP 503, ${MAX_ATTEMPTS} times)` };
  }
  if (status === 429 && !error)
    return { said: "(API Gateway's throttling)", final: `the API answered HTTP 429, ${MAX_ATTEMPTS} times (API Gateway's throttling)` };
  if ([500, 502, 503, 504].includes(status) && !error)
    return {
      said: 'without a Vigil error (its function may be throttled)',
      final: `the API answered HTTP ${status} without a Vigil error, ${MAX_ATTEMPTS} times (its function may be throttled: see "Reserved concurrency and throttling" in the user guide)`,
    };
  return undefined;
}

/** The wait before attempt `attempt + 1`: the Retry-After asked for, else 1 s doubling, with equal jitter. */
function retryDelayMs(attempt: number, retryAfter: string | null, random: number): number {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const backoff = FIRST_RETRY_MS * 2 ** (attempt - 1);
  return Math.round(backoff / 2 + (random * backoff) / 2);
}

/** Encodes one path segment (a resource name may contain spaces). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

export class VigilClient {
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(
    readonly target: Target,
    private readonly options: ClientOptions = {},
  ) {
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** The URL of an API path, below the endpoint's base path. */
  url(path: string, query: Query = {}): URL {
    const url = new URL(this.target.endpoint.href);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  private hintFor(status: number): string | undefined {
    if (status !== 401 && status !== 403) return undefined;
    switch (this.target.auth.kind) {
      case 'bearer':
        return 'check the token (VIGIL_TOKEN or --token): local mode prints its admin token at start and keeps it in its data dir';
      case 'sigv4':
        return `check the AWS credentials (the default chain, AWS_PROFILE or --profile) and that the principal may call execute-api in ${this.target.auth.region}`;
      default:
        return 'no credentials were sent: set VIGIL_TOKEN (or --token) for local mode; https endpoints in AWS are signed with SigV4';
    }
  }

  /** The headers of a request: the given ones, the credentials, SigV4 signing for AWS endpoints, the user agent. */
  private async headersFor(method: string, url: URL, given: Record<string, string>, body?: string): Promise<Record<string, string>> {
    let headers = given;
    const auth = this.target.auth;
    if (auth.kind === 'bearer') headers.authorization = `Bearer ${auth.token}`;
    if (auth.kind === 'sigv4') {
      try {
        // Loaded only for AWS endpoints: the credential chain is sizeable and local mode never needs it.
        const { signRequest } = await import('./sigv4.js');
        headers = await signRequest(
          { method, url, headers, ...(body === undefined ? {} : { body }) },
          {
            region: auth.region,
            ...(auth.profile === undefined ? {} : { profile: auth.profile }),
            ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
          },
        );
      } catch (error) {
        throw new CliError(`cannot sign the request with AWS credentials: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (this.options.userAgent) headers['user-agent'] = this.options.userAgent;
    return headers;
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.url(path, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const given = { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers };
    const { response, text } = await this.exchange(method, path, url, given, body);
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (response.ok) throw new CliError(`${method} ${path}: the API answered HTTP ${response.status} with a body that is not JSON`);
      }
    }
    if (!response.ok) throw errorFrom(response.status, parsed, this.hintFor(response.status));
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /**
   * Sends a request, and sends it again (signed anew) while the answer says the API is busy, up to MAX_ATTEMPTS;
   * answers the last answer and its text. An error that names the attempts replaces the last busy answer's.
   */
  private async exchange(
    method: string,
    path: string,
    url: URL,
    given: Record<string, string>,
    body?: string,
  ): Promise<{ response: Response; text: string }> {
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (let attempt = 1; ; attempt++) {
      const headers = await this.headersFor(method, url, { ...given }, body);
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        throw this.unreachable(error);
      }
      const text = await response.text();
      const busy = response.ok ? undefined : busyReason(response.status, parseOrUndefined(text));
      if (busy === undefined) return { response, text };
      if (attempt === MAX_ATTEMPTS) {
        const error = errorFrom(response.status, parseOrUndefined(text), undefined);
        throw new ApiError(response.status, error.code, busy.final, error.details);
      }
      const waitMs = retryDelayMs(attempt, response.headers.get('retry-after'), (this.options.random ?? Math.random)());
      this.options.onRetry?.(
        `${method} ${path}: the API answered HTTP ${response.status} ${busy.said}; trying again in ${(waitMs / 1000).toFixed(1).replace(/\.0$/, '')} s (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`,
      );
      await sleep(waitMs);
    }
  }

  /** The error for a request that got no answer, naming the deepest cause the fetch gave. */
  private unreachable(error: unknown): CliError {
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    return new CliError(`cannot reach ${this.target.endpoint.origin}: ${cause}`);
  }

  /**
   * A GET answered in another format than JSON (`accept`), returned as text; errors still come as JSON and
   * are raised as for request().
   */
  async getText(path: string, accept: string, query?: Query): Promise<string> {
    const url = this.url(path, query);
    const { response, text } = await this.exchange('GET', path, url, { accept });
    if (!response.ok) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      throw errorFrom(response.status, parsed, this.hintFor(response.status));
    }
    return text;
  }

  async get<T = unknown>(path: string, query?: Query): Promise<T> {
    return (await this.request<T>('GET', path, query ? { query } : {})).body;
  }

  /** Every item of a list endpoint, following `nextCursor`; stops after `max` items when given. */
  async listAll<T = unknown>(path: string, query: Query = {}, max = Number.POSITIVE_INFINITY): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const remaining = max - items.length;
      const page = await this.get<Page<T>>(path, {
        ...query,
        limit: Math.min(500, remaining),
        ...(cursor === undefined ? {} : { cursor }),
      });
      items.push(...(page.items ?? []));
      cursor = page.nextCursor;
    } while (cursor !== undefined && items.length < max);
    return items;
  }
}
