import { randomUUID } from 'node:crypto';
import { BatchWriteItemCommand, type BatchWriteItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { AuditBacklogError, AuditRecorder, type AuditRecorderOptions } from '../../../functions/admission/AuditRecorder.js';
import { createAdmissionHandler } from '../../../functions/admission/app.js';
import { createApiHandler } from '../../../functions/api/app.js';
import { bootstrap } from '../../../functions/shared/bootstrap.js';
import { createRuntime } from '../../../functions/shared/runtime.js';
import { AuditWriteError, writeGeneratedAuditEvents } from '../../../functions/shared/storage/audit-items.js';
import type { MarshalledBatchClient } from '../../../functions/shared/storage/batch.js';
import type { AuditFallback } from '../../../functions/shared/storage/audit-fallback.js';
import type { AuditStore, GeneratedAuditEvent } from '../../../functions/shared/storage/ports.js';
import { httpEvent, lambdaContext } from '../../support/events.js';
import { readFixture } from '../../support/fixtures.js';
import { useTables, type TestTables } from '../../support/use-tables.js';
import { blockedExecEvent } from '../../support/audit-events.js';

const fast = { baseDelayMs: 1, maxDelayMs: 5 };

/** One generated event of a test run: the policy name groups a test's events in the byPolicy index. */
function generated(policy: string, index: number, retentionDays = 90): GeneratedAuditEvent {
  return blockedExecEvent(policy, `web-${index}`, retentionDays, `exec of "sh" is not an allowed process (${index})`);
}

/** The ids stored under one policy (every test uses its own), with repeats if an event were stored twice. */
async function storedIds(db: TestTables, policy: string): Promise<string[]> {
  const ids: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const output = await db.clients.document.send(
      new QueryCommand({
        TableName: db.tables.audit.TableName,
        IndexName: 'byPolicy',
        KeyConditionExpression: 'policyPk = :p',
        ExpressionAttributeValues: { ':p': `POLICY#${policy}` },
        ExclusiveStartKey: startKey,
      }),
    );
    ids.push(...(output.Items ?? []).map((item) => String((item.event as { id: string }).id)));
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return ids.sort();
}

const idsOf = (events: readonly GeneratedAuditEvent[]) => events.map(({ event }) => event.id).sort();

/** A network failure as the SDK reports one when nothing answers (not retried by the batch loop's own rules). */
function outage(): Error {
  return Object.assign(new Error('storage is unreachable'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
}

/**
 * The real document client with faults at the network boundary: `down` makes every BatchWriteItem fail,
 * `unprocessedOnce` makes the next call store only half of its items and report the rest as unprocessed,
 * as DynamoDB does when a partition is at capacity. Counts the calls.
 */
function faultyClient(db: TestTables) {
  const state = { calls: 0, down: false, unprocessedOnce: false, failCall: 0, inFlight: 0, maxInFlight: 0 };
  const forward = async (command: BatchWriteItemCommand): Promise<BatchWriteItemCommandOutput> => {
    if (!state.unprocessedOnce) return db.clients.client.send(command);
    state.unprocessedOnce = false;
    const [table, requests] = Object.entries(command.input.RequestItems ?? {})[0]!;
    const half = Math.ceil(requests.length / 2);
    const output = await db.clients.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests.slice(0, half) } }));
    return { ...output, UnprocessedItems: { [table]: requests.slice(half) } };
  };
  const send = async (command: BatchWriteItemCommand): Promise<BatchWriteItemCommandOutput> => {
    // The audit writes send AttributeValue items as they are (the low-level command), never the document form.
    expect(command).toBeInstanceOf(BatchWriteItemCommand);
    state.calls++;
    if (state.down || state.calls === state.failCall) throw outage();
    state.maxInFlight = Math.max(state.maxInFlight, ++state.inFlight);
    try {
      return await forward(command);
    } finally {
      state.inFlight--;
    }
  };
  return { state, client: { send } satisfies MarshalledBatchClient };
}

