import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lambdaNodeOptions } from '../../../infra/lambda-bundling.js';
import { apiGatewayEvent } from '../../api-event.js';
import { runNode } from '../../node-process.js';
import type { WebhookRuntime } from '../../../functions/admission/runtime.js';
import type { Modules } from './modules.js';
import { benchPods, reviewFor, type BenchPod } from '../../admission-reviews.js';
import {
  ACTOR,
  CLUSTERS,
  LARGE_POLICIES,
  LARGE_TABLE_PREFIX,
  median,
  PODS,
  ratio,
  round1,
  SMALL_TABLE_PREFIX,
  TABLE_PREFIX,
} from './plan.js';
import { learnPods, policyChanges, registerClusters, webhookEvent } from './scenario.js';
import { meteredRuntime } from './storage-meter.js';

// Driver 4: cold starts, a fresh node process per run against a minimal one-GetItem baseline.

/**
 * The minimal Lambda the cold start is compared with: one GetItem, of the item the webhook reads first (the
 * revision), through DynamoDB clients built exactly as the webhook builds them (createDynamoClients: same
 * credentials, timeouts and document client), bundled with the same settings.
 */
export const BASELINE_SOURCE = `
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
  /** The last mark of that name at or before `before`, if any. */
  const maybeAt = (name: string, before = Number.POSITIVE_INFINITY): number | undefined =>
    run.marks.filter(([mark, ms]) => mark === name && ms <= before).at(-1)?.[1];
  const at = (name: string, before = Number.POSITIVE_INFINITY): number => {
    const found = maybeAt(name, before);
    if (found === undefined) throw new Error(`cold-start probe: no mark "${name}" (marks: ${run.marks.map(([mark]) => mark).join(', ')})`);
    return found;
  };
  // A cold instance reads the revision and the newest stored document in one BatchGetItem; only when that document
  // is not of the revision read does it read the revision's own parts afterwards (docs/adr/0005, 0021).
  const readStart = at('current:start');
  const currentEnd = at('current:end');
  const fallback = maybeAt('snapshot:start') !== undefined;
  const documentEnd = fallback ? at('snapshot:end') : currentEnd;
  const commandEnd = fallback ? at('QueryCommand:end', documentEnd) : at('BatchGetItemCommand:end', currentEnd);
  const podStart = at('pod:start');
  const podEnd = at('pod:end');
  return {
    nodeStart: run.runnerStartedMs,
    moduleEvaluation: at('imported') - run.runnerStartedMs,
    runtimeConstruction: at('runtime') - at('imported'),
    untilInvocation: at('invoked') - at('runtime'),
    reviewDecoding: readStart - at('invoked'),
    configurationReadsAndDecoding: documentEnd - readStart,
    // A cold instance checks the secret against the loaded document's clusters, starts the pod lookup, then
    // compiles while the lookup is in flight (the lookup's answer is read once the compile is done).
    authenticationCompileAndPodLookup: podEnd - documentEnd,
    decisionAndAuditWrite: run.verdictMs - podEnd,
    // Inside the phases above: the read (the BatchGetItem, and the revision's own parts after it when the newest
    // document was of another revision), the document's decoding, when the lookup started, the lookup and the
    // audit write.
    configurationRead: commandEnd - readStart,
    snapshotDecoding: documentEnd - commandEnd,
    untilPodLookupStart: podStart - documentEnd,
    podLookup: podEnd - podStart,
    auditWrite: at('audit:end') - at('audit:start'),
  };
}

/** The median of every phase over the runs. */
function coldBreakdown(runs: readonly ColdRun[]): Record<string, number> {
  const phases = runs.map(coldPhases);
  return Object.fromEntries(Object.keys(phases[0] ?? {}).map((name) => [name, round1(median(phases.map((p) => p[name]!)))]));
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

/** How long the first instance may take to store a decision snapshot (it reads every item first). */
const SNAPSHOT_STORED_WITHIN_MS = 180_000;

/**
 * Waits until the decision snapshot of the current revision is stored. The first instance's verdict may come
 * before it (by the fail mode, when reading every item takes longer than the review's storage budget on a
 * busy machine): the load goes on and stores it afterwards. Measuring before would time a different path.
 */
async function storedSnapshot(runtime: Pick<WebhookRuntime, 'configStore' | 'decisionSnapshots'>, label: string): Promise<void> {
  const revision = await runtime.configStore.revision();
  const deadline = Date.now() + SNAPSHOT_STORED_WITHIN_MS;
  while (!(await runtime.decisionSnapshots.load(revision))) {
    if (Date.now() > deadline)
      throw new Error(`the ${label} configuration's decision snapshot was not stored within ${SNAPSHOT_STORED_WITHIN_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** What the cold-start driver needs from the run: storage, the bundles it made and the pods the webhook learned. */
