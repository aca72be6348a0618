import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionHandler } from '../../../functions/admission/app.js';
import type { HttpHandler } from '../../../functions/shared/http/types.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import type { RuntimeConfig } from '../../../functions/shared/runtime-config.js';
import { createPodReview, execShReview, installExecGuard, reviewBody, silentLogger, webhookEvent } from '../../support/admission-outage.js';
import { lambdaContext } from '../../support/events.js';
import { startFaultyDynamoDb, type FaultyDynamoDb, type ProxiedRequest } from '../../support/faulty-dynamodb.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

// A DynamoDB that accepts connections and never answers (issue: a stalled table made every review wait its
// whole storage budget). The webhook talks to DynamoDB Local through a proxy that can stall: from then on it
// accepts connections and requests and never answers them. A warm instance must answer from its cached
// configuration while a refresh hangs, without waiting for its audit write or pod memory, and every instance
// must end its storage wait before its Lambda invocation would time out.
//
// Nothing here measures time. A stalled request ends only when the SDK gives it up: its attempt times out (4 s)
// and is sent again, or the call's budget runs out (8 s) and it is aborted. A review answered while every
// storage request open at its start or started by it is still open was released by none of them: it did not
// wait for storage, as one that waited for its budget (15 s here) would only have been released after its
// requests had ended. The whole stall below lasts well under the 4 s a first attempt stays open.

/** The API server's timeout: 30 s allows a storage budget of 15 s, longer than a stalled attempt lasts (4 s). */
const API_SERVER_TIMEOUT = '30s';

let proxy: FaultyDynamoDb;
let config: RuntimeConfig;
let warm: HttpHandler;
let secret = '';

/**
 * Sends one review as API Gateway would, with the Lambda context's remaining time; answers the verdict and the
 * storage requests of the review's time, as the proxy saw them when the answer arrived: those open when it was
 * sent and those it started.
 */
async function admit(handler: HttpHandler, body: string, remainingMs = 30_000) {
  const event = webhookEvent(body, 'prod', secret, { timeout: API_SERVER_TIMEOUT });
  const deadline = Date.now() + remainingMs;
  const context = { ...lambdaContext('vigil-admission'), getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  const openBefore = proxy.requests.filter((request) => request.open);
  const startedFrom = proxy.requests.length;
  const result = await handler(event, context);
  // The calls the review started: a retry of an earlier call carries that call's invocation id.
  const earlierCalls = new Set(proxy.requests.slice(0, startedFrom).map((request) => request.invocationId));
  const started = proxy.requests.slice(startedFrom).filter((request) => !earlierCalls.has(request.invocationId));
  const parsed = JSON.parse(result.body ?? '{}') as Record<string, any>;
  const seen = (requests: readonly ProxiedRequest[]) => requests.map(({ target, attempt, open }) => ({ target, attempt, open }));
  return {
    status: result.statusCode,
    response: parsed.response as Record<string, any>,
    openBefore: seen(openBefore),
    started: seen(started),
  };
}

/** Storage requests none of which the review waited for: each still open, and (for those it started) a first attempt. */
function expectNotWaitedFor(
  answer: { openBefore: Array<{ open: boolean }>; started: Array<{ attempt: number; open: boolean }> },
  name = '',
): void {
  expect(
    answer.openBefore.filter((request) => !request.open),
    name,
  ).toEqual([]);
  expect(
    answer.started.filter((request) => !request.open || request.attempt !== 1),
    name,
  ).toEqual([]);
}

/** A pod never seen before: its lookup and its memory both need storage. */
const execIntoNewPod = (i: number) =>
  reviewBody('bodies/exec-v1-echo-hello-custodian.json', (r) => {
    r.name = `fresh-${i}`;
    r.object.command = ['sh'];
  });

beforeAll(async () => {
  const endpoint = await dynamodbEndpoint();
  proxy = await startFaultyDynamoDb(endpoint);
  const installed = await installExecGuard({
    tablesEndpoint: endpoint,
    runtimeEndpoint: proxy.endpoint,
    prefix: `stall${crypto.randomUUID().slice(0, 6)}-`,
    adminToken: 'stalled-storage-admin-token',
    configRecheckMs: 50,
  });
  ({ config, secret } = installed);
  warm = createAdmissionHandler(installed.runtime);
  // Warm: the configuration is cached, the audit write and the pod memory work.
  expect((await admit(warm, execShReview())).response).toMatchObject({ allowed: false });
  expect((await admit(warm, createPodReview('web-0'))).response).toMatchObject({ allowed: true });
}, 90_000);

afterAll(async () => {
  await proxy?.close();
});

describe('the admission webhook with a DynamoDB that never answers', () => {
  it('serves the cached configuration at once while the refresh hangs, and does not wait for its side effects', async () => {
    proxy.mode = 'stall';
    await new Promise((resolve) => setTimeout(resolve, 100)); // the re-check interval (50 ms) has passed
    const answers = [];
    for (let i = 1; i <= 6; i++) {
      answers.push({ name: `exec ${i}`, ...(await admit(warm, execShReview())) }); // an audit event to write
      answers.push({ name: `create ${i}`, ...(await admit(warm, createPodReview(`web-${i}`))) }); // a pod to remember
      answers.push({ name: `exec into new pod ${i}`, ...(await admit(warm, execIntoNewPod(i))) }); // a pod to look up
    }
    for (const answer of answers) {
      expect(answer.status, answer.name).toBe(200);
      expect(answer.response.allowed, answer.name).toBe(answer.name.startsWith('create'));
      expectNotWaitedFor(answer, answer.name);
    }
    // The first review after the re-check started the refresh that hangs and the write of its audit event; those
    // stay in flight through every later review, which starts no call of its own once storage is known stalled.
    const [first, ...later] = answers;
    expect(first!.started.map(({ target }) => target).sort()).toEqual(['DynamoDB_20120810.BatchWriteItem', 'DynamoDB_20120810.GetItem']);
    for (const answer of later) expect(answer.openBefore.length, answer.name).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('ends the storage wait of a cold instance before its Lambda invocation times out', async () => {
    const cold = createAdmissionHandler(createRuntime(config, { logger: silentLogger() }));
    // 2 s left in the invocation, although the API server would wait 30 s: the fail mode answers, while the
    // configuration read is still unanswered (waiting the API server's 15 s would have seen it time out first).
    const answer = await admit(cold, execShReview(), 2_000);
    expect(answer.status).toBe(200);
    expect(answer.response).toMatchObject({ allowed: true, warnings: [expect.stringContaining('fails open')] });
    // Only its own calls: those the warm instance left in flight before may time out meanwhile.
    expect(answer.started.length).toBeGreaterThan(0);
    expectNotWaitedFor({ openBefore: [], started: answer.started });
  }, 60_000);
});
