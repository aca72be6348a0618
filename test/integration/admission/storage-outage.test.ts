import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAdmissionHandler } from '../../../functions/admission/app.js';
import { createApiHandler } from '../../../functions/api/app.js';
import { bootstrap } from '../../../functions/shared/bootstrap.js';
import type { HttpHandler } from '../../../functions/shared/http/types.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import type { RuntimeConfig } from '../../../functions/shared/runtime-config.js';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../../infra/local/dynamodb-local.js';
import { adminCaller, createTablesAt, enforceDefaultGroup, saveExecGuard, silentLogger } from '../../support/admission-outage.js';
import { httpEvent, lambdaContext } from '../../support/events.js';
import { readFixture } from '../../support/fixtures.js';

// A storage outage must never block a cluster (architecture: "The hot path"): a warm webhook keeps
// deciding from its last known good configuration, a cold one answers by the fail mode its secret
// records, and every answer arrives before the API server's timeout. This file stops its OWN
// DynamoDB Local in the middle of the run, so it cannot share the run's instance.

const ADMIN_TOKEN = 'storage-outage-admin-token';
/** The API server's timeout as it sends it; the webhook must answer well before. */
const TIMEOUT = '2s';
const DEADLINE_MS = 2_000;
/** The timeout of the reviews that warm the instance while storage is up. */
const WARM_UP_TIMEOUT = '20s';
/** Short, so that the outage is noticed within a few requests rather than a second. */
const RECHECK_MS = 50;
/** Reviews sent while storage is down, spread over many re-check intervals. */
const OUTAGE_REVIEWS = 18;

interface Answer {
  readonly status: number;
  readonly allowed: boolean | undefined;
  readonly code: number | undefined;
  readonly warnings: readonly string[];
  readonly ms: number;
}

/** Every answer of the file, so that the last test can check that none was a 5xx. */
const answers: Answer[] = [];

let dataDir = '';
let dynamo: DynamoDbLocal | undefined;
let config: RuntimeConfig;
let logger: Logger;
let warm: HttpHandler;
/** Cluster name → its webhook secret (from the webhook URL, shown once at registration). */
const secrets = new Map<string, string>();

function review(file: string): unknown {
  const body = readFixture<any>('admission', ...file.split('/'));
  body.request.uid = crypto.randomUUID();
  return body;
}

const reviews = {
  execSh: () => review('exec-guard/denied/exec-sh.json'),
  createPod: () => review('debug-containers/allowed/create-pod.json'),
  execKubeSystem: () => review('exec-guard/allowed/exec-kube-system-bypassed.json'),
};
type ReviewName = keyof typeof reviews;

/** Sends one review the way API Gateway would, timing the handler's whole answer. */
async function admit(handler: HttpHandler, cluster: string, name: ReviewName, timeout = TIMEOUT): Promise<Answer> {
  const secret = secrets.get(cluster) ?? '';
  const event = httpEvent({
    method: 'POST',
    routeKey: 'POST /v1/admission/{cluster}/{secret}',
    path: `/v1/admission/${cluster}/${secret}`,
    pathParameters: { cluster, secret },
    query: { timeout },
    body: JSON.stringify(reviews[name]()),
  });
  const started = performance.now();
  const result: APIGatewayProxyStructuredResultV2 = await handler(event, lambdaContext('vigil-admission'));
  const ms = performance.now() - started;
  const body = result.body ? (JSON.parse(result.body) as Record<string, any>) : {};
  const answer: Answer = {
    status: result.statusCode ?? 0,
    allowed: body.response?.allowed as boolean | undefined,
    code: body.response?.status?.code as number | undefined,
    warnings: (body.response?.warnings as string[] | undefined) ?? [],
    ms,
  };
  answers.push(answer);
  return answer;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'vigil-outage-'));
  dynamo = await startDynamoDbLocal({ dataDir });
  const prefix = 'outage-';
  await createTablesAt(dynamo.endpoint, prefix);
  config = {
    mode: 'local',
    tablePrefix: prefix,
    dynamodbEndpoint: dynamo.endpoint,
    adminToken: ADMIN_TOKEN,
    publicBaseUrl: 'https://vigil.example',
    configRecheckMs: RECHECK_MS,
  };
  logger = silentLogger();
  const runtime = createRuntime(config, { logger });
  await bootstrap(runtime);
  const call = adminCaller(createApiHandler(runtime), ADMIN_TOKEN);
  const register = async (name: string, enforcerGroup?: string) => {
    const registered = await call('POST', '/v1/clusters', '/v1/clusters', { name, ...(enforcerGroup ? { enforcerGroup } : {}) });
    secrets.set(name, (registered.webhookUrl as string).split('/').pop()!);
  };

  // `prod` is in the built-in group (fails open), `vault` in a group that fails closed.
  await register('prod');
  await call('POST', '/v1/enforcer-groups', '/v1/enforcer-groups', {
    name: 'strict-ke',
    type: 'kube_enforcer',
    failMode: 'closed',
    enforce: true,
  });
  await register('vault', 'strict-ke');
  await saveExecGuard(call);
  await enforceDefaultGroup(call);

  warm = createAdmissionHandler(runtime);
}, 90_000);