describe('writeGeneratedAuditEvents', () => {
  const db = useTables();

  it('writes every event once, 25 per BatchWriteItem call', async () => {
    const { state, client } = faultyClient(db);
    const events = Array.from({ length: 60 }, (_, i) => generated('batched', i));
    await writeGeneratedAuditEvents(client, db.tables.audit.TableName, events, fast);
    expect(await storedIds(db, 'batched')).toEqual(idsOf(events));
    expect(state.calls).toBe(3);
  });

  it('keeps four calls in flight at once when more than 100 events wait, and as many as asked otherwise', async () => {
    const four = faultyClient(db);
    const events = Array.from({ length: 110 }, (_, i) => generated('parallel', i));
    await writeGeneratedAuditEvents(four.client, db.tables.audit.TableName, events, fast);
    expect(await storedIds(db, 'parallel')).toEqual(idsOf(events));
    expect(four.state).toMatchObject({ calls: 5, maxInFlight: 4, inFlight: 0 });

    const two = faultyClient(db);
    const more = Array.from({ length: 110 }, (_, i) => generated('parallel-two', i));
    await writeGeneratedAuditEvents(two.client, db.tables.audit.TableName, more, { ...fast, concurrency: 2 });
    expect(await storedIds(db, 'parallel-two')).toEqual(idsOf(more));
    expect(two.state).toMatchObject({ calls: 5, maxInFlight: 2 });
  });

  it('names exactly the events of the failed call and of the calls it kept from starting', async () => {
    const { state, client } = faultyClient(db);
    // Calls 1-4 start together; the first fails at once, so the fifth never starts.
    state.failCall = 1;
    const events = Array.from({ length: 110 }, (_, i) => generated('parallel-failure', i));
    const error = await writeGeneratedAuditEvents(client, db.tables.audit.TableName, events, fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditWriteError);
    const unwritten = [...events.slice(0, 25), ...events.slice(100)];
    expect((error as AuditWriteError).unwritten.map(({ event }) => event.id)).toEqual(unwritten.map(({ event }) => event.id));
    expect(await storedIds(db, 'parallel-failure')).toEqual(idsOf(events.slice(25, 100)));
    expect(state.calls).toBe(4);
  });

  it('retries the items DynamoDB reports as unprocessed', async () => {
    const { state, client } = faultyClient(db);
    state.unprocessedOnce = true;
    const events = Array.from({ length: 10 }, (_, i) => generated('unprocessed', i));
    await writeGeneratedAuditEvents(client, db.tables.audit.TableName, events, fast);
    expect(await storedIds(db, 'unprocessed')).toEqual(idsOf(events));
    // The first call stored half; the retry sent the other half.
    expect(state.calls).toBe(2);
  });

  it('names exactly the events it did not write when a call fails part way', async () => {
    const { state, client } = faultyClient(db);
    state.failCall = 2;
    const events = Array.from({ length: 60 }, (_, i) => generated('part-way', i));
    const error = await writeGeneratedAuditEvents(client, db.tables.audit.TableName, events, { ...fast, concurrency: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuditWriteError);
    expect((error as AuditWriteError).status).toBe(503);
    expect(idsOf((error as AuditWriteError).unwritten)).toEqual(idsOf(events.slice(25)));
    expect(await storedIds(db, 'part-way')).toEqual(idsOf(events.slice(0, 25)));
  });

  it('refuses a retention that is not a whole number of days and writes nothing', async () => {
    const { state, client } = faultyClient(db);
    const events = [generated('bad-retention', 0), generated('bad-retention', 1, 0)];
    await expect(writeGeneratedAuditEvents(client, db.tables.audit.TableName, events, fast)).rejects.toThrow(RangeError);
    expect(state.calls).toBe(0);
  });
});

describe('AuditRecorder', () => {
  const db = useTables();

  function recorderOver(store: Pick<AuditStore, 'putGenerated'>, slots: Partial<AuditRecorderOptions> = {}) {
    let written = 0;
    const recorder = new AuditRecorder(store, {
      maxWaiting: 1000,
      maxWritesInFlight: 1,
      fullBatch: 25,
      ...slots,
      onWritten: () => written++,
    });
    return { recorder, written: () => written };
  }

  function storeOver(client: MarshalledBatchClient) {
    const writes: number[] = [];
    const store = {
      putGenerated: (events: readonly GeneratedAuditEvent[]) => {
        writes.push(events.length);
        return writeGeneratedAuditEvents(client, db.tables.audit.TableName, events, fast);
      },
    };
    return { store, writes };
  }

  it('coalesces the events of reviews that arrive while a write is in flight into the next write, each stored once', async () => {
    const { client } = faultyClient(db);
    const { store, writes } = storeOver(client);
    const { recorder, written } = recorderOver(store);
    const reviews = Array.from({ length: 40 }, (_, i) => [generated('coalesced', 2 * i), generated('coalesced', 2 * i + 1)]);
    const results = await Promise.all(reviews.map((events) => recorder.record(events)));
    expect(results).toEqual(reviews.map(() => true));
    expect(await storedIds(db, 'coalesced')).toEqual(idsOf(reviews.flat()));
    // The first review's write went out alone; the 39 that came while it was in flight shared the next one.
    expect(writes).toEqual([2, 78]);
    expect(written()).toBe(2);
  });

  it('keeps nothing of a failed write: its reviews learn of the failure, and the next write carries only its own events', async () => {
    const { state, client } = faultyClient(db);
    const { store, writes } = storeOver(client);
    const { recorder, written } = recorderOver(store);
    state.down = true;
    await expect(recorder.record([generated('not-carried', 0), generated('not-carried', 1)])).rejects.toBeInstanceOf(AuditWriteError);
    state.down = false;
    const later = [generated('not-carried', 2)];
    await expect(recorder.record(later)).resolves.toBe(true);
    // The failed events are their reviews' to hand to the fallback; the recorder does not retry them forever.
    expect(writes).toEqual([2, 1]);
    expect(await storedIds(db, 'not-carried')).toEqual(idsOf(later));
    expect(written()).toBe(1);
  });

  /** A store whose writes finish only when the test says so; records each write's event count. */
  function heldStore() {
    const writes: { readonly events: number; finish(error?: Error): void }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const store = {
      putGenerated: (events: readonly GeneratedAuditEvent[]) =>
        new Promise<void>((resolve, reject) => {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          const done = () => inFlight--;
          writes.push({ events: events.length, finish: (error) => (done(), error ? reject(error) : resolve()) });
        }),
    };
    return { store, writes, maxInFlight: () => maxInFlight };
  }

  it('lets a batch fill while a write is in flight instead of opening a slot for a few events', async () => {
    const { store, writes } = heldStore();
    const { recorder } = recorderOver(store, { maxWritesInFlight: 4 });
    const reviews = Array.from({ length: 10 }, (_, i) => recorder.record([generated('filling', i)]));
    // The first review found no write in flight and went alone; nine events are not a full batch.
    expect(writes.map(({ events }) => events)).toEqual([1]);
    writes[0]!.finish();
    await vi.waitFor(() => expect(writes).toHaveLength(2));
    expect(writes[1]!.events).toBe(9);
    writes[1]!.finish();
    await expect(Promise.all(reviews)).resolves.toEqual(reviews.map(() => true));
  });

  it('opens another slot for each full batch, up to maxWritesInFlight; a review waits only for the write that carries its events', async () => {
    const { store, writes, maxInFlight } = heldStore();
    const { recorder } = recorderOver(store, { maxWritesInFlight: 3, fullBatch: 3 });
    const reviews = Array.from({ length: 10 }, (_, i) => recorder.record([generated('slots', i)]));
    // One alone, then two full batches in slots of their own; the last three wait with every slot taken.
    expect(writes.map(({ events }) => events)).toEqual([1, 3, 3]);
    const settled = new Set<number>();
    reviews.forEach((review, i) => void review.then(() => settled.add(i)));
    writes[1]!.finish();
    // The freed slot takes the waiting batch at once: it is full.
    await vi.waitFor(() => expect(writes).toHaveLength(4));
    expect(writes[3]!.events).toBe(3);
    expect([...settled].sort()).toEqual([1, 2, 3]);
    // No verdict before its own write: the last three wait for the fourth write, not for any earlier one.
    writes[0]!.finish();
    writes[2]!.finish();
    await Promise.all(reviews.slice(0, 7));
    expect([...settled].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    writes[3]!.finish();
    await expect(Promise.all(reviews)).resolves.toEqual(reviews.map(() => true));
    expect(maxInFlight()).toBe(3);
    expect(writes).toHaveLength(4);
  });

  it('sends a batch as it is when the next review would push it past a full batch, if a slot is free', async () => {
    const { store, writes } = heldStore();
    const { recorder } = recorderOver(store, { maxWritesInFlight: 2, fullBatch: 5 });
    const events = Array.from({ length: 7 }, (_, i) => generated('not-split', i));
    const reviews = [recorder.record(events.slice(0, 1)), recorder.record(events.slice(1, 4)), recorder.record(events.slice(4, 7))];
    // Three and three would make six: the three waiting go out alone, and a review's events are never split.
    expect(writes.map(({ events }) => events)).toEqual([1, 3]);
    writes[0]!.finish();
    // Three are not a full batch, and a write is still in flight: they wait for it.
    await reviews[0];
    expect(writes).toHaveLength(2);
    writes[1]!.finish();
    await vi.waitFor(() => expect(writes).toHaveLength(3));
    expect(writes[2]!.events).toBe(3);
    writes[2]!.finish();
    await expect(Promise.all(reviews)).resolves.toEqual([true, true, true]);
  });

  it('stores every event of concurrent reviews exactly once with several writes in flight', async () => {
    const { client, state } = faultyClient(db);
    const { store, writes } = storeOver(client);
    const { recorder } = recorderOver(store, { maxWritesInFlight: 4 });
    const reviews = Array.from({ length: 60 }, (_, i) => [generated('pipelined', 2 * i), generated('pipelined', 2 * i + 1)]);
    await expect(Promise.all(reviews.map((events) => recorder.record(events)))).resolves.toEqual(reviews.map(() => true));
    expect(await storedIds(db, 'pipelined')).toEqual(idsOf(reviews.flat()));
    // One review alone, three batches of twelve reviews (a thirteenth would pass 25 events), then, every slot
    // taken, the other 23 reviews wait together for the first slot to free.
    expect(writes).toEqual([2, 24, 24, 24, 46]);
    expect(state.maxInFlight).toBeGreaterThan(1);
  });

  it('refuses a number of write slots or a full batch that is not a whole number of at least 1', () => {
    const store = { putGenerated: () => Promise.resolve() };
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new AuditRecorder(store, { maxWaiting: 10, maxWritesInFlight: bad, fullBatch: 25 })).toThrow(
        /maxWritesInFlight must be a whole number/,
      );
      expect(() => new AuditRecorder(store, { maxWaiting: 10, maxWritesInFlight: 1, fullBatch: bad })).toThrow(
        /fullBatch must be a whole number/,
      );
    }
  });

  it('fails the events waiting behind a write that does not finish once more than its bound pile up', async () => {
    let finish!: () => void;
    const calls: number[] = [];
    const store = {
      putGenerated: (events: readonly GeneratedAuditEvent[]) => {
        calls.push(events.length);
        return calls.length === 1 ? new Promise<void>((resolve) => (finish = resolve)) : Promise.resolve();
      },
    };
    const { recorder } = recorderOver(store, { maxWaiting: 3 });
    const inFlight = recorder.record([generated('backlog', 0)]);
    const waiting = recorder.record([generated('backlog', 1), generated('backlog', 2)]);
    // Two wait; two more would make four: the waiting two fail now, the newcomers wait in a fresh batch.
    const newcomers = recorder.record([generated('backlog', 3), generated('backlog', 4)]);
    await expect(waiting).rejects.toBeInstanceOf(AuditBacklogError);
    finish();
    await expect(inFlight).resolves.toBe(true);
    await expect(newcomers).resolves.toBe(true);
    expect(calls).toEqual([1, 2]);
  });

  it('bounds the waiting events only once every write slot is taken', async () => {
    const { store, writes } = heldStore();
    const { recorder } = recorderOver(store, { maxWaiting: 2, maxWritesInFlight: 2, fullBatch: 3 });
    const first = recorder.record([generated('slot-backlog', 0), generated('slot-backlog', 1), generated('slot-backlog', 2)]);
    const second = recorder.record([generated('slot-backlog', 3), generated('slot-backlog', 4), generated('slot-backlog', 5)]);
    // Each went out in a slot of its own (the second is a full batch), although each alone is above the waiting bound.
    expect(writes.map(({ events }) => events)).toEqual([3, 3]);
    const waiting = recorder.record([generated('slot-backlog', 6), generated('slot-backlog', 7)]);
    const overflow = recorder.record([generated('slot-backlog', 8)]);
    await expect(waiting).rejects.toBeInstanceOf(AuditBacklogError);
    writes[0]!.finish();
    writes[1]!.finish();
    await vi.waitFor(() => expect(writes).toHaveLength(3));
    writes[2]!.finish();
    await expect(Promise.all([first, second, overflow])).resolves.toEqual([true, true, true]);
    expect(writes.map(({ events }) => events)).toEqual([3, 3, 1]);
  });
});

