import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { reviewFor, type BenchPod, type ReviewKind } from '../../admission-reviews.js';
import { UID_PLACEHOLDER, type LoadJob, type LoadRequest, type LoadResult } from '../../http-load.js';
import { collectGarbage } from '../../measure.js';
import { TIMEOUT, LOAD_BODIES, round1, round2 } from './plan.js';
import type { CallStats, StorageMeter } from './storage-meter.js';

// Driver 2: HTTP end to end, a closed-loop load generator in a child process against the local HTTP adapter.

export function loadRequests(pods: readonly BenchPod[], secrets: ReadonlyMap<string, string>, dryRun: boolean): LoadRequest[] {
  // One pass over the pods per kind, creates first; the client puts a fresh uid into every request.
  const kinds: readonly ReviewKind[] = ['create', 'exec'];
  return Array.from({ length: LOAD_BODIES }, (_, i) => {
    const pod = pods[i % pods.length]!;
    const kind = kinds[Math.floor(i / pods.length) % kinds.length]!;
    return {
      path: `/v1/admission/${encodeURIComponent(pod.cluster)}/${secrets.get(pod.cluster)!}?timeout=${TIMEOUT}`,
      body: JSON.stringify(reviewFor(kind, pod, UID_PLACEHOLDER, dryRun)),
    };
  });
}

/** The load generator as a child process: plain Node with the TypeScript loader the bench itself uses. */
export function startLoadClient(): ChildProcess {
  const script = fileURLToPath(new URL('../../http-load.ts', import.meta.url));
  return fork(script, ['--child'], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

function runLoad(child: ChildProcess, job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: LoadResult | { type: 'error'; message: string }) => {
      cleanup();
      if (message.type === 'result') resolve(message);
      else reject(new Error(`load generator: ${message.message}`));
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`load generator exited with status ${String(code)}`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(job);
  });
}

/** Busy share of all cores between two `os.cpus()` readings. */
function machineBusy(before: os.CpuInfo[], after: os.CpuInfo[]): number {
  let busy = 0;
  let all = 0;
  after.forEach((cpu, i) => {
    const previous = before[i]!.times;
    const total = (t: os.CpuInfo['times']) => t.user + t.nice + t.sys + t.idle + t.irq;
    const spent = total(cpu.times) - total(previous);
    all += spent;
    busy += spent - (cpu.times.idle - previous.idle);
  });
  return all === 0 ? 0 : round2(busy / all);
}

export interface HttpPhase extends Omit<LoadResult, 'type'> {
  readonly dynamoReadsPerRequest: number;
  /** Reads are expected at a fixed rate (the revision, once a second): per request they shrink as req/s grow. */
  readonly dynamoReadsPerSecond: number;
  readonly dynamoWritesPerRequest: number;
  /** Items written per request (a BatchWriteItem call writes up to 25). */
  readonly dynamoItemsWrittenPerRequest: number;
  readonly dynamoCalls: Record<string, CallStats>;
  /** CPU time of the server process (handlers, HTTP adapter, SDK) per request. */
  readonly serverCpuUsPerRequest: number;
  /** Share of all cores busy during the phase (server, load generator, DynamoDB Local and anything else). */
  readonly machineBusyShare: number;
  readonly serverEventLoopDelayP99Ms: number;
  readonly handlerWarnings: number;
  readonly handlerErrors: number;
}

export async function httpPhase(
  child: ChildProcess,
  job: LoadJob,
  meter: StorageMeter,
  logs: { warnings: number; errors: number },
): Promise<HttpPhase> {
  collectGarbage();
  meter.reset();
  const logsBefore = { ...logs };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const cpuBefore = process.cpuUsage();
  const cpusBefore = os.cpus();
  delay.enable();
  const { type: _type, ...result } = await runLoad(child, job);
  delay.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const requests = Math.max(1, result.requests);
  return {
    ...result,
    dynamoReadsPerRequest: Number((meter.reads / requests).toPrecision(3)),
    dynamoReadsPerSecond: round2(meter.reads / (result.elapsedMs / 1000)),
    dynamoWritesPerRequest: Number((meter.writes / requests).toPrecision(3)),
    dynamoItemsWrittenPerRequest: Number((meter.itemsWritten / requests).toPrecision(3)),
    dynamoCalls: meter.perRequest(requests),
    serverCpuUsPerRequest: round1((cpu.user + cpu.system) / requests),
    machineBusyShare: machineBusy(cpusBefore, os.cpus()),
    serverEventLoopDelayP99Ms: round2(delay.percentile(99) / 1e6),
    handlerWarnings: logs.warnings - logsBefore.warnings,
    handlerErrors: logs.errors - logsBefore.errors,
  };
}
