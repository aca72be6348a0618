import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMode, type LocalMode } from '../../../infra/local/start.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

interface Answer {
  status: number;
  body: string;
}

/** GET over HTTPS, trusting only `ca` (or the default trust store without it); no keep-alive. */
function httpsGet(url: string, ca?: string): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, ...(ca !== undefined ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startLocalMode with TLS', () => {
  let dataDir: string;
  let endpoint: string;
  let local: LocalMode;
  // Tables of their own on the run's shared DynamoDB Local.
  const tablePrefix = `tls${randomBytes(4).toString('hex')}-`;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-local-tls-'));
    endpoint = await dynamodbEndpoint();
    local = await startLocalMode({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      dynamodbEndpoint: endpoint,
      adminToken: 'tls-test-admin-token-0123456789',
      tablePrefix,
      tls: true,
    });
  }, 60_000);
  afterAll(async () => {
    await local?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves https:// with a certificate from the CA it returns and stores', async () => {
    expect(local.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(local.url).not.toMatch(/:0$/);
    expect(local.publicUrl).toBe(local.url);
    expect(local.caPem).toContain('-----BEGIN CERTIFICATE-----');
    expect(local.caFile).toBe(join(dataDir, 'tls', 'ca.crt'));
    expect(await readFile(local.caFile!, 'utf8')).toBe(local.caPem);
    expect(new X509Certificate(local.caPem!).ca).toBe(true);
  });

  it('answers a client that trusts only the returned CA', async () => {
    const answer = await httpsGet(`${local.url}/v1/health`, local.caPem);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: expect.any(String) });
  });

  it('is refused by a client that does not trust the CA', async () => {
    await expect(httpsGet(`${local.url}/v1/health`)).rejects.toMatchObject({
      // What OpenSSL reports for a leaf whose issuer is not trusted.
      code: expect.stringMatching(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/),
    });
  });

  it('is valid for localhost too', async () => {
    const answer = await httpsGet(`${local.url.replace('127.0.0.1', 'localhost')}/v1/health`, local.caPem);
    expect(answer.status).toBe(200);
  });

  it('keeps the CA on the next start', async () => {
    const again = await startLocalMode({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      dynamodbEndpoint: endpoint,
      adminToken: 'tls-test-admin-token-0123456789',
      tablePrefix,
      tls: true,
    });
    try {
      expect(again.caPem).toBe(local.caPem);
      expect(again.caCreated).toBe(false);
      expect((await httpsGet(`${again.url}/v1/health`, local.caPem)).status).toBe(200);
    } finally {
      await again.stop();
    }
  });
});

describe('cluster registration against local mode with TLS', () => {
  let dataDir: string;
  let local: LocalMode;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-local-tls-manifest-'));
    local = await startLocalMode({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      dynamodbEndpoint: await dynamodbEndpoint(),
      adminToken: 'tls-manifest-admin-token-0123',
      tablePrefix: `tlm${randomBytes(4).toString('hex')}-`,
      tls: true,
    });
  }, 60_000);
  afterAll(async () => {
    await local?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers with an https webhook URL and a manifest that trusts the local CA', async () => {
    const body = JSON.stringify({ name: 'kind' });
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = request(
        `${local.url}/v1/clusters`,
        {
          method: 'POST',
          agent: false,
          ca: local.caPem,
          headers: {
            authorization: `Bearer tls-manifest-admin-token-0123`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(201);
    const registered = JSON.parse(answer.body) as { webhookUrl: string; manifest: string; warnings: string[] };
    expect(registered.webhookUrl.startsWith(`${local.url}/v1/admission/kind/`)).toBe(true);
    expect(registered.warnings).toEqual([]);
    const caBundle = /caBundle: (\S+)/.exec(registered.manifest)?.[1];
    expect(Buffer.from(caBundle ?? '', 'base64').toString('utf8')).toBe(local.caPem);
    expect(new X509Certificate(local.caPem!).ca).toBe(true);
  });
});
