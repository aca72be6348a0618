/**
 * Admission webhook benchmark: the hot path with 1,000 policies, measured four ways in one run.
 *
 * 1. In-process: the Lambda handler invoked with API Gateway payload 2.0 events, sequentially, on
 *    DynamoDB Local (latency per review, µs).
 * 2. HTTP end to end: the handlers behind the local HTTP adapter (what local mode serves), driven by a
 *    closed-loop load generator in a child process over keep-alive connections (req/s, ms), with the
 *    server's DynamoDB calls counted by a middleware on its client.
 * 3. Bundle size: the admission function bundled exactly as the CDK stack bundles it (bench/lambda-bundle.ts),
 *    with its composition by package.
 * 4. Cold start: a fresh `node` process per run imports the deployed bundle and answers one real review
 *    against DynamoDB Local, against a minimal bundle that does one GetItem with the same clients; a probe
 *    build of the entry point breaks the time down by phase.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { functionEntries, lambdaNodeOptions, lambdaTarget } from '../../infra/lambda-bundling.js';
import { bundleLambda, withoutInputs } from '../lambda-bundle.js';
import { runNode } from '../node-process.js';
import type { HttpHandler } from '../../functions/shared/http/types.js';
import type { Runtime } from '../../functions/shared/runtime.js';
import { reviewFor, benchPods, reviewKinds, type BenchPod, type ReviewKind } from '../admission-reviews.js';
import { apiGatewayEvent, lambdaContext } from '../api-event.js';
import { generateConfig } from '../generate.js';
import { UID_PLACEHOLDER, type LoadJob, type LoadRequest, type LoadResult } from '../http-load.js';
import { summarize, type LatencySummary } from '../latency.js';
import { collectGarbage } from '../measure.js';
import type { BenchSuite, SuiteContext } from '../suite.js';
import { scratchRoot } from '../scratch.js';

/** Thresholds the webhook is expected to meet. */
export const GOALS = {
  inProcessP99UsMax: 1_000,
  httpRequestsPerSecondMin: 1_500,
  httpP99MsMax: 15,
  dynamoReadsPerRequestMax: 0.01,
  admissionBundleBytesMax: 400_000,
  coldStartRatioMax: 1.5,
} as const;

export const POLICIES = 1_000;
/** Distinct running pods the reviews are about (each created once, then exec'd into). */
const PODS = 128;
const CLUSTERS = ['cluster-0', 'cluster-1', 'cluster-2', 'cluster-3'] as const;
const GROUP = 'bench-ke';
const TABLE_PREFIX = 'vigil-bench-adm-';
const SMALL_TABLE_PREFIX = 'vigil-bench-adm-small-';
const ACTOR = 'local-admin';
/** The API server's timeout as EKS sends it (the group default is 5 s; 10 s is the Kubernetes default). */
const TIMEOUT = '10s';
const CONCURRENCY = 32;
/** Distinct request bodies the load generator rotates through. */
const LOAD_BODIES = 2_048;

interface Plan {
  /** Recorded reviews wait for DynamoDB writes: their sampling also stops after `maxMs` per kind. */
  readonly inProcess: {
    readonly warmup: number;
    readonly samples: number;
    readonly maxMs: number;
    readonly dryRunWarmup: number;
    readonly dryRunSamples: number;
  };
  readonly http: { readonly warmupMs: number; readonly measureMs: number; readonly dryRunMs: number; readonly writeCapacityMs: number };
  readonly coldStartRuns: number;
}

function plan(quick: boolean): Plan {
  return quick
    ? {
        inProcess: { warmup: 50, samples: 200, maxMs: 2_000, dryRunWarmup: 100, dryRunSamples: 400 },
        http: { warmupMs: 1_000, measureMs: 3_000, dryRunMs: 1_000, writeCapacityMs: 1_000 },
        coldStartRuns: 3,
      }
    : {
        inProcess: { warmup: 300, samples: 2_000, maxMs: 6_000, dryRunWarmup: 1_000, dryRunSamples: 5_000 },
        http: { warmupMs: 3_000, measureMs: 20_000, dryRunMs: 5_000, writeCapacityMs: 5_000 },
        coldStartRuns: 10,
      };
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const round2 = (value: number): number => Math.round(value * 100) / 100;
const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Loads what touches the AWS SDK after setting the environment it reads (keeps its Node notice quiet). */
async function loadModules() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const [
    local,
    tables,
    runtime,
    bootstrap,
    admission,
    api,
    client,
    configStore,
    auditStore,
    pods,
    http,
    logger,
    snapshots,
    auditItems,
    localMode,
  ] = await Promise.all([
    import('../../infra/local/dynamodb-local.js'),
    import('../../functions/shared/storage/tables.js'),
    import('../../functions/shared/runtime.js'),
    import('../../functions/shared/bootstrap.js'),
    import('../../functions/admission/app.js'),
    import('../../functions/api/app.js'),
    import('../../functions/shared/storage/client.js'),
    import('../../functions/shared/storage/DynamoConfigStore.js'),
    import('../../functions/shared/storage/DynamoAuditStore.js'),
    import('../../functions/shared/storage/DynamoPodDirectory.js'),
    import('../../infra/local/http-adapter.js'),
    import('@aws-lambda-powertools/logger'),
    import('../../functions/shared/storage/DynamoDecisionSnapshots.js'),
    import('../../functions/shared/storage/audit-items.js'),
    import('../../infra/local/start.js'),
  ]);
  return {
    startDynamoDbLocal: local.startDynamoDbLocal,
    ensureTables: tables.ensureTables,
    tableNames: tables.tableNames,
    localTableOptions: localMode.LOCAL_TABLE_OPTIONS,
    createRuntime: runtime.createRuntime,
    bootstrap: bootstrap.bootstrap,
    createAdmissionHandler: admission.createAdmissionHandler,
    createApiHandler: api.createApiHandler,
    createDynamoClients: client.createDynamoClients,
    DynamoConfigStore: configStore.DynamoConfigStore,
    DynamoAuditStore: auditStore.DynamoAuditStore,
    DynamoPodDirectory: pods.DynamoPodDirectory,
    CachedPodDirectory: pods.CachedPodDirectory,
    DynamoDecisionSnapshots: snapshots.DynamoDecisionSnapshots,
    toAuditItem: auditItems.toItem,
    auditWriteCalls: auditItems.AUDIT_WRITE_CALLS,
    createLocalServer: http.createLocalServer,
    Logger: logger.Logger,
  };
}
type Modules = Awaited<ReturnType<typeof loadModules>>;

