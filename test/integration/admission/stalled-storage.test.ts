import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionHandler } from '../../../functions/admission/app.js';
import type { HttpHandler } from '../../../functions/shared/http/types.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import type { RuntimeConfig } from '../../../functions/shared/runtime-config.js';
import { createPodReview, execShReview, installExecGuard, reviewBody, silentLogger, webhookEvent } from '../../support/admission-outage.js';
import { lambdaContext } from '../../support/events.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

// A DynamoDB that accepts connections and never answers (issue: a stalled table made every review wait its
// whole storage budget). The webhook talks to DynamoDB Local through a TCP relay that can stall: from then on
// it accepts connections and swallows every byte, in both directions. A warm instance must answer at once
// from its cached configuration while a refresh hangs, without waiting for its audit write or pod memory,
// and every instance must answer before its Lambda invocation would time out.

/** The API server's timeout: 30 s allows a storage budget of 15 s, far longer than any answer here may take. */
const API_SERVER_TIMEOUT = '30s';
/** An answer that waited for storage would take the budget (15 s); one that did not takes milliseconds. */
const WITHOUT_WAITING_MS = 3_000;

/** A TCP relay to DynamoDB Local that can be told to stall. */
class StallingRelay {
  private server: Server | undefined;
  private stalled = false;
  private readonly sockets = new Set<Socket>();
  constructor(private readonly target: URL) {}

  async start(): Promise<string> {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port) });
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      // Bytes are relayed while healthy and swallowed once stalled: the connection stays open, nothing answers.
      client.on('data', (chunk) => {
        if (!this.stalled) upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (!this.stalled) client.write(chunk);
      });
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('the relay has no port');
    return `http://127.0.0.1:${address.port}`;
  }

  stall(): void {
    this.stalled = true;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server) await new Promise((resolve) => this.server!.close(resolve));
  }
}

let relay: StallingRelay;
let config: RuntimeConfig;
let warm: HttpHandler;
let secret = '';

/** Sends one review as API Gateway would, with the Lambda context's remaining time; answers the verdict and the time taken. */
async function admit(handler: HttpHandler, body: string, remainingMs = 30_000) {
  const event = webhookEvent(body, 'prod', secret, { timeout: API_SERVER_TIMEOUT });
  const deadline = Date.now() + remainingMs;
  const context = { ...lambdaContext('vigil-admission'), getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  const started = performance.now();
  const result = await handler(event, context);
  const ms = performance.now() - started;
  const parsed = JSON.parse(result.body ?? '{}') as Record<string, any>;
  return { status: result.statusCode, response: parsed.response as Record<string, any>, ms };
}

/** A pod never seen before: its lookup and its memory both need storage. */
const execIntoNewPod = (i: number) =>
  reviewBody('bodies/exec-v1-echo-hello-custodian.json', (r) => {
    r.name = `fresh-${i}`;
    r.object.command = ['sh'];
  });

beforeAll(async () => {
  const endpoint = await dynamodbEndpoint();
  relay = new StallingRelay(new URL(endpoint));
  const installed = await installExecGuard({
    tablesEndpoint: endpoint,
    runtimeEndpoint: await relay.start(),
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
  await relay?.stop();
});

describe('the admission webhook with a DynamoDB that never answers', () => {
  it('serves the cached configuration at once while the refresh hangs, and does not wait for its side effects', async () => {
    relay.stall();
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
      expect(answer.ms, `${answer.name} took ${answer.ms.toFixed(0)} ms`).toBeLessThan(WITHOUT_WAITING_MS);
    }
  }, 120_000);

  it('ends the storage wait of a cold instance before its Lambda invocation times out', async () => {
    const cold = createAdmissionHandler(createRuntime(config, { logger: silentLogger() }));
    // 2 s left in the invocation, although the API server would wait 30 s: the fail mode answers in time.
    const answer = await admit(cold, execShReview(), 2_000);
    expect(answer.status).toBe(200);
    expect(answer.response).toMatchObject({ allowed: true, warnings: [expect.stringContaining('fails open')] });
    expect(answer.ms).toBeLessThan(2_000);
  }, 60_000);
});
