/**
 * The node agents' side of the enforcer API: register, poll the bundle with an ETag, post events, heartbeat.
 * Outbound HTTPS only, authenticated by the token of an `agent` enforcer group.
 */
import type { EnforcerBundle } from './types.js';

/** The enforcer API refuses larger batches (MAX_EVENTS_PER_REQUEST on the server). */
export const MAX_EVENTS_PER_POST = 500;

/**
 * The enforcer API refuses larger request bodies with a 413 (MAX_BODY_BYTES on the server, the same in AWS and
 * in local mode): 500 events of 2 KiB of JSON each would pass it, so a post is cut by size as well as by count.
 */
export const MAX_EVENTS_BODY_BYTES = 1024 * 1024;

/** Larger answers are refused instead of read into memory (a bundle of thousands of policies stays well below). */
export const MAX_ENFORCER_RESPONSE_BYTES = 32 * 1024 * 1024;

/** A server's `Retry-After` is honoured up to this long, so that a wrong header cannot park a node for hours. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** A failure the caller may retry (network, 5xx, throttling) or not (the request itself is wrong). */
export class EnforcerApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    /** How long the server asked the caller to wait (`Retry-After`, at most MAX_RETRY_AFTER_MS). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'EnforcerApiError';
  }
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110), in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  const ms = /^\d{1,9}$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
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
  readonly maxResponseBytes?: number;
}

export class EnforcerClient {
  private enforcerId: string | undefined;
  private etag: string | undefined;
  private nodePolicyEtag: string | undefined;
  private metadata: Readonly<Record<string, string>> | undefined;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: EnforcerClientOptions) {
    this.fetch = options.fetch ?? fetch;
    this.metadata = options.metadata;
  }

  get id(): string | undefined {
    return this.enforcerId;
  }

  /** One request; `json` is the body, already serialized. */
  private async call(method: string, path: string, json?: string, extra: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, ...extra };
    if (this.enforcerId !== undefined) headers['x-enforcer-id'] = this.enforcerId;
    if (json !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetch(new URL(path, this.options.url), {
        method,
        headers,
        body: json,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new EnforcerApiError(`${method} ${path}: ${(error as Error).message}`, undefined, true);
    }
    if (response.status >= 400) {
      const text = await response.text().catch(() => '');
      const retryable = response.status >= 500 || response.status === 429;
      throw new EnforcerApiError(
        `${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`,
        response.status,
        retryable,
        retryable ? retryAfterMs(response.headers.get('retry-after')) : undefined,
      );
    }
    return response;
  }

  /** Reads a JSON answer up to the size bound. */
  private async json<T>(response: Response, what: string): Promise<T> {
    const limit = this.options.maxResponseBytes ?? MAX_ENFORCER_RESPONSE_BYTES;
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > limit) {
      await response.body?.cancel();
      throw new EnforcerApiError(`${what}: the answer of ${declared} bytes exceeds ${limit}`, response.status, false);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
    while (reader) {
      const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done || value === undefined) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw new EnforcerApiError(`${what}: the answer exceeds ${limit} bytes`, response.status, false);
      }
      chunks.push(value);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
    } catch {
      throw new EnforcerApiError(`${what}: the answer is not JSON`, response.status, false);
    }
  }

  async register(): Promise<string> {
    const { name, hostname, version } = this.options;
    this.enforcerId = undefined;
    const response = await this.call(
      'POST',
      '/v1/enforcers/register',
      JSON.stringify({ name, type: 'agent', hostname, version, metadata: this.metadata }),
    );
    const body = await this.json<{ enforcerId: string }>(response, 'POST /v1/enforcers/register');
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
      const bundle = await this.json<EnforcerBundle>(response, 'GET /v1/enforcers/bundle');
      this.etag = response.headers.get('etag') ?? undefined;
      return bundle;
    });
  }

  /**
   * The cluster's compiled Tetragon objects, or undefined when they did not change since the last answer (304).
   * The answer is not checked here: the bridge validates it before it touches the cluster.
   */
  async nodePolicies(cluster: string): Promise<{ answer: unknown; etag: string | undefined } | undefined> {
    return this.registered(async () => {
      const path = `/v1/enforcers/node-policies?cluster=${encodeURIComponent(cluster)}`;
      const response = await this.call('GET', path, undefined, this.nodePolicyEtag ? { 'if-none-match': this.nodePolicyEtag } : {});
      if (response.status === 304) return undefined;
      const answer = await this.json<unknown>(response, 'GET /v1/enforcers/node-policies');
      return { answer, etag: response.headers.get('etag') ?? undefined };
    });
  }

  /** Remembers the ETag of an answer once it is applied, so that a failed apply is fetched and tried again. */
  acceptNodePolicies(etag: string | undefined): void {
    this.nodePolicyEtag = etag;
  }

  /**
   * Registers again with new metadata (registration is an upsert that keeps `registeredAt`): how an agent
   * tells `GET /v1/enforcers` what it runs, such as the revision it applied.
   */
  async updateMetadata(metadata: Readonly<Record<string, string>>): Promise<void> {
    this.metadata = metadata;
    await this.register();
  }

  /**
   * Posts events, each already serialized as the JSON of an AuditEvent (the forwarder measures each once to cut
   * its batches to MAX_EVENTS_BODY_BYTES; serializing them again here would double that work).
   */
  async postSerializedEvents(events: readonly string[]): Promise<{ accepted: number; duplicates: number }> {
    return this.registered(async () => {
      const response = await this.call('POST', '/v1/enforcers/events', `{"events":[${events.join(',')}]}`);
      return this.json<{ accepted: number; duplicates: number }>(response, 'POST /v1/enforcers/events');
    });
  }

  async heartbeat(): Promise<void> {
    await this.registered(async () => {
      await this.call('POST', '/v1/enforcers/heartbeat');
    });
  }
}
