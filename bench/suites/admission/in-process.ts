import { randomUUID } from 'node:crypto';
import type { HttpHandler } from '../../../functions/shared/http/types.js';
import { reviewFor, type BenchPod, type ReviewKind } from '../../admission-reviews.js';
import { lambdaContext } from '../../api-event.js';
import { summarize, type LatencySummary } from '../../latency.js';
import { collectGarbage } from '../../measure.js';
import { round2 } from './plan.js';
import type { CallStats, StorageMeter } from './storage-meter.js';
import { verdictOf, webhookEvent } from './scenario.js';

// Driver 1: in-process latency, the Lambda handler called directly.

export interface InProcessResult extends LatencySummary {
  readonly deniedShare: number;
  /** Share of reviews that made at least one DynamoDB call (pod learned, audit event, revision re-check). */
  readonly withStorageCallShare: number;
  readonly withoutStorageCallP50Us: number | null;
  readonly withoutStorageCallP99Us: number | null;
  readonly withStorageCallP50Us: number | null;
  readonly withStorageCallP99Us: number | null;
  readonly dynamoReadsPerRequest: number;
  readonly dynamoWritesPerRequest: number;
  readonly dynamoCalls: Record<string, CallStats>;
}

export async function measureInProcess(
  handler: HttpHandler,
  meter: StorageMeter,
  pods: readonly BenchPod[],
  secrets: ReadonlyMap<string, string>,
  kind: ReviewKind,
  dryRun: boolean,
  warmup: number,
  samples: number,
  maxMs = Number.POSITIVE_INFINITY,
): Promise<InProcessResult> {
  const total: number[] = [];
  const quiet: number[] = [];
  const busy: number[] = [];
  let denied = 0;
  const context = lambdaContext('vigil-admission');
  collectGarbage();
  let reads = 0;
  let writes = 0;
  let deadline = Number.POSITIVE_INFINITY;
  for (let i = 0; i < warmup + samples; i++) {
    // At least a tenth of the samples, then only while time is left.
    if (total.length >= samples / 10 && performance.now() > deadline) break;
    if (i === warmup) deadline = performance.now() + maxMs;
    const pod = pods[(i * 7) % pods.length]!;
    const event = webhookEvent(pod, secrets, reviewFor(kind, pod, randomUUID(), dryRun));
    // The per-command breakdown covers the timed calls only.
    if (i === warmup) meter.reset();
    const readsBefore = meter.reads;
    const writesBefore = meter.writes;
    const started = process.hrtime.bigint();
    const result = await handler(event, context);
    const elapsed = Number(process.hrtime.bigint() - started);
    const verdict = verdictOf(result);
    if (i < warmup) continue;
    const callReads = meter.reads - readsBefore;
    const callWrites = meter.writes - writesBefore;
    reads += callReads;
    writes += callWrites;
    total.push(elapsed);
    (callReads + callWrites > 0 ? busy : quiet).push(elapsed);
    if (!verdict.allowed) denied++;
  }
  const part = (values: readonly number[]) => (values.length === 0 ? null : summarize(values));
  const quietSummary = part(quiet);
  const busySummary = part(busy);
  return {
    ...summarize(total),
    deniedShare: round2(denied / total.length),
    withStorageCallShare: Number((busy.length / total.length).toPrecision(3)),
    withoutStorageCallP50Us: quietSummary?.p50Us ?? null,
    withoutStorageCallP99Us: quietSummary?.p99Us ?? null,
    withStorageCallP50Us: busySummary?.p50Us ?? null,
    withStorageCallP99Us: busySummary?.p99Us ?? null,
    dynamoReadsPerRequest: Number((reads / total.length).toPrecision(3)),
    dynamoWritesPerRequest: Number((writes / total.length).toPrecision(3)),
    dynamoCalls: meter.perRequest(total.length),
  };
}
