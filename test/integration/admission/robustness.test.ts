import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionHandler } from '../../../functions/admission/app.js';
import { createApiHandler } from '../../../functions/api/app.js';
import { bootstrap } from '../../../functions/shared/bootstrap.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import { httpEvent, lambdaContext } from '../../support/events.js';
import { readFixture, fixtureDirs, fixtureFiles } from '../../support/fixtures.js';
import { useTables } from '../../support/use-tables.js';

const tables = useTables();
const TOKEN = 'robustness-admin-token';
let admission: ReturnType<typeof createAdmissionHandler>;
let secret = '';

const admissionEvent = (body: string, cluster = 'fuzz', pathSecret = secret) =>
  httpEvent({
    method: 'POST',
    routeKey: 'POST /v1/admission/{cluster}/{secret}',
    path: `/v1/admission/${cluster}/${pathSecret}`,
    pathParameters: { cluster, secret: pathSecret },
    query: { timeout: '10s' },
    body,
  });

beforeAll(async () => {
  const runtime = createRuntime(
    {
      mode: 'local',
      tablePrefix: tables.prefix,
      dynamodbEndpoint: tables.endpoint,
      adminToken: TOKEN,
      publicBaseUrl: 'https://vigil.example',
    },
    { configStore: tables.configStore, auditStore: tables.auditStore },
  );
  await bootstrap(runtime);
  const api = createApiHandler(runtime);
  const call = (method: string, routeKey: string, path: string, body: unknown, pathParameters?: Record<string, string>) =>
    api(
      httpEvent({ method, routeKey, path, body: JSON.stringify(body), pathParameters, headers: { authorization: `Bearer ${TOKEN}` } }),
      lambdaContext(),
    );
  const registered = await call('POST', 'POST /v1/clusters', '/v1/clusters', { name: 'fuzz' });
  secret = (JSON.parse(registered.body!) as { webhookUrl: string }).webhookUrl.split('/').pop()!;
  await call('POST', 'POST /v1/policies', '/v1/policies', { template: 'default', name: 'everything', enforcementMode: 'enforce' });
  admission = createAdmissionHandler(runtime);
});

const fixtureBodies = fixtureDirs('admission').flatMap((dir) =>
  ['allowed', 'denied', 'detected'].flatMap((kind) =>
    fixtureFiles('admission', dir, kind).map((file) => readFixture('admission', dir, kind, file)),
  ),
);

/** Replaces one value somewhere inside a JSON document by another arbitrary JSON value. */
function mutate(document: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || document === null || typeof document !== 'object') return replacement;
  const entries = Object.entries(document as Record<string, unknown>);
  if (entries.length === 0) return replacement;
  const [key, value] = entries[path[0]! % entries.length]!;
  const copy: any = Array.isArray(document) ? [...document] : { ...document };
  copy[key] = mutate(value, path.slice(1), replacement);
  return copy;
}

describe('admission webhook robustness', () => {
  it('never answers a 5xx, whatever part of a real review is replaced by whatever JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fixtureBodies),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.jsonValue({ maxDepth: 3 }),
        async (body, path, replacement) => {
          const response = await admission(admissionEvent(JSON.stringify(mutate(body, path, replacement))), lambdaContext());
          expect(response.statusCode).toBeLessThan(500);
          expect([200, 400]).toContain(response.statusCode);
          const parsed = JSON.parse(response.body!) as Record<string, any>;
          if (response.statusCode === 200) expect(typeof parsed.response.allowed).toBe('boolean');
          else expect(parsed.error.code).toBe('bad_request');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers arbitrary bytes with 400, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json()), async (text) => {
        const response = await admission(admissionEvent(text), lambdaContext());
        expect([200, 400]).toContain(response.statusCode);
      }),
      { numRuns: 200 },
    );
  });

  // API Gateway (and local mode) hands over a body that is not UTF-8 base64-encoded: decoding it with U+FFFD in
  // place of the bad bytes would decide on a review the API server never sent. A malformed review is a 400, so
  // the API server applies the webhook's failurePolicy (docs/adr/0003).
  it('refuses a review whose bytes are not UTF-8 with a 400 that says so', async () => {
    const review = structuredClone(fixtureBodies[0]) as { request: { object?: { metadata?: { annotations?: Record<string, string> } } } };
    review.request.object = { ...review.request.object, metadata: { ...review.request.object?.metadata, annotations: { note: 'caf@@' } } };
    const [before, after] = JSON.stringify(review).split('@@') as [string, string];
    const bytes = Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28]), Buffer.from(after)]);
    const response = await admission({ ...admissionEvent(''), body: bytes.toString('base64'), isBase64Encoded: true }, lambdaContext());
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body!)).toMatchObject({
      error: {
        code: 'bad_request',
        message: `the body is not valid UTF-8: the bytes from offset ${before.length} are not a UTF-8 character`,
      },
    });
    const valid = await admission(
      { ...admissionEvent(''), body: Buffer.from(JSON.stringify(review)).toString('base64'), isBase64Encoded: true },
      lambdaContext(),
    );
    expect(valid.statusCode).toBe(200);
  });

  it('answers an unknown cluster and a wrong secret with the same 401', async () => {
    const body = JSON.stringify(fixtureBodies[0]);
    const unknown = await admission(admissionEvent(body, 'nope'), lambdaContext());
    const wrong = await admission(admissionEvent(body, 'fuzz', `o${'A'.repeat(43)}`), lambdaContext());
    expect(unknown.statusCode).toBe(401);
    expect(wrong).toEqual(unknown);
  });
});
