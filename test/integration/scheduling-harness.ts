import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createApiHandler } from '../../functions/api/app.js';
import { createModeChangeHandler, type ModeChangeResult } from '../../functions/mode-change/app.js';
import { bootstrap } from '../../functions/shared/bootstrap.js';
import { createRuntime, type Runtime } from '../../functions/shared/runtime.js';
import { EventBridgePublisher } from '../../functions/shared/events/EventBridgePublisher.js';
import { EventBridgeModeChangeScheduler } from '../../functions/shared/scheduling/EventBridgeModeChangeScheduler.js';
import type { ModeChangeInput } from '../../functions/shared/scheduling/ports.js';
import { DynamoConfigStore } from '../../functions/shared/storage/DynamoConfigStore.js';
import type { Actor, ConfigChange } from '../../functions/shared/storage/ports.js';
import { httpEvent, lambdaContext } from '../support/events.js';
import { useTables, type TestTables } from '../support/use-tables.js';

// The API and the mode-change handler as they run in AWS, on DynamoDB Local, with EventBridge Scheduler and
// EventBridge mocked so that every call can be asserted by its exact input.

export const TOKEN = 'scheduling-admin-token-0123456789';
export const settings = {
  groupName: 'vigil-test',
  functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:vigil-mode-change',
  roleArn: 'arn:aws:iam::111122223333:role/vigil-scheduler',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:111122223333:vigil-scheduler-dlq',
};
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A config store whose next write runs a hook first: a concurrent writer, or a failure. */
export class HookedConfigStore extends DynamoConfigStore {
  beforeNextApply: (() => Promise<void>) | undefined;
  override async apply(changes: readonly ConfigChange[], actor: Actor, action?: string) {
    const hook = this.beforeNextApply;
    this.beforeNextApply = undefined;
    await hook?.();
    return super.apply(changes, actor, action);
  }
}

export interface SchedulingHarness {
  readonly tables: TestTables;
  readonly runtime: Runtime;
  readonly store: HookedConfigStore;
  readonly scheduler: AwsClientStub<SchedulerClient>;
  readonly bus: AwsClientStub<EventBridgeClient>;
  /** The instant the runtime sees as now; tests move it. */
  now: Date;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any }>;
  deliver(event: unknown): Promise<ModeChangeResult>;
  /** The inputs the Scheduler was given (CreateSchedule and UpdateSchedule, in order). */
  scheduledInputs(): ModeChangeInput[];
}

/** Answers with success by default; tests script failures per command. */
export function defaultScheduler(scheduler: AwsClientStub<SchedulerClient>, bus: AwsClientStub<EventBridgeClient>): void {
  scheduler.reset();
  bus.reset();
  scheduler
    .on(CreateScheduleCommand)
    .resolves({ ScheduleArn: 'arn:schedule' })
    .on(UpdateScheduleCommand)
    .resolves({ ScheduleArn: 'arn:schedule' })
    .on(DeleteScheduleCommand)
    .resolves({});
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
}

export function useScheduling(): SchedulingHarness {
  const tables = useTables();
  const scheduler = mockClient(SchedulerClient);
  const bus = mockClient(EventBridgeClient);
  let runtime: Runtime | undefined;
  let store: HookedConfigStore | undefined;
  let api: ReturnType<typeof createApiHandler> | undefined;
  let modeChange: ReturnType<typeof createModeChangeHandler> | undefined;
  const harness: SchedulingHarness = {
    tables,
    get runtime() {
      if (!runtime) throw new Error('useScheduling(): only inside tests and hooks');
      return runtime;
    },
    get store() {
      if (!store) throw new Error('useScheduling(): only inside tests and hooks');
      return store;
    },
    scheduler,
    bus,
    now: new Date(),
    async call(method, path, body, headers = {}) {
      const url = new URL(path, 'http://vigil.test');
      const [, resource = '', name] = /^\/v1\/([a-z-]+)(?:\/([^/]+))?/.exec(url.pathname) ?? [];
      const routeKey = `${method} /v1/${resource}${name === undefined ? '' : '/{name}'}`;
      const query = Object.fromEntries(url.searchParams);
      const event = httpEvent({
        method,
        routeKey,
        path: url.pathname,
        ...(Object.keys(query).length > 0 ? { query } : {}),
        headers: { authorization: `Bearer ${TOKEN}`, ...headers },
        ...(name === undefined ? {} : { pathParameters: { name: decodeURIComponent(name) } }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const response = await api!(event, lambdaContext('vigil-api'));
      return { status: response.statusCode ?? 0, body: response.body ? JSON.parse(response.body) : undefined };
    },
    deliver: (event) => modeChange!(event, lambdaContext('vigil-mode-change')),
    scheduledInputs: () =>
      scheduler
        .calls()
        .filter((call) => call.args[0] instanceof CreateScheduleCommand || call.args[0] instanceof UpdateScheduleCommand)
        .map((call) => JSON.parse((call.args[0] as CreateScheduleCommand).input.Target!.Input!)),
  };
  beforeAll(async () => {
    store = new HookedConfigStore(tables.clients.document, tables.tables.config.TableName);
    runtime = createRuntime(
      { mode: 'local', tablePrefix: tables.prefix, dynamodbEndpoint: tables.endpoint, adminToken: TOKEN },
      {
        configStore: store,
        auditStore: tables.auditStore,
        modeChangeScheduler: new EventBridgeModeChangeScheduler(new SchedulerClient({ region: 'eu-west-1', credentials }), settings),
        events: new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1', credentials }), 'vigil-bus'),
        logger: new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' }),
        clock: () => harness.now,
      },
    );
    await bootstrap(runtime);
    api = createApiHandler(runtime);
    modeChange = createModeChangeHandler(runtime);
  }, 60_000);
  beforeEach(() => {
    harness.now = new Date();
    defaultScheduler(scheduler, bus);
  });
  afterAll(() => {
    scheduler.restore();
    bus.restore();
  });
  return harness;
}