// ---------------------------------------------------------------------------------------------
// DynamoDB call meter

const READ_COMMANDS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);

/** DynamoDB calls of one `<command> <table>` per request, and how long one call took. */
interface CallStats {
  readonly perRequest: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Counts and times logical DynamoDB calls (SDK retries are one call) by command and table. */
class StorageMeter {
  reads = 0;
  writes = 0;
  /** Items put or deleted: a BatchWriteItem call counts its requests. */
  itemsWritten = 0;
  private readonly durations = new Map<string, number[]>();

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.itemsWritten = 0;
    this.durations.clear();
  }

  record(command: string, table: string, ns: number, items: number): void {
    if (READ_COMMANDS.has(command)) this.reads++;
    else {
      this.writes++;
      this.itemsWritten += items;
    }
    const key = `${command.replace(/Command$/, '')} ${table}`;
    const list = this.durations.get(key) ?? [];
    list.push(ns);
    this.durations.set(key, list);
  }

  /** By `<command> <table>`: calls per request over `requests` requests, and call duration percentiles. */
  perRequest(requests: number): Record<string, CallStats> {
    return Object.fromEntries(
      [...this.durations]
        .sort((a, b) => b[1].length - a[1].length)
        .map(([key, list]) => {
          const summary = summarize(list);
          return [
            key,
            {
              perRequest: Number((list.length / requests).toPrecision(3)),
              p50Ms: round2(summary.p50Us / 1000),
              p99Ms: round2(summary.p99Us / 1000),
            },
          ];
        }),
    );
  }
}

function instrument(client: DynamoDBClient, meter: StorageMeter, tables: { readonly config: string; readonly audit: string }): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown[]>; TransactItems?: unknown[] };
      // Batch calls name their table inside RequestItems (the webhook's batches go to one table).
      const name = input.TableName ?? Object.keys(input.RequestItems ?? {})[0];
      const table = name === tables.config ? 'config' : name === tables.audit ? 'audit' : (name ?? 'batch');
      const items = input.RequestItems
        ? Object.values(input.RequestItems).reduce((sum, requests) => sum + requests.length, 0)
        : (input.TransactItems?.length ?? 1);
      const started = process.hrtime.bigint();
      try {
        return await next(args);
      } finally {
        meter.record(context.commandName ?? 'unknown', table, Number(process.hrtime.bigint() - started), items);
      }
    },
    { step: 'initialize', priority: 'high', name: 'benchStorageMeter' },
  );
}

/** A runtime whose stores use a metered client of their own; its logger counts warnings and errors, silently. */
function meteredRuntime(m: Modules, endpoint: string, prefix: string, adminToken: string, publicBaseUrl?: string) {
  const meter = new StorageMeter();
  const clients = m.createDynamoClients({ endpoint });
  const names = m.tableNames(prefix);
  instrument(clients.client, meter, names);
  const logs = { warnings: 0, errors: 0 };
  const logger = new m.Logger({ serviceName: 'vigil-bench', logLevel: 'SILENT' });
  const warn = logger.warn.bind(logger);
  const error = logger.error.bind(logger);
  logger.warn = (input, ...extra) => {
    logs.warnings++;
    warn(input, ...extra);
  };
  logger.error = (input, ...extra) => {
    logs.errors++;
    error(input, ...extra);
  };
  const runtime: Runtime = m.createRuntime(
    { mode: 'local', tablePrefix: prefix, dynamodbEndpoint: endpoint, adminToken, publicBaseUrl },
    {
      configStore: new m.DynamoConfigStore(clients.document, names.config),
      auditStore: new m.DynamoAuditStore(clients.document, names.audit),
      podDirectory: new m.CachedPodDirectory(new m.DynamoPodDirectory(clients.document, names.audit)),
      decisionSnapshots: new m.DynamoDecisionSnapshots(clients.document, names.config),
      logger,
    },
  );
  return { runtime, meter, logs, destroy: () => clients.client.destroy() };
}

// ---------------------------------------------------------------------------------------------
// Setup: tables, clusters, policies

function expectStatus(result: APIGatewayProxyStructuredResultV2, status: number, what: string): Record<string, any> {
  if (result.statusCode !== status)
    throw new Error(`${what}: expected HTTP ${status}, got ${String(result.statusCode)}: ${String(result.body).slice(0, 300)}`);
  return result.body ? (JSON.parse(result.body) as Record<string, any>) : {};
}

/** Registers the clusters in an enforcing kube_enforcer group through the API; returns cluster → secret. */
async function registerClusters(api: HttpHandler, adminToken: string, clusters: readonly string[]): Promise<Map<string, string>> {
  const call = async (method: 'POST' | 'PUT', route: string, body: unknown, status: number) =>
    expectStatus(
      await api(apiGatewayEvent({ method, route, body, token: adminToken }), lambdaContext('vigil-api')),
      status,
      `${method} ${route}`,
    );
  await call('POST', '/v1/enforcer-groups', { name: GROUP, type: 'kube_enforcer', enforce: true, failMode: 'open' }, 201);
  const secrets = new Map<string, string>();
  for (const name of clusters) {
    const registered = await call('POST', '/v1/clusters', { name, enforcerGroup: GROUP }, 201);
    secrets.set(name, (registered.webhookUrl as string).split('/').pop()!);
  }
  return secrets;
}