describe('the admission webhook when the audit table does not take its events', () => {
  const db = useTables();
  const TOKEN = 'audit-fallback-admin-token';

  async function webhookWith(auditStore: Pick<AuditStore, 'putGenerated'>, auditFallback: AuditFallback) {
    const runtime = createRuntime({
      mode: 'local',
      tablePrefix: db.prefix,
      dynamodbEndpoint: db.endpoint,
      adminToken: TOKEN,
      publicBaseUrl: 'https://vigil.example',
    });
    await bootstrap(runtime);
    const api = createApiHandler(runtime);
    const admin = (method: string, routeKey: string, path: string, body: unknown) =>
      api(
        httpEvent({ method, routeKey, path, body: JSON.stringify(body), headers: { authorization: `Bearer ${TOKEN}` } }),
        lambdaContext(),
      );
    const cluster = `fallback-${randomUUID().slice(0, 8)}`;
    const registered = await admin('POST', 'POST /v1/clusters', '/v1/clusters', { name: cluster });
    const secret = (JSON.parse(registered.body!) as { webhookUrl: string }).webhookUrl.split('/').pop()!;
    await admin('POST', 'POST /v1/policies', '/v1/policies', {
      name: `no-exec-${cluster}`,
      type: 'container',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['Global'] },
      controls: { blockContainerExec: { enabled: true } },
    });
    const admission = createAdmissionHandler({ ...runtime, auditStore, auditFallback });
    // The built-in group only detects: each exec is allowed, with one Detect event to record.
    return async (pod: string) => {
      const review = readFixture<any>('admission', 'exec-guard', 'denied', 'exec-sh.json');
      review.request.uid = randomUUID();
      review.request.name = pod;
      const answer = await admission(
        httpEvent({
          method: 'POST',
          routeKey: 'POST /v1/admission/{cluster}/{secret}',
          path: `/v1/admission/${cluster}/${secret}`,
          pathParameters: { cluster, secret },
          query: { timeout: '10s' },
          body: JSON.stringify(review),
        }),
        lambdaContext('vigil-admission'),
      );
      return JSON.parse(answer.body!) as { response: { allowed: boolean } };
    };
  }

  /** A test double of the durable fallback: remembers what it was asked to hold, and why. */
  function recordingFallback() {
    const held: Array<{ ids: string[]; reason: string }> = [];
    return {
      held,
      fallback: {
        hold: (events: readonly GeneratedAuditEvent[], reason: string) => {
          held.push({ ids: idsOf(events), reason });
          return Promise.resolve();
        },
      },
    };
  }

  it('hands the events of a refused write (a permanent error) to the fallback with the reason, before the verdict', async () => {
    const refusal = Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
    const attempts: string[][] = [];
    const store = {
      putGenerated: (events: readonly GeneratedAuditEvent[]) => {
        attempts.push(idsOf(events));
        return Promise.reject(new AuditWriteError(events, refusal));
      },
    };
    const { held, fallback } = recordingFallback();
    const admit = await webhookWith(store, fallback);
    await admit('refused-1');
    await admit('refused-2');
    // Each review's own event, once, with the cause; the second write does not drag the first along.
    expect(held.map(({ ids }) => ids)).toEqual(attempts);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).not.toEqual(expect.arrayContaining(attempts[0]!));
    expect(held.map(({ reason }) => reason)).toEqual([
      'the audit write failed: storage is unavailable',
      'the audit write failed: storage is unavailable',
    ]);
  });

  it('hands the events of a write that has not finished by the verdict to the fallback', async () => {
    const attempts: string[][] = [];
    const store = {
      putGenerated: (events: readonly GeneratedAuditEvent[]) => {
        attempts.push(idsOf(events));
        return new Promise<void>(() => undefined);
      },
    };
    const { held, fallback } = recordingFallback();
    const admit = await webhookWith(store, fallback);
    await admit('stalled-1');
    expect(attempts).toHaveLength(1);
    expect(held).toEqual([{ ids: attempts[0], reason: 'the audit write did not finish before the verdict was due' }]);
  });
});