afterAll(async () => {
  await dynamo?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** What each review must get from the configuration above, with storage up or down. */
const expected: Record<ReviewName, { allowed: boolean; code?: number }> = {
  execSh: { allowed: false, code: 403 },
  createPod: { allowed: true },
  execKubeSystem: { allowed: true },
};

describe('the admission webhook during a storage outage', () => {
  it('blocks exec of sh while storage is up (warming the instance)', async () => {
    for (const name of Object.keys(expected) as ReviewName[]) {
      for (const cluster of ['prod', 'vault']) {
        // A generous timeout while storage is up: on a busy machine the cold first load can outlast half of 2 s,
        // and the instance would then answer by its fail mode instead of learning the configuration.
        const answer = await admit(warm, cluster, name, WARM_UP_TIMEOUT);
        expect(answer, `${name} on ${cluster}`).toMatchObject({ status: 200, ...expected[name] });
      }
    }
  });

  it('keeps the verdicts of the last known good configuration once storage stops, each well within the deadline', async () => {
    await dynamo!.stop();
    const refreshFailed = vi.spyOn(logger, 'warn');
    const during: Array<Answer & { readonly name: ReviewName; readonly cluster: string }> = [];
    const names = Object.keys(expected) as ReviewName[];
    for (let i = 0; i < OUTAGE_REVIEWS; i++) {
      const name = names[i % names.length]!;
      const cluster = i % 2 === 0 ? 'prod' : 'vault';
      during.push({ ...(await admit(warm, cluster, name)), name, cluster });
      // Let the re-check interval pass now and then, so that storage is asked again (and fails).
      if (i % 3 === 2) await new Promise((resolve) => setTimeout(resolve, RECHECK_MS + 10));
    }
    for (const answer of during) {
      expect(answer, `${answer.name} on ${answer.cluster}`).toMatchObject({ status: 200, ...expected[answer.name] });
      expect(answer.ms, `${answer.name} on ${answer.cluster} took ${answer.ms.toFixed(0)} ms`).toBeLessThan(DEADLINE_MS);
    }
    // The outage was noticed (the cache asked storage and fell back), not merely hidden by the cache.
    const messages = refreshFailed.mock.calls.map(([message]) => (typeof message === 'string' ? message : JSON.stringify(message)));
    expect(messages).toContain('configuration refresh failed; deciding from the last known good configuration');
    expect(messages).toContain('audit events could not be written yet');
  }, 60_000);

  it('fails fast against the stopped endpoint: connections are refused, the SDK retries a few times only', async () => {
    // A fresh client, as a new Lambda instance would have, with the SDK's default retry settings.
    const client = new DynamoDBClient({
      endpoint: config.dynamodbEndpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const started = performance.now();
      const failure = await client
        .send(new GetItemCommand({ TableName: 'outage-config', Key: { pk: { S: 'META' }, sk: { S: 'revision' } } }))
        .then(
          () => undefined,
          (error: unknown) => error as Error & { code?: string; $metadata?: { attempts?: number } },
        );
      const ms = performance.now() - started;
      expect(failure?.code).toBe('ECONNREFUSED');
      expect(failure?.$metadata?.attempts).toBeLessThanOrEqual(4);
      expect(ms).toBeLessThan(DEADLINE_MS / 2);
    } finally {
      client.destroy();
    }
  });

  it('answers from a cold instance by the fail mode of the secret: a group that fails open allows, with a warning', async () => {
    const cold = createAdmissionHandler(createRuntime(config, { logger: silentLogger() }));
    for (const name of ['execSh', 'createPod'] as const) {
      const answer = await admit(cold, 'prod', name);
      expect(answer).toMatchObject({ status: 200, allowed: true });
      expect(answer.warnings.join(' ')).toContain('fails open');
      expect(answer.ms).toBeLessThan(DEADLINE_MS);
    }
  });

  it('answers from a cold instance by the fail mode of the secret: a group that fails closed refuses', async () => {
    const cold = createAdmissionHandler(createRuntime(config, { logger: silentLogger() }));
    for (const name of ['execSh', 'createPod'] as const) {
      const answer = await admit(cold, 'vault', name);
      expect(answer).toMatchObject({ status: 200, allowed: false, code: 503 });
      expect(answer.ms).toBeLessThan(DEADLINE_MS);
    }
  });

  it('never answered a 5xx', () => {
    expect(answers.length).toBeGreaterThan(OUTAGE_REVIEWS);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
  });
});
