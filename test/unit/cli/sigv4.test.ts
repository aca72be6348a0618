import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VigilClient } from '../../../cli/client.js';
import { NodeSha256, signRequest } from '../../../cli/sigv4.js';

// AWS's published SigV4 example credentials (its test suite signs with them), not a secret.
// secretlint-disable-next-line @secretlint/secretlint-rule-aws
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const signingDate = new Date('2026-11-28T12:00:00Z');
const url = new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/v1/import?mode=upsert&dryRun=true');

function sign(body: string | undefined, extra: Partial<Parameters<typeof signRequest>[1]> = {}) {
  return signRequest(
    { method: 'POST', url, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body }) },
    { region: 'eu-west-1', credentials, signingDate, ...extra },
  );
}

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** SigV4 computed by hand from the published algorithm, to check the signer end to end. */
function expectedSignature(headers: Record<string, string>, body: string): string {
  const signed = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .filter((h) => h !== 'authorization')
    .sort();
  const all: Record<string, string> = {
    host: url.host,
    ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const canonicalHeaders = [...new Set(['host', ...signed])]
    .sort()
    .map((h) => `${h}:${all[h]!.trim()}\n`)
    .join('');
  const signedHeaders = [...new Set(['host', ...signed])].sort().join(';');
  const query = [...url.searchParams]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  const canonical = ['POST', url.pathname, query, canonicalHeaders, signedHeaders, hex(body)].join('\n');
  const scope = '20261128/eu-west-1/execute-api/aws4_request';
  const toSign = ['AWS4-HMAC-SHA256', '20261128T120000Z', scope, hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, '20261128'), 'eu-west-1'), 'execute-api'), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('SigV4 signing', () => {
  it('adds an Authorization header for execute-api with the credential scope, signed headers and signature', async () => {
    const headers = await sign('{"formatVersion":1}');
    expect(headers['x-amz-date']).toBe('20261128T120000Z');
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261128\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['content-type']).toBe('application/json');
    expect(headers).not.toHaveProperty('host');
  });

  it('computes the signature of the published algorithm', async () => {
    const body = '{"formatVersion":1}';
    const headers = await sign(body);
    const { authorization, ...sent } = headers;
    expect(authorization?.split('Signature=')[1]).toBe(expectedSignature(sent, body));
  });

  it('changes the signature with the body, the date and the region', async () => {
    const signature = async (body: string, extra = {}) => (await sign(body, extra)).authorization?.split('Signature=')[1];
    const base = await signature('{"a":1}');
    expect(await signature('{"a":2}')).not.toBe(base);
    expect(await signature('{"a":1}', { signingDate: new Date('2026-11-28T12:00:01Z') })).not.toBe(base);
    expect(await signature('{"a":1}', { region: 'us-east-1' })).not.toBe(base);
    expect(await signature('{"a":1}')).toBe(base);
  });

  it('sends the session token of temporary credentials', async () => {
    const headers = await sign(undefined, { credentials: { ...credentials, sessionToken: 'session-token' } });
    expect(headers['x-amz-security-token']).toBe('session-token');
    expect(headers.authorization).toContain('x-amz-security-token');
  });

  it('hashes with node:crypto: plain SHA-256, HMAC with a secret, and reset', async () => {
    const hash = new NodeSha256();
    hash.update('abc');
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe(hex('abc'));
    const mac = new NodeSha256('key');
    mac.update(new TextEncoder().encode('data'));
    expect(Buffer.from(await mac.digest())).toEqual(hmac('key', 'data'));
    mac.reset();
    mac.update('data');
    expect(Buffer.from(await mac.digest())).toEqual(hmac('key', 'data'));
  });

  it('signs the requests of the API client when the target uses SigV4', async () => {
    let seen: Headers | undefined;
    const fakeFetch = ((_input: string | URL | Request, init?: RequestInit) => {
      seen = new Headers(init?.headers);
      return Promise.resolve(new Response('{"items":[]}', { status: 200, headers: { 'content-type': 'application/json' } }));
    }) as typeof fetch;
    const client = new VigilClient(
      { endpoint: new URL('https://abc123.execute-api.eu-west-1.amazonaws.com'), auth: { kind: 'sigv4', region: 'eu-west-1' } },
      { fetch: fakeFetch, credentials },
    );
    await client.get('/v1/policies');
    expect(seen?.get('authorization')).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /);
    expect(seen?.get('x-amz-date')).toMatch(/^\d{8}T\d{6}Z$/);
  });
});