/** The policy documents as POST /v1/policies stores them (server-managed fields stripped). */
function policyChanges(seed: number) {
  const bench = generateConfig(POLICIES, seed);
  const changes = bench.config.policies.map((policy) => {
    const { version: _version, ...doc } = policy;
    return { op: 'create' as const, kind: 'policy' as const, name: policy.name, doc: { ...doc, enforcementModeChange: null } };
  });
  return { bench, changes };
}

// ---------------------------------------------------------------------------------------------
// 1. In-process latency

function webhookEvent(pod: BenchPod, secrets: ReadonlyMap<string, string>, review: unknown): APIGatewayProxyEventV2 {
  return apiGatewayEvent({
    method: 'POST',
    route: '/v1/admission/{cluster}/{secret}',
    pathParameters: { cluster: pod.cluster, secret: secrets.get(pod.cluster)! },
    query: { timeout: TIMEOUT },
    body: review,
  });
}

interface Verdict {
  readonly allowed: boolean;
}

function verdictOf(result: APIGatewayProxyStructuredResultV2): Verdict {
  const body = expectStatus(result, 200, 'admission review');
  if (typeof body.response?.allowed !== 'boolean') throw new Error(`admission review: no verdict in ${String(result.body).slice(0, 300)}`);
  return { allowed: body.response.allowed as boolean };
}