describe('the admission webhook under concurrent reviews', () => {
  const db = useTables();
  const TOKEN = 'audit-recorder-admin-token';

  it('stores the audit event of every one of 30 concurrent blocked execs exactly once', async () => {
    const runtime = createRuntime({
      mode: 'local',
      tablePrefix: db.prefix,
      dynamodbEndpoint: db.endpoint,
      adminToken: TOKEN,
      publicBaseUrl: 'https://vigil.example',
    });
    await bootstrap(runtime);
    const api = createApiHandler(runtime);
    const admin = (method: string, routeKey: string, path: string, body: unknown) =>
      api(
        httpEvent({ method, routeKey, path, body: JSON.stringify(body), headers: { authorization: `Bearer ${TOKEN}` } }),
        lambdaContext(),
      );
    const registered = await admin('POST', 'POST /v1/clusters', '/v1/clusters', { name: 'busy' });
    const secret = (JSON.parse(registered.body!) as { webhookUrl: string }).webhookUrl.split('/').pop()!;
    await admin('POST', 'POST /v1/policies', '/v1/policies', {
      name: 'no-exec-anywhere',
      type: 'container',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['Global'] },
      controls: { blockContainerExec: { enabled: true } },
    });
    const admission = createAdmissionHandler(runtime);
    const pods = Array.from({ length: 30 }, (_, i) => `busy-pod-${i}`);
    const answers = await Promise.all(
      pods.map((pod) => {
        const review = readFixture<any>('admission', 'exec-guard', 'denied', 'exec-sh.json');
        review.request.uid = randomUUID();
        review.request.name = pod;
        return admission(
          httpEvent({
            method: 'POST',
            routeKey: 'POST /v1/admission/{cluster}/{secret}',
            path: `/v1/admission/busy/${secret}`,
            pathParameters: { cluster: 'busy', secret },
            query: { timeout: '10s' },
            body: JSON.stringify(review),
          }),
          lambdaContext('vigil-admission'),
        );
      }),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual(pods.map(() => 200));
    // On a loaded machine a write may outlast a review's storage budget (the verdict then goes out and, with no
    // fallback configured here, the write in flight still stores the events): wait for the table, not for time.
    await vi.waitFor(
      async () => {
        const stored = await runtime.auditStore.query({ limit: 100, policy: 'no-exec-anywhere' });
        expect(stored.items.map((event) => event.workload.pod).sort()).toEqual([...pods].sort());
      },
      { timeout: 20_000, interval: 200 },
    );
  }, 60_000);
});