interface ColdStartInputs {
  readonly m: Modules;
  readonly endpoint: string;
  readonly adminToken: string;
  /** Where the bundles are; the runner and the events are written next to them. */
  readonly bundleDir: string;
  readonly pods: readonly BenchPod[];
  readonly secrets: ReadonlyMap<string, string>;
  /** The client the run set the tables up with, used to remove decision snapshots between rounds. */
  readonly configDocument: DynamoDBDocumentClient;
  readonly runs: number;
  /** The seed of the generated configurations (the larger one is generated here). */
  readonly seed: number;
  readonly log: (message: string) => void;
  /** Cleanup the run does at its end, whatever happens. */
  readonly destroyers: Array<() => void>;
}

/** The cold starts of every variant, summarised, with the admission/baseline ratio and the probe's breakdown by phase. */
export interface ColdStarts {
  readonly summaries: Readonly<Record<ColdVariant, ColdSummary>>;
  readonly probeRuns: number;
  readonly breakdown: Record<string, number>;
  /** Admission over baseline, medians of the time to the verdict: the goal. */
  readonly ratio: number;
  /** The same of the CPU time the processes used until the verdict, printed beside it. */
  readonly cpuRatio: number;
}

type ColdVariant =
  | 'admission'
  | 'baseline'
  | 'admissionLargeConfig'
  | 'admissionSmallConfig'
  | 'admissionSdkExternal'
  | 'admissionWithoutSnapshot'
  | 'coldStartProbe';

/**
 * Prepares a one-policy and a 10,000-policy configuration next to the measured one, then runs every variant
 * in fresh node processes.
 */
