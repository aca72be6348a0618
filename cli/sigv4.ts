// AWS Signature Version 4 for the API Gateway endpoint (service `execute-api`): the IAM authorizer of the admin
// routes identifies the caller by the signature. Credentials come from the default AWS chain (environment,
// SSO, shared config and credentials files, web identity, container and instance metadata).
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

type Signable = Parameters<SignatureV4['presign']>[0];
type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): Buffer | string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** SHA-256, or HMAC-SHA-256 when constructed with a secret, on node:crypto: what the signer computes with. */
export class NodeSha256 {
  private state: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.state = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }

  update(data: SourceData): void {
    this.state.update(bytes(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.state.digest()));
  }

  reset(): void {
    this.state = this.fresh();
  }
}

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A request about to be sent, as the HTTP client holds it. */
export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface SigningOptions {
  readonly region: string;
  /** Fixed credentials (tests) or, by default, the default AWS credential chain. */
  readonly credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** The AWS profile for the default chain; otherwise `AWS_PROFILE` decides. */
  readonly profile?: string;
  readonly service?: string;
  /** Fixed signing time (tests); otherwise now. */
  readonly signingDate?: Date;
}

/**
 * Signs a request and returns the headers to send: the caller's headers plus `authorization`, `x-amz-date`
 * and, for temporary credentials, `x-amz-security-token`. `host` is signed but not returned: fetch sets it from
 * the URL, to the same value.
 */
export async function signRequest(request: OutgoingRequest, options: SigningOptions): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials ?? defaultProvider(options.profile === undefined ? {} : { profile: options.profile }),
    sha256: NodeSha256,
  });
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const headers: Record<string, string> = { host: request.url.host };
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  const signable: Signable = {
    method: request.method,
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    ...(request.url.port === '' ? {} : { port: Number(request.url.port) }),
    path: request.url.pathname,
    query,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  };
  const signed = await signer.sign(signable, options.signingDate ? { signingDate: options.signingDate } : {});
  const { host: _host, ...rest } = signed.headers;
  return rest;
}
