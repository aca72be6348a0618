import { randomUUID } from 'node:crypto';
import type { GeneratedAuditEvent } from '../../../functions/shared/storage/ports.js';
import type { MarshalledBatchClient } from '../../../functions/shared/storage/batch.js';
import { summarize } from '../../latency.js';
import { seededRandom, type Random } from '../../prng.js';
import { GROUP, round2 } from './plan.js';
import { cpuUsPer, processCpuSeconds } from './process-cpu.js';
import { type Modules } from './modules.js';

// Diagnostic: how fast DynamoDB Local stores audit items, which bounds recorded reviews under load.

/** Items per BatchWriteItem call: DynamoDB's maximum, as the webhook's batches use it. */
export const BATCH_ITEMS = 25;

/** Events of the recorded phase kept for the write bound: enough to cover every pod and review kind several times over. */
export const SAMPLED_EVENTS = 2_048;

/**
 * A uniform sample of the audit events the webhook wrote (reservoir sampling, seeded), so that the write bound
 * stores items of the very shapes and sizes the recorded reviews stored, not a stand-in of its own.
 */
export class WrittenEventSample {
  private readonly kept: GeneratedAuditEvent[] = [];
  private seen = 0;
  private readonly random: Random;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  keep(events: readonly GeneratedAuditEvent[]): void {
    for (const event of events) {
      this.seen++;
      if (this.kept.length < SAMPLED_EVENTS) this.kept.push(event);
      else {
        const slot = this.random.int(this.seen);
        if (slot < SAMPLED_EVENTS) this.kept[slot] = event;
      }
    }
  }

  reset(): void {
    this.kept.length = 0;
    this.seen = 0;
  }

  /** The events kept since the last reset. */
  events(): readonly GeneratedAuditEvent[] {
    return [...this.kept];
  }
}

/** Audit items stored per second with `writers` BatchWriteItem calls in flight, and how long one call took. */
export interface WriteCapacity {
  readonly writers: number;
  readonly itemsPerSecond: number;
  readonly callP50Ms: number;
  readonly callP99Ms: number;
  readonly calls: number;
  /** Distinct events the items were made from (the recorded phase's sample; 1 when it wrote none). */
  readonly sampledEvents: number;
  /** Mean size of an item as the AttributeValue JSON the call carries (bytes). */
  readonly itemBytesMean: number;
  /** DynamoDB Local's CPU per item stored (µs); null when its CPU time cannot be read. */
  readonly storageCpuUsPerItem: number | null;
}

/** One event of the webhook's shape, for a recorded phase that wrote none (the goal then fails anyway). */
function standInEvent(): GeneratedAuditEvent {
  const id = randomUUID();
  return {
    event: {
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
    retentionDays: 90,
  };
}

/**
 * How fast DynamoDB Local stores the webhook's audit items, `writers` BatchWriteItem calls of 25 in flight.
 * The items are the recorded phase's events (`written`, each with a fresh id and time), written as the
 * webhook writes them: by its own write function (`writeGeneratedAuditEvents`: its AttributeValues, the
 * low-level BatchWriteItem command) through a client of the same kind. So the bound and the recorded reviews
 * differ only in how the calls are filled and kept in flight, which is what the goal judges.
 */
export async function auditWriteCapacity(
  m: Modules,
  client: MarshalledBatchClient,
  tableName: string,
  written: readonly GeneratedAuditEvent[],
  ms: number,
  writers: number,
  storagePid: number | undefined,
): Promise<WriteCapacity> {
  const events = written.length > 0 ? written : [standInEvent()];
  let next = 0;
  const fresh = (): GeneratedAuditEvent => {
    const sampled = events[next++ % events.length]!;
    return { ...sampled, event: { ...sampled.event, id: randomUUID(), time: new Date().toISOString() } };
  };
  const durations: number[] = [];
  let items = 0;
  const storageCpuBefore = processCpuSeconds(storagePid);
  const started = performance.now();
  const writer = async (): Promise<void> => {
    while (performance.now() - started < ms) {
      const batch = Array.from({ length: BATCH_ITEMS }, fresh);
      const callStarted = process.hrtime.bigint();
      // Retries what DynamoDB leaves unprocessed, and throws when some stays so: a call that returns stored all 25.
      await m.writeGeneratedAuditEvents(client, tableName, batch);
      durations.push(Number(process.hrtime.bigint() - callStarted));
      items += batch.length;
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  const seconds = (performance.now() - started) / 1000;
  const storageCpuAfter = processCpuSeconds(storagePid);
  const itemBytes = events.map(({ event, retentionDays }) => JSON.stringify(m.attributeValues(m.toAuditItem(event, retentionDays))).length);
  return {
    writers,
    itemsPerSecond: Math.round(items / seconds),
    callP50Ms: round2(summarize(durations).p50Us / 1000),
    callP99Ms: round2(summarize(durations).p99Us / 1000),
    calls: durations.length,
    sampledEvents: events.length,
    itemBytesMean: Math.round(itemBytes.reduce((sum, bytes) => sum + bytes, 0) / itemBytes.length),
    storageCpuUsPerItem: cpuUsPer(storageCpuBefore, storageCpuAfter, items),
  };
}
