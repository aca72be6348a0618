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
}

interface Page<T> {
  items: T[];
  nextCursor?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
    const headers = await this.headersFor(
      method,
      url,
      { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      body,
    );

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
    const response = await this.fetchImpl(url, {
      method: 'GET',
      headers: await this.headersFor('GET', url, { accept }),
      signal: AbortSignal.timeout(this.timeoutMs),
    }).catch((error: unknown) => {
      throw this.unreachable(error);
    });
    const text = await response.text();
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