interface InProcessResult extends LatencySummary {
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

async function measureInProcess(
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

/** Sends every pod's CREATE once (16 at a time), as the API server would have before anyone execs into them. */
async function learnPods(handler: HttpHandler, pods: readonly BenchPod[], secrets: ReadonlyMap<string, string>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pods.length) {
      const pod = pods[next++]!;
      verdictOf(await handler(webhookEvent(pod, secrets, reviewFor('create', pod, randomUUID())), lambdaContext('vigil-admission')));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

// ---------------------------------------------------------------------------------------------
// 2. HTTP end to end

function loadRequests(pods: readonly BenchPod[], secrets: ReadonlyMap<string, string>, dryRun: boolean): LoadRequest[] {
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
function startLoadClient(): ChildProcess {
  const script = fileURLToPath(new URL('../http-load.ts', import.meta.url));
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

interface HttpPhase extends Omit<LoadResult, 'type'> {
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

async function httpPhase(
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

// ---------------------------------------------------------------------------------------------
// 3. Bundles

/**
 * The minimal Lambda the cold start is compared with: one GetItem, of the item the webhook reads first (the
 * revision), through DynamoDB clients built exactly as the webhook builds them (createDynamoClients: same
 * credentials, timeouts and document client), bundled with the same settings.
 */
const BASELINE_SOURCE = `
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { runtimeConfigFromEnv } from './functions/shared/runtime-config.js';
import { createDynamoClients } from './functions/shared/storage/client.js';
import { configKeys } from './functions/shared/storage/tables.js';
const config = runtimeConfigFromEnv();
const { document } = createDynamoClients({ endpoint: config.dynamodbEndpoint, region: config.region });
export const handler = async () => {
  const out = await document.send(new GetCommand({ TableName: config.tablePrefix + 'config', Key: { ...configKeys.meta }, ConsistentRead: true }));
  return { statusCode: 200, body: JSON.stringify({ revision: out.Item?.revision ?? null }) };
};
`;

/**
 * Runs in a fresh node process: imports the bundle, invokes its handler once with the event, prints the
 * milliseconds since the process started (performance.timeOrigin) at each step, the process's CPU time and
 * any performance marks the bundle set (the cold-start probe sets them).
 */
const RUNNER_SOURCE = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const runnerStartedMs = performance.now();
const { handler } = await import(pathToFileURL(process.argv[2]).href);
const importedMs = performance.now();
const event = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const context = { functionName: 'cold', awsRequestId: 'cold-start', getRemainingTimeInMillis: () => 10000, callbackWaitsForEmptyEventLoop: true };
const result = await handler(event, context);
const verdictMs = performance.now();
const cpu = process.cpuUsage();
const marks = performance.getEntriesByType('mark').map((mark) => [mark.name, mark.startTime]);
process.stdout.write('\\n@@cold ' + JSON.stringify({ runnerStartedMs, importedMs, verdictMs, cpuMs: (cpu.user + cpu.system) / 1000, marks, statusCode: result.statusCode, body: String(result.body).slice(0, 400) }) + '\\n');
process.exit(0);
`;

interface ColdRun {
  readonly runnerStartedMs: number;
  readonly importedMs: number;
  readonly verdictMs: number;
  /** CPU time of the process (all threads) until the verdict: less sensitive than wall time to other load. */
  readonly cpuMs: number;
  readonly marks: ReadonlyArray<readonly [string, number]>;
  readonly statusCode: number;
  readonly body: string;
}

async function coldRun(runner: string, bundlePath: string, eventPath: string, env: Record<string, string>): Promise<ColdRun> {
  const { code, stdout, stderr } = await runNode([runner, bundlePath, eventPath], env);
  const line = stdout.split('\n').find((l) => l.startsWith('@@cold '));
  if (code !== 0 || !line)
    throw new Error(`cold start of ${bundlePath} failed (status ${String(code)}): ${stderr.slice(-800)} ${stdout.slice(-400)}`);
  return JSON.parse(line.slice('@@cold '.length)) as ColdRun;
}

interface ColdSummary {
  readonly runs: number;
  readonly verdictMsMedian: number;
  readonly verdictMsMin: number;
  readonly verdictMsMax: number;
  /** Until the runner's first line: Node's own start. */
  readonly nodeStartMsMedian: number;
  /** Loading and evaluating the bundle (and the SDK it imports), including the handler's module-level setup. */
  readonly importMsMedian: number;
  /** The first invocation: DynamoDB calls, configuration load and compile, decision. */
  readonly firstInvocationMsMedian: number;
  readonly cpuMsMedian: number;
  readonly sampleAnswer: string;
}

function coldSummary(runs: readonly ColdRun[]): ColdSummary {
  const verdicts = runs.map((r) => r.verdictMs);
  return {
    runs: runs.length,
    verdictMsMedian: round1(median(verdicts)),
    verdictMsMin: round1(Math.min(...verdicts)),
    verdictMsMax: round1(Math.max(...verdicts)),
    nodeStartMsMedian: round1(median(runs.map((r) => r.runnerStartedMs))),
    importMsMedian: round1(median(runs.map((r) => r.importedMs - r.runnerStartedMs))),
    firstInvocationMsMedian: round1(median(runs.map((r) => r.verdictMs - r.importedMs))),
    cpuMsMedian: round1(median(runs.map((r) => r.cpuMs))),
    sampleAnswer: runs[0]?.body ?? '',
  };
}

/**
 * Where one cold start of the probe (bench/cold-start-probe.ts) spent its time, phase by phase in process
 * order (ms; the phases add up to the time to the verdict). The path is the measured one: an exec into a
 * learned pod, configuration from the stored decision snapshot, one audit event written.
 */
function coldPhases(run: ColdRun): Record<string, number> {
  /** The last mark of that name at or before `before`. */
  const at = (name: string, before = Number.POSITIVE_INFINITY): number => {
    const found = run.marks.filter(([mark, ms]) => mark === name && ms <= before).at(-1);
    if (!found) throw new Error(`cold-start probe: no mark "${name}" (marks: ${run.marks.map(([mark]) => mark).join(', ')})`);
    return found[1];
  };
  const snapshotEnd = at('snapshot:end');
  const queryEnd = at('QueryCommand:end', snapshotEnd);
  const podStart = at('pod:start');
  const podEnd = at('pod:end');
  return {
    nodeStart: run.runnerStartedMs,
    moduleEvaluation: at('imported') - run.runnerStartedMs,
    runtimeConstruction: at('runtime') - at('imported'),
    untilInvocation: at('invoked') - at('runtime'),
    reviewDecoding: at('revision:start') - at('invoked'),
    configurationReads: queryEnd - at('revision:start'),
    snapshotDecoding: snapshotEnd - queryEnd,
    compileAndAuthentication: podStart - snapshotEnd,
    podLookup: podEnd - podStart,
    decisionAndAuditWrite: run.verdictMs - podEnd,
    // Inside the phases above: the two reads on their own, and the audit write.
    revisionRead: at('revision:end') - at('revision:start'),
    snapshotQuery: queryEnd - at('snapshot:start'),
    auditWrite: at('audit:end') - at('audit:start'),
  };
}

/** The median of every phase over the runs. */
function coldBreakdown(runs: readonly ColdRun[]): Record<string, number> {
  const phases = runs.map(coldPhases);
  return Object.fromEntries(Object.keys(phases[0] ?? {}).map((name) => [name, round1(median(phases.map((p) => p[name]!)))]));
}

/** Items per BatchWriteItem call: DynamoDB's maximum, as the webhook's batches use it. */
const BATCH_ITEMS = 25;

/** How fast DynamoDB Local stores audit items of the webhook's shape, `writers` BatchWriteItem calls in flight. */
async function auditWriteCapacity(
  m: Modules,
  document: DynamoDBDocumentClient,
  tableName: string,
  ms: number,
  writers: number,
): Promise<{ writers: number; itemsPerSecond: number; callP50Ms: number; calls: number }> {
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
    calls: durations.length,
  };
}

/** Removes every stored decision snapshot of a config table, as if its configuration had just changed. */
async function removeDecisionSnapshots(document: DynamoDBDocumentClient, tableName: string): Promise<void> {
  const { QueryCommand, BatchWriteCommand } = await import('@aws-sdk/lib-dynamodb');
  const output = await document.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'DECISION' },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
    }),
  );
  const keys = output.Items ?? [];
  if (keys.length > 0)
    await document.send(
      new BatchWriteCommand({ RequestItems: { [tableName]: keys.map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } })) } }),
    );
}

// ---------------------------------------------------------------------------------------------

async function run(context: SuiteContext): Promise<Record<string, unknown>> {
  const { log, quick, seed } = context;
  const p = plan(quick);
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const scratch = scratchRoot();
  const workDir = await mkdtemp(join(scratch.root, 'vigil-bench-admission-'));
  const destroyers: Array<() => void> = [];
  let local: Awaited<ReturnType<Modules['startDynamoDbLocal']>> | undefined;
  let server: Awaited<ReturnType<Modules['createLocalServer']>> | undefined;
  let loadClient: ChildProcess | undefined;
  try {
    // -- 3. bundles (no storage needed) ------------------------------------------------------------
    // Every bundle is made as the stack makes it (bench/lambda-bundle.ts, infra/lambda-bundling.ts).
    log('admission: bundling as the stack does');
    const bundleDir = join(workDir, 'bundles');
    const bundles = {
      admission: await bundleLambda(functionEntries.admission, join(bundleDir, 'admission', 'index.mjs')),
      admissionSdkExternal: await bundleLambda(functionEntries.admission, join(bundleDir, 'admission-sdk-external', 'index.mjs'), {
        external: ['@aws-sdk/*'],
      }),
      baseline: await bundleLambda({ name: 'baseline', source: BASELINE_SOURCE }, join(bundleDir, 'baseline', 'index.mjs')),
      coldStartProbe: await bundleLambda('bench/cold-start-probe.ts', join(bundleDir, 'cold-start-probe', 'index.mjs')),
    };
    // The SDK-external diagnostic resolves `@aws-sdk/*` from here, standing in for the Lambda runtime's copy.
    await symlink(join(repoRoot, 'node_modules'), join(bundleDir, 'node_modules'), 'dir');
    for (const [name, b] of Object.entries(bundles))
      log(
        `admission: bundle ${name.padEnd(20)} ${b.bytes.toLocaleString('en-US').padStart(10)} bytes  ${b.gzipBytes.toLocaleString('en-US').padStart(9)} gzip`,
      );

    // -- storage and configuration ----------------------------------------------------------------
    const m = await loadModules();
    log('admission: starting DynamoDB Local');
    let started = performance.now();
    local = await m.startDynamoDbLocal({
      dataDir: join(workDir, 'data'),
      startTimeoutMs: 60_000,
      onUnexpectedExit: (error) => log(`admission: ${error.message}`),
    });
    const dynamodbStartMs = performance.now() - started;
    const endpoint = local.endpoint;
    const adminToken = randomBytes(24).toString('base64url');

    started = performance.now();
    const setupClients = m.createDynamoClients({ endpoint });
    destroyers.push(() => setupClients.client.destroy());
    // The tables as `npm start` makes them (its audit table has no stream).
    await m.ensureTables(setupClients.client, TABLE_PREFIX, m.localTableOptions);
    await m.ensureTables(setupClients.client, SMALL_TABLE_PREFIX, m.localTableOptions);
    const tablesMs = performance.now() - started;

    const setup = meteredRuntime(m, endpoint, TABLE_PREFIX, adminToken, 'https://vigil.example');
    destroyers.push(setup.destroy);
    await m.bootstrap(setup.runtime);
    const secrets = await registerClusters(m.createApiHandler(setup.runtime), adminToken, CLUSTERS);
    log(`admission: storing ${POLICIES} policies`);
    started = performance.now();
    const { bench, changes } = policyChanges(seed);
    await setup.runtime.configStore.apply(changes, ACTOR);
    const storePoliciesMs = performance.now() - started;
    const pods = benchPods(bench, PODS);

    // -- 1. in-process --------------------------------------------------------------------------------
    const inProcessRuntime = meteredRuntime(m, endpoint, TABLE_PREFIX, adminToken);
    destroyers.push(inProcessRuntime.destroy);
    const inProcessHandler = m.createAdmissionHandler(inProcessRuntime.runtime);
    // Learn every pod once, as the API server's pod CREATEs would have taught the webhook.
    started = performance.now();
    await learnPods(inProcessHandler, pods, secrets);
    const learnPodsMs = performance.now() - started;
    const inProcess: Record<string, Record<string, InProcessResult>> = {};
    for (const kind of reviewKinds) {
      inProcess[kind] = {};
      for (const dryRun of [true, false]) {
        const variant = dryRun ? 'dryRun' : 'recorded';
        const { warmup, samples, maxMs } = dryRun
          ? { warmup: p.inProcess.dryRunWarmup, samples: p.inProcess.dryRunSamples, maxMs: Number.POSITIVE_INFINITY }
          : p.inProcess;
        const result = await measureInProcess(
          inProcessHandler,
          inProcessRuntime.meter,
          pods,
          secrets,
          kind,
          dryRun,
          warmup,
          samples,
          maxMs,
        );
        inProcess[kind][variant] = result;
        log(
          `admission: in-process ${kind.padEnd(6)} ${variant.padEnd(8)} p50 ${result.p50Us.toFixed(0).padStart(6)} us  p99 ${result.p99Us.toFixed(0).padStart(6)} us  mean ${result.meanUs.toFixed(0).padStart(6)} us  storage calls on ${(result.withStorageCallShare * 100).toFixed(1)} % of reviews`,
        );
      }
    }

    // -- 2. HTTP end to end -------------------------------------------------------------------------
    log('admission: starting the local HTTP server and the load generator');
    const serving = meteredRuntime(m, endpoint, TABLE_PREFIX, adminToken);
    destroyers.push(serving.destroy);
    server = await m.createLocalServer({ host: '127.0.0.1', port: 0 });
    const servingHandler = m.createAdmissionHandler(serving.runtime);
    server.setHandlers({ api: m.createApiHandler(serving.runtime), admission: servingHandler });
    // This instance learns every pod once too (its pod cache is its own), before any load.
    await learnPods(servingHandler, pods, secrets);
    loadClient = startLoadClient();
    const job = (durationMs: number, dryRun: boolean): LoadJob => ({
      type: 'run',
      baseUrl: server!.url,
      requests: loadRequests(pods, secrets, dryRun),
      concurrency: CONCURRENCY,
      durationMs,
    });
    log(`admission: HTTP warm-up ${p.http.warmupMs / 1000} s`);
    const warmup = await httpPhase(loadClient, job(p.http.warmupMs, false), serving.meter, serving.logs);
    log(`admission: HTTP load: concurrency ${CONCURRENCY} for ${p.http.measureMs / 1000} s`);
    const http = await httpPhase(loadClient, job(p.http.measureMs, false), serving.meter, serving.logs);
    log(
      `admission: HTTP ${http.requestsPerSecond} req/s  p50 ${http.latencyMs.p50} ms  p99 ${http.latencyMs.p99} ms  errors ${http.errors}  reads/request ${http.dynamoReadsPerRequest}  writes/request ${http.dynamoWritesPerRequest}`,
    );
    log(`admission: HTTP diagnostic: dry-run reviews (no writes) for ${p.http.dryRunMs / 1000} s`);
    const httpDryRun = await httpPhase(loadClient, job(p.http.dryRunMs, true), serving.meter, serving.logs);
    log(
      `admission: HTTP dry-run ${httpDryRun.requestsPerSecond} req/s  p50 ${httpDryRun.latencyMs.p50} ms  p99 ${httpDryRun.latencyMs.p99} ms`,
    );
    loadClient.send({ type: 'exit' });
    await server.close();
    server = undefined;
    log(
      `admission: DynamoDB Local write capacity for audit items: BatchWriteItem calls of ${BATCH_ITEMS}, 1 and ${m.auditWriteCalls} in flight, ${p.http.writeCapacityMs / 1000} s each`,
    );
    const capacityOneCall = await auditWriteCapacity(m, setupClients.document, `${TABLE_PREFIX}audit`, p.http.writeCapacityMs, 1);
    const capacity = await auditWriteCapacity(m, setupClients.document, `${TABLE_PREFIX}audit`, p.http.writeCapacityMs, m.auditWriteCalls);
    const bestItemsPerSecond = Math.max(capacity.itemsPerSecond, capacityOneCall.itemsPerSecond);
    const writeBound = http.dynamoItemsWrittenPerRequest > 0 ? Math.round(bestItemsPerSecond / http.dynamoItemsWrittenPerRequest) : null;
    log(
      `admission: ${capacityOneCall.itemsPerSecond} items/s with 1 call in flight, ${capacity.itemsPerSecond} with ${m.auditWriteCalls}; at ${http.dynamoItemsWrittenPerRequest} items per recorded request that allows at most ${writeBound ?? '(no writes)'} req/s (goal ${GOALS.httpRequestsPerSecondMin})`,
    );

    // -- 4. cold start ------------------------------------------------------------------------------
    log('admission: preparing cold starts');
    const small = meteredRuntime(m, endpoint, SMALL_TABLE_PREFIX, adminToken, 'https://vigil.example');
    destroyers.push(small.destroy);
    await m.bootstrap(small.runtime);
    const smallSecrets = await registerClusters(m.createApiHandler(small.runtime), adminToken, [CLUSTERS[0]]);
    await small.runtime.configStore.apply(
      [
        {
          op: 'create',
          kind: 'policy',
          name: 'exec-guard',
          doc: {
            name: 'exec-guard',
            type: 'container',
            enforcementMode: 'enforce',
            scope: { applicationScopes: ['Global'] },
            controls: { blockContainerExec: { enabled: true } },
          },
        },
      ],
      ACTOR,
    );

    const coldDir = join(workDir, 'bundles');
    const runner = join(coldDir, 'runner.mjs');
    await writeFile(runner, RUNNER_SOURCE);
    // An exec into a pod the webhook learned earlier (its pod item exists), in the first cluster.
    const target = pods.find((pod) => pod.cluster === CLUSTERS[0]) ?? { ...pods[0]!, cluster: CLUSTERS[0] };
    await learnPods(m.createAdmissionHandler(small.runtime), [target], smallSecrets);
    const events = {
      large: join(coldDir, 'event-large.json'),
      small: join(coldDir, 'event-small.json'),
      baseline: join(coldDir, 'event-baseline.json'),
    };
    await writeFile(events.large, JSON.stringify(webhookEvent(target, secrets, reviewFor('exec', target, randomUUID()))));
    await writeFile(events.small, JSON.stringify(webhookEvent(target, smallSecrets, reviewFor('exec', target, randomUUID()))));
    await writeFile(events.baseline, JSON.stringify(apiGatewayEvent({ method: 'GET', route: '/v1/health' })));
    // What Lambda gives a deployed function (the stack's NODE_OPTIONS, region, the role's credentials), with
    // the SDK's own endpoint setting pointing at DynamoDB Local: the clients are built as they are in AWS.
    const env = (prefix: string): Record<string, string> => ({
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: lambdaNodeOptions,
      VIGIL_TABLE_PREFIX: prefix,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    const variants = {
      admission: { bundle: join(bundleDir, 'admission', 'index.mjs'), event: events.large, env: env(TABLE_PREFIX) },
      baseline: { bundle: join(bundleDir, 'baseline', 'index.mjs'), event: events.baseline, env: env(TABLE_PREFIX) },
      admissionSmallConfig: { bundle: join(bundleDir, 'admission', 'index.mjs'), event: events.small, env: env(SMALL_TABLE_PREFIX) },
      admissionSdkExternal: { bundle: join(bundleDir, 'admission-sdk-external', 'index.mjs'), event: events.large, env: env(TABLE_PREFIX) },
      admissionWithoutSnapshot: { bundle: join(bundleDir, 'admission', 'index.mjs'), event: events.large, env: env(TABLE_PREFIX) },
      coldStartProbe: { bundle: join(bundleDir, 'cold-start-probe', 'index.mjs'), event: events.large, env: env(TABLE_PREFIX) },
    };
    const diagnostics = new Set<keyof typeof variants>([
      'admissionSmallConfig',
      'admissionSdkExternal',
      'admissionWithoutSnapshot',
      'coldStartProbe',
    ]);
    const coldRuns: Record<keyof typeof variants, ColdRun[]> = {
      admission: [],
      baseline: [],
      admissionSmallConfig: [],
      admissionSdkExternal: [],
      admissionWithoutSnapshot: [],
      coldStartProbe: [],
    };
    log(`admission: cold starts: ${p.coldStartRuns} rounds of fresh node processes`);
    // One process at a time, variants interleaved, so that drift affects all alike, in reverse order every
    // other round so that none always follows the same one; one unrecorded round first. The diagnostic
    // variants run every third round only.
    const inOrder = Object.entries(variants) as Array<[keyof typeof variants, (typeof variants)[keyof typeof variants]]>;
    for (let round = -1; round < p.coldStartRuns; round++) {
      for (const [name, variant] of round % 2 === 0 ? inOrder : [...inOrder].reverse()) {
        if (round % 3 !== 0 && diagnostics.has(name)) continue;
        // The first instance after a configuration change: no decision snapshot of the revision yet (it stores one).
        if (name === 'admissionWithoutSnapshot') await removeDecisionSnapshots(setupClients.document, `${TABLE_PREFIX}config`);
        const result = await coldRun(runner, variant.bundle, variant.event, variant.env);
        if (result.statusCode !== 200) throw new Error(`cold start ${name}: HTTP ${result.statusCode}: ${result.body}`);
        if (round >= 0) coldRuns[name].push(result);
      }
    }
    const cold = Object.fromEntries(Object.entries(coldRuns).map(([name, runs]) => [name, coldSummary(runs)])) as Record<
      keyof typeof variants,
      ColdSummary
    >;
    const coldRatio = ratio(cold.admission.verdictMsMedian, cold.baseline.verdictMsMedian);
    const breakdown = coldBreakdown(coldRuns.coldStartProbe);
    log(
      `admission: cold start to verdict (median): admission ${cold.admission.verdictMsMedian} ms, baseline ${cold.baseline.verdictMsMedian} ms (ratio ${coldRatio}); small config ${cold.admissionSmallConfig.verdictMsMedian} ms; SDK external ${cold.admissionSdkExternal.verdictMsMedian} ms; without a stored snapshot ${cold.admissionWithoutSnapshot.verdictMsMedian} ms`,
    );
    log(
      `admission: cold start breakdown (probe, ms): ${Object.entries(breakdown)
        .map(([phase, ms]) => `${phase} ${ms}`)
        .join(', ')}`,
    );

    // -- goals ---------------------------------------------------------------------------------------
    const inProcessP99 = Object.fromEntries(reviewKinds.map((kind) => [kind, inProcess[kind]!.recorded!.p99Us])) as Record<
      ReviewKind,
      number
    >;
    const worstInProcess = Math.max(...Object.values(inProcessP99));
    const goals = {
      inProcessP99: {
        description: `in-process handler latency per review with ${POLICIES} policies, p99 over single calls (recorded reviews: pod learning and audit writes included); the worst review kind counts`,
        target: `<= ${GOALS.inProcessP99UsMax} us`,
        measured: inProcessP99,
        dryRunP99Us: Object.fromEntries(reviewKinds.map((kind) => [kind, inProcess[kind]!.dryRun!.p99Us])),
        value: worstInProcess,
        pass: worstInProcess <= GOALS.inProcessP99UsMax,
      },
      httpRequestsPerSecond: {
        description: `local HTTP end to end, concurrency ${CONCURRENCY}, ${p.http.measureMs / 1000} s`,
        target: `>= ${GOALS.httpRequestsPerSecondMin}`,
        value: http.requestsPerSecond,
        pass: http.requestsPerSecond >= GOALS.httpRequestsPerSecondMin,
        // Recorded reviews wait for their audit events: DynamoDB Local's write rate caps them (http.writeCapacityDiagnostic).
        dynamoDbLocalWriteBoundRequestsPerSecond: writeBound,
        dryRunRequestsPerSecond: httpDryRun.requestsPerSecond,
      },
      httpP99: {
        description: 'local HTTP end to end, p99 latency (ms) seen by the load generator',
        target: `<= ${GOALS.httpP99MsMax} ms`,
        value: http.latencyMs.p99,
        pass: http.latencyMs.p99 <= GOALS.httpP99MsMax,
        // A closed loop of CONCURRENCY clients has mean latency CONCURRENCY / throughput (Little's law).
        meanLatencyAtWriteBoundMs: writeBound ? round1((CONCURRENCY / writeBound) * 1000) : null,
        dryRunP99Ms: httpDryRun.latencyMs.p99,
      },
      dynamoReadsPerRequest: {
        description: 'DynamoDB read calls (GetItem, Query, BatchGetItem, Scan) of the serving runtime per request during the HTTP load',
        target: `<= ${GOALS.dynamoReadsPerRequestMax}`,
        value: http.dynamoReadsPerRequest,
        pass: http.dynamoReadsPerRequest <= GOALS.dynamoReadsPerRequestMax,
      },
      admissionBundleBytes: {
        description:
          'functions/admission/index.ts as the CDK stack bundles and deploys it (infra/lambda-bundling.ts: ESM, minified, the AWS SDK inside)',
        target: `<= ${GOALS.admissionBundleBytesMax} bytes (400 KB)`,
        value: bundles.admission.bytes,
        pass: bundles.admission.bytes <= GOALS.admissionBundleBytesMax,
      },
      coldStartRatio: {
        description: `median time from process start to the first verdict, admission bundle (${POLICIES} policies stored) divided by the minimal one-GetItem bundle; both bundled as deployed, fresh processes, interleaved, the same number of runs`,
        target: `<= ${GOALS.coldStartRatioMax}`,
        value: coldRatio,
        pass: coldRatio <= GOALS.coldStartRatioMax,
      },
    };
    log(
      `admission: goals: ${Object.entries(goals)
        .map(([name, g]) => `${name} ${g.pass ? 'pass' : 'FAIL'}`)
        .join(', ')}`,
    );

    return {
      description: `Admission webhook hot path with ${POLICIES} policies: in-process handler latency, local HTTP end to end under load, bundle size and cold start.`,
      parameters: {
        seed,
        quick,
        policies: POLICIES,
        pods: PODS,
        clusters: CLUSTERS.length,
        group: `${GROUP} (kube_enforcer, enforce: true, failMode: open)`,
        apiServerTimeout: TIMEOUT,
        reviews:
          'exec (CONNECT pods/exec, mostly `sh`) and create (pod CREATE, app + sidecar) built from test/fixtures/admission, uid/namespace/pod name/labels/images varied per pod; 70 % of pods sit where scoped policies point',
        inProcess: p.inProcess,
        http: {
          ...p.http,
          concurrency: CONCURRENCY,
          distinctBodies: LOAD_BODIES,
          client: 'closed loop, node:http keep-alive agent, in a child process; 127.0.0.1 only',
          order: "every pod is created, then exec'd into, in turn",
        },
        coldStartRuns: p.coldStartRuns,
        configRecheckMs: 'default (1000)',
        dynamodb: `DynamoDB Local (-sharedDb) on 127.0.0.1, database in a fresh ${scratch.ramBacked ? 'RAM-backed' : 'disk-backed'} temporary directory, removed afterwards`,
      },
      setup: {
        dynamodbLocalStartMs: Math.round(dynamodbStartMs),
        ensureTablesMs: Math.round(tablesMs),
        storePoliciesMs: Math.round(storePoliciesMs),
        learnPodsMs: Math.round(learnPodsMs),
      },
      inProcess: {
        description:
          'µs per review, single sequential calls of the Lambda handler with payload 2.0 events on DynamoDB Local. recorded: as the API server sends them (pod CREATEs write the pod record; violations write audit events; one call per second re-reads the revision). dryRun: the same reviews with dryRun: true, which write nothing (decision cost only).',
        ...inProcess,
      },
      http: {
        description: 'load generator (child process) → local HTTP adapter → admission handler → DynamoDB Local, all on this machine',
        warmup: { requests: warmup.requests, requestsPerSecond: warmup.requestsPerSecond, errors: warmup.errors },
        measured: http,
        dryRunDiagnostic: {
          description: 'the same load with dryRun: true reviews: no pod or audit writes; shows what storage writes cost under load',
          ...httpDryRun,
        },
        writeCapacityDiagnostic: {
          description: `DynamoDB Local alone, after the load: audit-table items (table as \`npm start\` makes it, no stream) written per second by BatchWriteItem calls of ${BATCH_ITEMS} items of the webhook's shape, with 1 and with ${m.auditWriteCalls} calls in flight (the webhook's group commit keeps up to ${m.auditWriteCalls} when a write carries more than ${BATCH_ITEMS} events), and the request rate the better of the two allows at the measured items per recorded request. Recorded reviews cannot go faster than that bound, whatever the handler costs.`,
          ...capacity,
          oneCallInFlight: capacityOneCall,
          itemsWrittenPerRecordedRequest: http.dynamoItemsWrittenPerRequest,
          recordedRequestsPerSecondBound: writeBound,
        },
      },
      bundles: {
        description: `esbuild ${(await import('esbuild')).version} with the stack's settings (infra/lambda-bundling.ts: bundle, minify, ESM, target ${lambdaTarget}, module before main, the default credential chain replaced by the environment provider); byPackage sums bytesInOutput per package of the metafile`,
        admission: withoutInputs(bundles.admission),
        admissionSdkExternal: {
          ...withoutInputs(bundles.admissionSdkExternal),
          note: "the function's own code: @aws-sdk/* left out, as if the Lambda runtime provided it (the stack bundles it, docs/adr/0006)",
        },
        baseline: { bytes: bundles.baseline.bytes, gzipBytes: bundles.baseline.gzipBytes },
        coldStartProbe: { bytes: bundles.coldStartProbe.bytes },
      },
      cold: {
        description:
          'fresh `node` per run: import the bundle, invoke the handler once with a real event against DynamoDB Local; ms from process start (performance.timeOrigin) to the verdict. Every process gets the NODE_OPTIONS the stack sets and finds DynamoDB Local through AWS_ENDPOINT_URL_DYNAMODB, so the clients are built as in AWS. Every variant but admissionSdkExternal is bundled as deployed; that one resolves @aws-sdk/* from the repository node_modules (a symlink next to the bundles), standing in for the SDK the Lambda runtime provides.',
        node: process.version,
        ...cold,
        breakdown: {
          description:
            'medians over the coldStartProbe runs (bench/cold-start-probe.ts: the admission entry point with performance marks), ms. Phases in process order, adding up to the verdict: nodeStart, moduleEvaluation (the bundle, SDK included), runtimeConstruction (clients, stores, logger), untilInvocation (the runner reads the event), reviewDecoding, configurationReads (the revision GetItem, then the decision snapshot Query), snapshotDecoding (gunzip, JSON.parse, shape check), compileAndAuthentication (compileSnapshot of the document, then the secret check), podLookup (GetItem), decisionAndAuditWrite. revisionRead, snapshotQuery and auditWrite are parts of those phases.',
          runs: coldRuns.coldStartProbe.length,
          ms: breakdown,
        },
        ratios: {
          admissionOverBaseline: coldRatio,
          admissionSmallConfigOverBaseline: ratio(cold.admissionSmallConfig.verdictMsMedian, cold.baseline.verdictMsMedian),
          admissionSdkExternalOverBaseline: ratio(cold.admissionSdkExternal.verdictMsMedian, cold.baseline.verdictMsMedian),
          admissionWithoutSnapshotOverBaseline: ratio(cold.admissionWithoutSnapshot.verdictMsMedian, cold.baseline.verdictMsMedian),
          admissionCpuOverBaseline: ratio(cold.admission.cpuMsMedian, cold.baseline.cpuMsMedian),
        },
      },
      goals,
      allGoalsPass: Object.values(goals).every((g) => g.pass),
    };
  } finally {
    if (loadClient && loadClient.exitCode === null) loadClient.kill();
    await server?.close();
    for (const destroy of destroyers) destroy();
    if (local) {
      log('admission: stopping DynamoDB Local');
      await local.stop();
    }
    await rm(workDir, { recursive: true, force: true });
  }
}

export const admissionSuite: BenchSuite = {
  name: 'admission',
  description: 'Admission webhook with 1,000 policies: in-process latency, local HTTP load, bundle size, cold start vs one GetItem.',
  run,
};
