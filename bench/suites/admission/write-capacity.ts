import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { summarize } from '../../latency.js';
import { GROUP, round2 } from './plan.js';
import { type Modules } from './modules.js';

// Diagnostic: how fast DynamoDB Local stores audit items, which bounds recorded reviews under load.

/** Items per BatchWriteItem call: DynamoDB's maximum, as the webhook's batches use it. */
export const BATCH_ITEMS = 25;

/** Audit items stored per second with `writers` BatchWriteItem calls in flight, and how long one call took. */
export interface WriteCapacity {
  readonly writers: number;
  readonly itemsPerSecond: number;
  readonly callP50Ms: number;
  readonly callP99Ms: number;
  readonly calls: number;
}

/** How fast DynamoDB Local stores audit items of the webhook's shape, `writers` BatchWriteItem calls in flight. */
export async function auditWriteCapacity(
  m: Modules,
  document: DynamoDBDocumentClient,
  tableName: string,
  ms: number,
  writers: number,
): Promise<WriteCapacity> {
  const { BatchWriteCommand } = await import('@aws-sdk/lib-dynamodb');
  const item = () => {
    const id = randomUUID();
    return m.toAuditItem(
      {
        id,
        time: new Date().toISOString(),
        status: 'Detect',
        policy: `policy-${id.slice(0, 2)}`,
        policyType: 'container',
        policyVersion: 1,
        control: 'blockContainerExec',
        controlName: 'Block Container Exec',
        enforcementMode: 'audit',
        action: 'exec',
        message: 'exec of "sh" is not an allowed process',
        workload: {
          cluster: 'cluster-0',
          namespace: 'ns-1',
          pod: `web-1-${id.slice(0, 8)}`,
          container: 'app',
          image: 'web-1:1.27',
          function: null,
          host: null,
        },
        user: { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
        command: ['sh'],
        enforcer: { group: GROUP, type: 'kube_enforcer', id: 'cluster-0' },
        unresolved: [],
      },
      90,
    );
  };
  const durations: number[] = [];
  let items = 0;
  const started = performance.now();
  const writer = async (): Promise<void> => {
    while (performance.now() - started < ms) {
      const batch = Array.from({ length: BATCH_ITEMS }, () => ({ PutRequest: { Item: item() } }));
      const callStarted = process.hrtime.bigint();
      const output = await document.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch } }));
      durations.push(Number(process.hrtime.bigint() - callStarted));
      items += BATCH_ITEMS - (output.UnprocessedItems?.[tableName]?.length ?? 0);
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  const seconds = (performance.now() - started) / 1000;
  return {
    writers,
    itemsPerSecond: Math.round(items / seconds),
    callP50Ms: round2(summarize(durations).p50Us / 1000),
    callP99Ms: round2(summarize(durations).p99Us / 1000),
    calls: durations.length,
  };
}
