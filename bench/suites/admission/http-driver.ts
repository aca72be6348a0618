import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { reviewFor, type BenchPod, type ReviewKind } from '../../admission-reviews.js';
import { UID_PLACEHOLDER, type LoadJob, type LoadRequest, type LoadResult } from '../../http-load.js';
import { collectGarbage } from '../../measure.js';
import { TIMEOUT, LOAD_BODIES, round1, round2 } from './plan.js';
import type { CallStats, StorageMeter } from './storage-meter.js';
import { cpuUsPer, processCpuSeconds } from './process-cpu.js';

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

/** Garbage collections of the server process during a phase: count and pause time (ms) by kind. */
export interface GcActivity {
  readonly minor: { readonly count: number; readonly pauseMs: number };
  readonly major: { readonly count: number; readonly pauseMs: number };
  readonly longestPauseMs: number;
  /** V8 heap in use when the phase started (MB): what the previous phases left to mark. */
  readonly heapUsedAtStartMb: number;
}

/** A gc entry's kind (`detail.kind`, one of perf_hooks' NODE_PERFORMANCE_GC_* constants). */
const gcKind = (entry: PerformanceEntry): number | undefined =>
  (entry as PerformanceEntry & { readonly detail?: { readonly kind?: number } }).detail?.kind;

/** Watches the collections of this process (the server's) until `stop()` is called. */
function watchGc(): { stop(): GcActivity } {
  const heapUsedAtStartMb = round1(process.memoryUsage().heapUsed / 2 ** 20);
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      entries.push(...observer.takeRecords());
      observer.disconnect();
      const of = (major: boolean) => {
        const picked = entries.filter((entry) => (gcKind(entry) === constants.NODE_PERFORMANCE_GC_MAJOR) === major);
        return { count: picked.length, pauseMs: round1(picked.reduce((sum, entry) => sum + entry.duration, 0)) };
      };
      return {
        minor: of(false),
        major: of(true),
        longestPauseMs: round1(Math.max(0, ...entries.map((entry) => entry.duration))),
        heapUsedAtStartMb,
      };
    },
  };
}

export interface HttpPhase extends Omit<LoadResult, 'type'> {
  readonly dynamoReadsPerRequest: number;
  /** Reads are expected at a fixed rate (the revision, once a second): per request they shrink as req/s grow. */
  readonly dynamoReadsPerSecond: number;
  readonly dynamoWritesPerRequest: number;
  /** Items written per request (a BatchWriteItem call writes up to 25). */
  readonly dynamoItemsWrittenPerRequest: number;
  /** Write calls in flight on average over the phase (the write bound keeps 1 or 4 in flight all the time). */
  readonly dynamoWritesInFlightMean: number;
  readonly dynamoCalls: Record<string, CallStats>;
  /** CPU time of the server process (handlers, HTTP adapter, SDK) per request. */
  readonly serverCpuUsPerRequest: number;
  /** Share of all cores busy during the phase (server, load generator, DynamoDB Local and anything else). */
  readonly machineBusyShare: number;
  readonly serverEventLoopDelayP99Ms: number;
  readonly serverGc: GcActivity;
  /**
   * Cores DynamoDB Local's JVM kept busy during the phase (1 = one core); null when its CPU time cannot be read.
   * A dry-run phase writes nothing: a busy JVM there is left over from the phase before.
   */
  readonly storageCpuCores: number | null;
  /** DynamoDB Local's CPU per item written (µs), to set beside the write bound's (what an item costs it under the load). */
  readonly storageCpuUsPerItem: number | null;
  readonly handlerWarnings: number;
  readonly handlerErrors: number;
}

export async function httpPhase(
  child: ChildProcess,
  job: LoadJob,
  meter: StorageMeter,
  logs: { warnings: number; errors: number },
  storagePid: number | undefined,
): Promise<HttpPhase> {
  collectGarbage();
  meter.reset();
  const logsBefore = { ...logs };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const cpuBefore = process.cpuUsage();
  const cpusBefore = os.cpus();
  const gc = watchGc();
  const storageCpuBefore = processCpuSeconds(storagePid);
  delay.enable();
  const { type: _type, ...result } = await runLoad(child, job);
  const dynamoWritesInFlightMean = meter.writesInFlightMean();
  delay.disable();
  const serverGc = gc.stop();
  const storageCpuAfter = processCpuSeconds(storagePid);
  const cpu = process.cpuUsage(cpuBefore);
  const requests = Math.max(1, result.requests);
  return {
    ...result,
    dynamoReadsPerRequest: Number((meter.reads / requests).toPrecision(3)),
    dynamoReadsPerSecond: round2(meter.reads / (result.elapsedMs / 1000)),
    dynamoWritesPerRequest: Number((meter.writes / requests).toPrecision(3)),
    dynamoItemsWrittenPerRequest: Number((meter.itemsWritten / requests).toPrecision(3)),
    dynamoWritesInFlightMean,
    dynamoCalls: meter.perRequest(requests),
    serverCpuUsPerRequest: round1((cpu.user + cpu.system) / requests),
    machineBusyShare: machineBusy(cpusBefore, os.cpus()),
    serverEventLoopDelayP99Ms: round2(delay.percentile(99) / 1e6),
    serverGc,
    storageCpuCores:
      storageCpuBefore === undefined || storageCpuAfter === undefined
        ? null
        : round2((storageCpuAfter - storageCpuBefore) / (result.elapsedMs / 1000)),
    storageCpuUsPerItem: cpuUsPer(storageCpuBefore, storageCpuAfter, meter.itemsWritten),
    handlerWarnings: logs.warnings - logsBefore.warnings,
    handlerErrors: logs.errors - logsBefore.errors,
  };
}

/** What else used the machine during a phase, in one line: the server's and the load generator's collections, the JVM's CPU. */
export function phaseConditions(phase: HttpPhase): string {
  const { minor, major, longestPauseMs, heapUsedAtStartMb } = phase.serverGc;
  return [
    `server GC ${minor.count} minor (${minor.pauseMs} ms), ${major.count} major (${major.pauseMs} ms), longest ${longestPauseMs} ms, heap at start ${heapUsedAtStartMb} MB`,
    `load generator GC ${phase.clientGc.count} (${phase.clientGc.pauseMs} ms)`,
    `DynamoDB Local ${phase.storageCpuCores ?? '?'} cores`,
    `event-loop delay p99 ${phase.serverEventLoopDelayP99Ms} ms`,
    `machine busy ${phase.machineBusyShare}`,
  ].join('; ');
}
