import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterValidation, modeChangeScheduling } from '../../functions/shared/aws-adapters.js';
import { eventPublishing } from '../../functions/shared/event-publishing.js';
import type { ServiceTimeoutError } from '../../functions/shared/call-budget.js';
import { DependencyError } from '../../functions/shared/errors.js';
import { runtimeConfigFromEnv } from '../../functions/shared/runtime-config.js';
import { startFaultyDynamoDb, type FaultyDynamoDb } from '../support/faulty-dynamodb.js';

// EventBridge Scheduler, EventBridge and EKS that accept connections and never answer (the stalling proxy of
// the storage tests, which forwards nothing in `stall` mode). Each adapter is built as the functions build it
// and reaches its stand-in through the SDK's per-service endpoint variable. Before the call budget, each
// call waited for as long as the platform let it (a 500 after 29 s on the API).

const services = ['SCHEDULER', 'EVENTBRIDGE', 'EKS'] as const;
const proxies = new Map<(typeof services)[number], FaultyDynamoDb>();
const saved = new Map<string, string | undefined>();

function setEnv(name: string, value: string): void {
  if (!saved.has(name)) saved.set(name, process.env[name]);
  process.env[name] = value;
}

beforeAll(async () => {
  for (const service of services) {
    // Nothing listens upstream: in `stall` mode the proxy never connects to it.
    const proxy = await startFaultyDynamoDb('http://127.0.0.1:9');
    proxy.mode = 'stall';
    proxies.set(service, proxy);
    setEnv(`AWS_ENDPOINT_URL_${service}`, proxy.endpoint);
  }
  setEnv('AWS_ACCESS_KEY_ID', 'test-double');
  setEnv('AWS_SECRET_ACCESS_KEY', 'test-double');
});

afterAll(async () => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
});

const config = runtimeConfigFromEnv({
  VIGIL_TABLE_PREFIX: 'budget-test',
  AWS_REGION: 'eu-west-1',
  VIGIL_SCHEDULE_GROUP: 'vigil-test',
  VIGIL_MODE_CHANGE_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:111122223333:function:vigil-mode-change',
  VIGIL_SCHEDULER_ROLE_ARN: 'arn:aws:iam::111122223333:role/vigil-scheduler',
  VIGIL_EVENT_BUS_NAME: 'vigil-events',
});
const change = { id: 'c0ffee00-0000-4000-8000-000000000001', to: 'enforce' as const, scheduledFor: '2030-01-01T00:00:00.000Z' };

async function rejection(call: Promise<unknown>): Promise<DependencyError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DependencyError);
  return error as DependencyError;
}

describe('calls to AWS services other than DynamoDB', () => {
  it('end with a 503-class error at their budget when the service never answers, and nothing of them stays in flight or is sent again', async () => {
    const logger = new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' });
    const calls = {
      SCHEDULER: () => modeChangeScheduling(config).schedule('exec-guard', change),
      EVENTBRIDGE: () => eventPublishing(config, logger).publish('Policy Mode Changed', { policy: 'exec-guard' }),
      EKS: () => clusterValidation(config)('arn:aws:eks:eu-west-1:111122223333:cluster/prod'),
    };
    const errors = await Promise.all(services.map((service) => rejection(calls[service]())));
    expect(errors.map((error) => [error.status, (error.cause as Error).name, (error.cause as ServiceTimeoutError).service])).toEqual([
      [503, 'ServiceTimeoutError', 'EventBridge Scheduler'],
      [503, 'ServiceTimeoutError', 'EventBridge'],
      [503, 'ServiceTimeoutError', 'Amazon EKS'],
    ]);

    for (const service of services) {
      const proxy = proxies.get(service)!;
      const given = new Set(proxy.requests.map((request) => request.invocationId));
      expect(given.size, service).toBe(1);
      // The attempt in flight at the budget was aborted.
      await expect.poll(() => proxy.requests.filter((request) => request.open).length, { message: service }).toBe(0);
    }

    // A later call's second attempt starts only after its first one timed out: a retry of the calls given up on,
    // whose own attempt timed out before, would have arrived by then.
    const answeredAt = new Map(services.map((service) => [service, proxies.get(service)!.requests.length]));
    const sentinels = services.map((service) => calls[service]().catch(() => undefined));
    for (const service of services) {
      const proxy = proxies.get(service)!;
      await expect
        .poll(() => proxy.requests.slice(answeredAt.get(service)).some((request) => request.attempt === 2), {
          timeout: 30_000,
          message: service,
        })
        .toBe(true);
      const first = proxy.requests[0]!.invocationId;
      expect(
        proxy.requests.slice(answeredAt.get(service)).filter((request) => request.invocationId === first),
        service,
      ).toEqual([]);
    }
    await Promise.all(sentinels);
  }, 60_000);
});
