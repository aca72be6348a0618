/**
 * The node agents' side of the enforcer API: register, poll the bundle with an ETag, post events, heartbeat.
 * Outbound HTTPS only, authenticated by the token of an `agent` enforcer group.
 */
import type { AuditEvent, EnforcerBundle } from './types.js';

/** The enforcer API refuses larger batches (MAX_EVENTS_PER_REQUEST on the server). */
export const MAX_EVENTS_PER_POST = 500;

/** A failure the caller may retry (network, 5xx, throttling) or not (the request itself is wrong). */
export class EnforcerApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'EnforcerApiError';
  }
}

export interface EnforcerClientOptions {
  readonly url: string;
  readonly token: string;
  readonly name: string;
  readonly hostname?: string;
  readonly version?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Injected for tests of unreachable control planes; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

export class EnforcerClient {
  private enforcerId: string | undefined;
  private etag: string | undefined;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: EnforcerClientOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  get id(): string | undefined {
    return this.enforcerId;
  }

  private async call(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, ...extra };
    if (this.enforcerId !== undefined) headers['x-enforcer-id'] = this.enforcerId;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetch(new URL(path, this.options.url), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new EnforcerApiError(`${method} ${path}: ${(error as Error).message}`, undefined, true);
    }
    if (response.status >= 400) {
      const text = await response.text().catch(() => '');
      const retryable = response.status >= 500 || response.status === 429;
      throw new EnforcerApiError(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`, response.status, retryable);
    }
    return response;
  }

  async register(): Promise<string> {
    const { name, hostname, version, metadata } = this.options;
    this.enforcerId = undefined;
    const response = await this.call('POST', '/v1/enforcers/register', { name, type: 'agent', hostname, version, metadata });
    const body = (await response.json()) as { enforcerId: string };
    this.enforcerId = body.enforcerId;
    return body.enforcerId;
  }

  /** Registers again when the control plane no longer knows this enforcer (404), then retries once. */
  private async registered<T>(work: () => Promise<T>): Promise<T> {
    if (this.enforcerId === undefined) await this.register();
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof EnforcerApiError) || error.status !== 404) throw error;
      await this.register();
      return work();
    }
  }

  /** The bundle, or undefined when it did not change since the last answer (304 on the ETag). */
  async bundle(): Promise<EnforcerBundle | undefined> {
    return this.registered(async () => {
      const response = await this.call('GET', '/v1/enforcers/bundle', undefined, this.etag ? { 'if-none-match': this.etag } : {});
      if (response.status === 304) return undefined;
      const bundle = (await response.json()) as EnforcerBundle;
      this.etag = response.headers.get('etag') ?? undefined;
      return bundle;
    });
  }

  async postEvents(events: readonly AuditEvent[]): Promise<{ accepted: number; duplicates: number }> {
    return this.registered(async () => {
      const response = await this.call('POST', '/v1/enforcers/events', { events });
      return (await response.json()) as { accepted: number; duplicates: number };
    });
  }

  async heartbeat(): Promise<void> {
    await this.registered(async () => {
      await this.call('POST', '/v1/enforcers/heartbeat');
    });
  }
}
