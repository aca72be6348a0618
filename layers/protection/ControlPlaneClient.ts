/** One HTTP answer of the control plane. */
export interface HttpAnswer {
  readonly status: number;
  readonly etag: string | undefined;
  readonly body: unknown;
}

/** What `POST /v1/enforcers/register` answers. */
export interface Registration {
  readonly enforcerId: string;
  readonly pollIntervalSeconds: number | undefined;
}

/** Thrown for answers that are not 2xx/304; `retryable` for 5xx, 429 and transport failures; `status` 0 without an answer. */
export class ControlPlaneError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}

/** The enforcer-group token at the time of a request (it may be read from SSM or Secrets Manager after init). */
export type TokenProvider = () => string | undefined;

/**
 * The enforcer API as the layer uses it, on node:http(s) only: the layer ships without the AWS SDK and
 * every dependency adds cold-start time to the user's function. node:http(s) are loaded with the first
 * request, which is never made before the function's code has loaded.
 */
export class ControlPlaneClient {
  private readonly url: URL;

  constructor(
    endpoint: string,
    private readonly token: TokenProvider,
    private readonly timeoutMs = 3000,
  ) {
    this.url = new URL(endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  }

  /** Host and port the client connects to; the egress control never applies to them. */
  get address(): { readonly host: string; readonly port: number } {
    const port = this.url.port !== '' ? Number(this.url.port) : this.url.protocol === 'https:' ? 443 : 80;
    return { host: this.url.hostname, port };
  }

  async register(body: Record<string, unknown>): Promise<Registration> {
    const answer = await this.send('POST', 'v1/enforcers/register', body, {});
    const result = answer.body as { enforcerId?: unknown; pollIntervalSeconds?: unknown } | undefined;
    if (typeof result?.enforcerId !== 'string') throw new ControlPlaneError('register answered without an enforcerId', false);
    return {
      enforcerId: result.enforcerId,
      pollIntervalSeconds: typeof result.pollIntervalSeconds === 'number' ? result.pollIntervalSeconds : undefined,
    };
  }

  /** The bundle, or `undefined` when the server answers 304 to `If-None-Match`. */
  async bundle(
    enforcerId: string | undefined,
    etag: string | undefined,
  ): Promise<{ readonly body: unknown; readonly etag: string | undefined } | undefined> {
    const headers: Record<string, string> = {};
    if (enforcerId !== undefined) headers['x-enforcer-id'] = enforcerId;
    if (etag !== undefined) headers['if-none-match'] = etag;
    const answer = await this.send('GET', 'v1/enforcers/bundle', undefined, headers);
    if (answer.status === 304) return undefined;
    return { body: answer.body, etag: answer.etag };
  }

  /** Marks the enforcer connected (`GET /v1/enforcers` shows connected while heartbeats keep coming). */
  async heartbeat(enforcerId: string): Promise<void> {
    await this.send('POST', 'v1/enforcers/heartbeat', {}, { 'x-enforcer-id': enforcerId });
  }

  async events(
    events: readonly unknown[],
    enforcerId: string | undefined,
  ): Promise<{ readonly accepted: number; readonly duplicates: number }> {
    const headers: Record<string, string> = enforcerId !== undefined ? { 'x-enforcer-id': enforcerId } : {};
    const answer = await this.send('POST', 'v1/enforcers/events', { events }, headers);
    const result = answer.body as { accepted?: unknown; duplicates?: unknown } | undefined;
    return { accepted: Number(result?.accepted ?? 0), duplicates: Number(result?.duplicates ?? 0) };
  }

  private send(method: string, path: string, body: unknown, extra: Record<string, string>): Promise<HttpAnswer> {
    const target = new URL(path, this.url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    const token = this.token();
    // eslint-disable-next-line security/detect-possible-timing-attacks -- a test for a missing value, not a comparison of a secret
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const transport = process.getBuiltinModule(target.protocol === 'https:' ? 'node:https' : 'node:http');
    return new Promise<HttpAnswer>((resolve, reject) => {
      const request = transport.request(target, { method, headers, timeout: this.timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(new ControlPlaneError(error.message, true)));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (status === 304) return resolve({ status, etag: undefined, body: undefined });
          if (status < 200 || status >= 300) {
            return reject(new ControlPlaneError(`${method} /${path} answered ${status}`, status >= 500 || status === 429, status));
          }
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            return reject(new ControlPlaneError(`${method} /${path} answered invalid JSON`, true));
          }
          const etag = response.headers.etag;
          resolve({ status, etag: typeof etag === 'string' ? etag : undefined, body: parsed });
        });
      });
      request.on('timeout', () => request.destroy(new Error('timed out')));
      request.on('error', (error) => reject(new ControlPlaneError(`${method} /${path} failed: ${error.message}`, true)));
      request.end(payload);
    });
  }
}