export async function measureColdStarts(input: ColdStartInputs): Promise<ColdStarts> {
  const { m, endpoint, adminToken, bundleDir, pods, secrets, configDocument, runs, seed, log, destroyers } = input;
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

  // The larger configuration: its own tables, one cluster, its decision snapshot stored by a first instance
  // (learning the target pod), as with the measured one.
  log(`admission: storing ${LARGE_POLICIES.toLocaleString('en-US')} policies for the larger cold start`);
  const large = meteredRuntime(m, endpoint, LARGE_TABLE_PREFIX, adminToken, 'https://vigil.example');
  destroyers.push(large.destroy);
  await m.bootstrap(large.runtime);
  const largeSecrets = await registerClusters(m.createApiHandler(large.runtime), adminToken, [CLUSTERS[0]]);
  const largeConfig = policyChanges(seed, LARGE_POLICIES);
  await large.runtime.configStore.apply(largeConfig.changes, ACTOR);
  const largeTarget = benchPods(largeConfig.bench, PODS).find((pod) => pod.cluster === CLUSTERS[0]);
  if (!largeTarget) throw new Error(`no generated pod in ${CLUSTERS[0]} for the ${LARGE_POLICIES}-policy cold start`);
  await learnPods(m.createAdmissionHandler(large.runtime), [largeTarget], largeSecrets);
  await storedSnapshot(large.runtime, `${LARGE_POLICIES}-policy`);

  const coldDir = bundleDir;
  const runner = join(coldDir, 'runner.mjs');
  await writeFile(runner, RUNNER_SOURCE);
  // An exec into a pod the webhook learned earlier (its pod item exists), in the first cluster.
  const target = pods.find((pod) => pod.cluster === CLUSTERS[0]) ?? { ...pods[0]!, cluster: CLUSTERS[0] };
  await learnPods(m.createAdmissionHandler(small.runtime), [target], smallSecrets);
  const events = {
    large: join(coldDir, 'event-large.json'),
    small: join(coldDir, 'event-small.json'),
    largeConfig: join(coldDir, 'event-large-config.json'),
    baseline: join(coldDir, 'event-baseline.json'),
  };
  await writeFile(events.large, JSON.stringify(webhookEvent(target, secrets, reviewFor('exec', target, randomUUID()))));
  await writeFile(events.small, JSON.stringify(webhookEvent(target, smallSecrets, reviewFor('exec', target, randomUUID()))));
  await writeFile(
    events.largeConfig,
    JSON.stringify(webhookEvent(largeTarget, largeSecrets, reviewFor('exec', largeTarget, randomUUID()))),
  );
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
    admissionLargeConfig: { bundle: join(bundleDir, 'admission', 'index.mjs'), event: events.largeConfig, env: env(LARGE_TABLE_PREFIX) },
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
    admissionLargeConfig: [],
    admissionSmallConfig: [],
    admissionSdkExternal: [],
    admissionWithoutSnapshot: [],
    coldStartProbe: [],
  };
  log(`admission: cold starts: ${runs} rounds of fresh node processes`);
  // One process at a time, variants interleaved, so that drift affects all alike, in reverse order every
  // other round so that none always follows the same one; one unrecorded round first. The diagnostic
  // variants run every third round only.
  const inOrder = Object.entries(variants) as Array<[keyof typeof variants, (typeof variants)[keyof typeof variants]]>;
  for (let round = -1; round < runs; round++) {
    for (const [name, variant] of round % 2 === 0 ? inOrder : [...inOrder].reverse()) {
      if (round % 3 !== 0 && diagnostics.has(name)) continue;
      // The first instance after a configuration change: no decision snapshot of the revision yet (it stores one).
      if (name === 'admissionWithoutSnapshot') await removeDecisionSnapshots(configDocument, `${TABLE_PREFIX}config`);
      const result = await coldRun(runner, variant.bundle, variant.event, variant.env);
      if (result.statusCode !== 200) throw new Error(`cold start ${name}: HTTP ${result.statusCode}: ${result.body}`);
      // A verdict by the fail mode means the configuration was not loaded within the review's storage budget.
      if (result.body.includes('could not be evaluated'))
        throw new Error(`cold start ${name}: no decision, the fail mode answered: ${result.body}`);
      if (round >= 0) coldRuns[name].push(result);
    }
  }
  const cold = Object.fromEntries(Object.entries(coldRuns).map(([name, runs]) => [name, coldSummary(runs)])) as Record<
    keyof typeof variants,
    ColdSummary
  >;
  const coldRatio = ratio(cold.admission.verdictMsMedian, cold.baseline.verdictMsMedian);
  const cpuRatio = ratio(cold.admission.cpuMsMedian, cold.baseline.cpuMsMedian);
  const breakdown = coldBreakdown(coldRuns.coldStartProbe);
  const { admissionLargeConfig: largeRun, baseline } = cold;
  log(
    `admission: cold start to verdict (median): admission ${cold.admission.verdictMsMedian} ms, baseline ${baseline.verdictMsMedian} ms: ratio ${coldRatio} (CPU time ${cold.admission.cpuMsMedian} / ${baseline.cpuMsMedian} ms: ratio ${cpuRatio})`,
  );
  log(
    `admission: cold start with ${LARGE_POLICIES.toLocaleString('en-US')} policies ${largeRun.verdictMsMedian} ms: ratio ${ratio(largeRun.verdictMsMedian, baseline.verdictMsMedian)} (CPU time ${largeRun.cpuMsMedian} ms: ratio ${ratio(largeRun.cpuMsMedian, baseline.cpuMsMedian)}); small config ${cold.admissionSmallConfig.verdictMsMedian} ms; SDK external ${cold.admissionSdkExternal.verdictMsMedian} ms; without a stored snapshot ${cold.admissionWithoutSnapshot.verdictMsMedian} ms`,
  );
  log(
    `admission: cold start breakdown (probe, ms): ${Object.entries(breakdown)
      .map(([phase, ms]) => `${phase} ${ms}`)
      .join(', ')}`,
  );
  return { summaries: cold, probeRuns: coldRuns.coldStartProbe.length, breakdown, ratio: coldRatio, cpuRatio };
}
