import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VigilClient } from '../../../cli/client.js';
import { ApiError } from '../../../cli/errors.js';

// What the CLI does when the API is busy. In AWS, API Gateway (an HTTP API) answers 500 with its own body
// {"message":"Internal Server Error"} when it cannot invoke a throttled function (reserved concurrency reached),
// 429 when its own throttling refuses a request, and the functions answer 503 with Retry-After when storage does
// not answer. None of these is a verdict on the request: the CLI sends it again, a few times, before giving up.
// The stand-in for API Gateway below is a real HTTP server; the waits are recorded, not waited.

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly authorization: string | undefined;
}

/** What the stand-in answers, request by request; the last entry repeats. */
type Answer = { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> };

const GATEWAY_THROTTLED: Answer = { status: 500, body: { message: 'Internal Server Error' } };
const OK: Answer = { status: 200, body: { ok: true } };

let gateway: Server;
let endpoint = '';
let answers: Answer[] = [];
let seen: Seen[] = [];

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

beforeAll(async () => {
  gateway = createServer((request, response) => {
    void readBody(request).then((body) => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', body, authorization: request.headers.authorization });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const address = gateway.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterAll(() => new Promise<void>((resolve) => gateway.close(() => resolve())));

beforeEach(() => {
  answers = [];
  seen = [];
});

function client() {
  const waits: number[] = [];
  const notes: string[] = [];
  const vigil = new VigilClient(
    { endpoint: new URL(endpoint), auth: { kind: 'bearer', token: 'retry-test-token' } },
    {
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
      random: () => 0.5,
      onRetry: (message) => notes.push(message),
    },
  );
  return { vigil, waits, notes };
}

describe('the CLI client when the API is busy', () => {
  it('sends a request again that API Gateway answered 500 for a throttled function, the same request each time', async () => {
    answers = [GATEWAY_THROTTLED, GATEWAY_THROTTLED, OK];
    const { vigil, waits, notes } = client();
    const answer = await vigil.request('PUT', '/v1/policies/p', { body: { name: 'p' }, headers: { 'if-match': '"3"' } });
    expect(answer.status).toBe(200);
    expect(seen).toHaveLength(3);
    for (const request of seen)
      expect(request).toEqual({ method: 'PUT', url: '/v1/policies/p', body: '{"name":"p"}', authorization: 'Bearer retry-test-token' });
    // Equal jitter (random 0.5): three quarters of 1 s, then of 2 s.
    expect(waits).toEqual([750, 1_500]);
    expect(notes).toEqual([
      'PUT /v1/policies/p: the API answered HTTP 500 without a Vigil error (its function may be throttled); trying again in 0.8 s (attempt 2 of 3)',
      'PUT /v1/policies/p: the API answered HTTP 500 without a Vigil error (its function may be throttled); trying again in 1.5 s (attempt 3 of 3)',
    ]);
  });

  it("waits what a 503's Retry-After asks, and retries API Gateway's own 429", async () => {
    answers = [
      { status: 503, body: { error: { code: 'unavailable', message: 'storage is unavailable' } }, headers: { 'retry-after': '5' } },
      { status: 429, body: { message: 'Too Many Requests' } },
      OK,
    ];
    const { vigil, waits } = client();
    expect(await vigil.get('/v1/policies')).toEqual({ ok: true });
    expect(waits).toEqual([5_000, 1_500]);
  });

  it('gives up after three attempts with the last answer, saying what it may mean', async () => {
    answers = [GATEWAY_THROTTLED];
    const { vigil, waits } = client();
    const error = await vigil.get('/v1/health').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 500,
      code: 'http_500',
      message:
        'the API answered HTTP 500 without a Vigil error, 3 times (its function may be throttled: see "Reserved concurrency and throttling" in the user guide)',
    });
    expect(seen).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it.each([
    [
      'a 500 the function answered (a bug, with its request id)',
      { status: 500, body: { error: { code: 'internal', message: 'internal error' } } },
    ],
    ['a 400', { status: 400, body: { error: { code: 'validation_failed', message: 'bad' } } }],
    ['a 409', { status: 409, body: { error: { code: 'conflict', message: 'taken' } } }],
    ['a 412', { status: 412, body: { error: { code: 'version_mismatch', message: 'stale' } } }],
  ] as const)('does not send again after %s: that answer is final', async (_name, answer) => {
    answers = [answer, OK];
    const { vigil, waits } = client();
    await expect(vigil.get('/v1/health')).rejects.toMatchObject({ status: answer.status, code: answer.body.error.code });
    expect(seen).toHaveLength(1);
    expect(waits).toEqual([]);
  });
});
