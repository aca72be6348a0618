import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { auditEvents, type AuditEvent, type Violation } from '../../layers/core/index.js';
import { createAuditExportHandler } from '../../functions/audit-export/app.js';
import { EventBridgePublisher } from '../../functions/shared/events/EventBridgePublisher.js';
import { DynamoPodDirectory } from '../../functions/shared/storage/DynamoPodDirectory.js';
import { readStream } from '../support/dynamodb-streams.js';
import { lambdaContext } from '../support/events.js';
import { useTables } from '../support/use-tables.js';

const exec: Violation = {
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
const egress: Violation = {
  status: 'Detect',
  policy: 'egress-guard',
  policyType: 'function',
  policyVersion: 1,
  control: 'networkEgress',
  controlName: 'Outbound Connections Allowed',
  enforcementMode: 'audit',
  action: 'network',
  message: 'connection to evil.example:443 is not allowed',
};

describe('audit export from the audit table stream (DynamoDB Local)', () => {
  const db = useTables();
  const bus = mockClient(EventBridgeClient);
  afterEach(() => bus.reset());

  it('publishes every event written through the store exactly as the API reads it, and nothing else', async () => {
    let n = 0;
    const newId = () => `export-${++n}`;
    const events: AuditEvent[] = [
      ...auditEvents(
        [exec],
        {
          workload: { cluster: 'prod-eu', namespace: 'default', pod: 'test-nginx', container: 'nginx', image: 'nginx:latest' },
          user: { name: 'alice', groups: ['sre'] },
          command: ['sh'],
          enforcer: { group: 'default-ke', type: 'kube_enforcer', id: null },
          unresolved: ['kubernetes.label'],
        },
        '2026-11-28T12:00:00.000Z',
        newId,
      ),
      ...auditEvents(
        [egress],
        { workload: { function: 'checkout' }, enforcer: { group: 'default', type: 'nano_enforcer', id: 'fn-1' } },
        '2026-11-28T12:00:01.000Z',
        newId,
      ),
    ];
    expect(await db.auditStore.put(events, 90)).toEqual({ accepted: 2, duplicates: 0 });
    // A re-sent event changes nothing, so the stream gets nothing; a learned pod is an item of the same table.
    expect(await db.auditStore.put([events[0]!], 90)).toEqual({ accepted: 0, duplicates: 1 });
    await new DynamoPodDirectory(db.clients.document, db.tables.audit.TableName).learn(
      'prod-eu',
      { namespace: 'default', name: 'test-nginx', requested: [{ namespace: 'default', name: 'test-nginx', labels: {}, containers: [] }] },
      3600,
    );

    const streamEvent = await readStream(db.clients.client, db.endpoint, db.tables.audit.TableName);
    expect(streamEvent.Records.map((record) => record.eventName)).toEqual(['INSERT', 'INSERT', 'INSERT']);

    bus.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
      FailedEntryCount: 0,
      Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `eb-${i}` })),
    }));
    const publisher = new EventBridgePublisher(
      new EventBridgeClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
      'vigil-events',
    );
    const handler = createAuditExportHandler({
      publisher,
      logger: new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' }),
      retry: { baseDelayMs: 0 },
    });

    expect(await handler(streamEvent, lambdaContext('vigil-audit-export'))).toEqual({ batchItemFailures: [] });
    const entries = bus.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    const asRead = await Promise.all(events.map((event) => db.auditStore.get(event.id)));
    // The store writes events concurrently, so the stream holds them in any order; DynamoDB keeps no key
    // order either, so the details are compared as JSON values.
    const published = entries
      .map((entry) => ({ ...entry, Detail: JSON.parse(entry.Detail!) as AuditEvent }))
      .sort((a, b) => a.Detail.id.localeCompare(b.Detail.id));
    expect(published).toEqual(
      asRead.map((event) => ({ EventBusName: 'vigil-events', Source: 'vigil', DetailType: 'Vigil Audit Event', Detail: event })),
    );
    expect(asRead).toEqual(events);
  });
});
