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
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { functionEntries } from '../../infra/lambda-bundling.js';
import { bundleLambda } from '../lambda-bundle.js';
import { benchPods, reviewKinds } from '../admission-reviews.js';
import { type LoadJob } from '../http-load.js';
import type { BenchSuite, SuiteContext } from '../suite.js';
import { scratchRoot } from '../scratch.js';
import {
  GOALS,
  POLICIES,
  PODS,
  CLUSTERS,
  TABLE_PREFIX,
  SMALL_TABLE_PREFIX,
  LARGE_TABLE_PREFIX,
  ACTOR,
  CONCURRENCY,
  plan,
} from './admission/plan.js';
import { loadModules, type Modules } from './admission/modules.js';
import { meteredRuntime } from './admission/storage-meter.js';
import { registerClusters, policyChanges, learnPods } from './admission/scenario.js';
import { type InProcessResult, measureInProcess } from './admission/in-process.js';
import { loadRequests, startLoadClient, httpPhase, phaseConditions } from './admission/http-driver.js';
import { BASELINE_SOURCE } from './admission/cold-start.js';
import { BATCH_ITEMS, auditWriteCapacity } from './admission/write-capacity.js';
import { measureColdStarts } from './admission/cold-start.js';
import { admissionReport } from './admission/report.js';

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
    await m.ensureTables(setupClients.client, LARGE_TABLE_PREFIX, m.localTableOptions);
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
    const warmup = await httpPhase(loadClient, job(p.http.warmupMs, false), serving.meter, serving.logs, local.pid);
    log(`admission: HTTP load: concurrency ${CONCURRENCY} for ${p.http.measureMs / 1000} s`);
    const http = await httpPhase(loadClient, job(p.http.measureMs, false), serving.meter, serving.logs, local.pid);
    // The write bound below stores these same events again (fresh ids): items of the shapes and sizes measured here.
    const writtenEvents = serving.meter.written.events();
    log(
      `admission: HTTP ${http.requestsPerSecond} req/s  p50 ${http.latencyMs.p50} ms  p99 ${http.latencyMs.p99} ms  errors ${http.errors}  reads/request ${http.dynamoReadsPerRequest}  writes/request ${http.dynamoWritesPerRequest}`,
    );
    log(`admission: HTTP diagnostic: dry-run reviews (no writes) for ${p.http.dryRunMs / 1000} s`);
    const httpDryRun = await httpPhase(loadClient, job(p.http.dryRunMs, true), serving.meter, serving.logs, local.pid);
    log(
      `admission: HTTP dry-run ${httpDryRun.requestsPerSecond} req/s  p50 ${httpDryRun.latencyMs.p50} ms  p99 ${httpDryRun.latencyMs.p99} ms`,
    );
    for (const [name, phase] of [
      ['recorded', http],
      ['dry-run', httpDryRun],
    ] as const)
      log(`admission: HTTP ${name} phase: ${phaseConditions(phase)}`);
    loadClient.send({ type: 'exit' });
    await server.close();
    server = undefined;
    log(
      `admission: DynamoDB Local write capacity for audit items: the recorded phase's events (${writtenEvents.length} sampled) written again as the webhook writes them, BatchWriteItem calls of ${BATCH_ITEMS}, 1 and ${m.auditWriteCalls} in flight, ${p.http.writeCapacityMs / 1000} s each`,
    );
    const storagePid = local.pid;
    const capacityWith = (writers: number) =>
      auditWriteCapacity(m, setupClients.document, `${TABLE_PREFIX}audit`, writtenEvents, p.http.writeCapacityMs, writers, storagePid);
    const capacityOneCall = await capacityWith(1);
    const capacity = await capacityWith(m.auditWriteCalls);
    const bestItemsPerSecond = Math.max(capacity.itemsPerSecond, capacityOneCall.itemsPerSecond);
    const writeBound = http.dynamoItemsWrittenPerRequest > 0 ? Math.round(bestItemsPerSecond / http.dynamoItemsWrittenPerRequest) : null;
    log(
      `admission: ${capacityOneCall.itemsPerSecond} items/s with 1 call in flight, ${capacity.itemsPerSecond} with ${m.auditWriteCalls} (items of ${capacity.itemBytesMean} bytes on average; DynamoDB Local's CPU ${capacity.storageCpuUsPerItem ?? '?'} us per item with ${m.auditWriteCalls} calls, ${http.storageCpuUsPerItem ?? '?'} in the recorded phase, which kept ${http.dynamoWritesInFlightMean} calls in flight on average); at ${http.dynamoItemsWrittenPerRequest} items per recorded request that allows at most ${writeBound ?? '(no writes)'} req/s; recorded reviews reached ${http.requestsPerSecond}, ${writeBound ? (http.requestsPerSecond / writeBound).toFixed(2) : '-'} of it (goal ${GOALS.recordedShareOfWriteBoundMin})`,
    );

    // -- 4. cold start ------------------------------------------------------------------------------
    const coldStarts = await measureColdStarts({
      m,
      endpoint,
      adminToken,
      bundleDir,
      pods,
      secrets,
      configDocument: setupClients.document,
      runs: p.coldStartRuns,
      seed,
      log,
      destroyers,
    });

    return await admissionReport(
      {
        seed,
        quick,
        plan: p,
        ramBacked: scratch.ramBacked,
        dynamodbStartMs,
        tablesMs,
        storePoliciesMs,
        learnPodsMs,
        inProcess,
        warmup,
        http,
        httpDryRun,
        capacity,
        capacityOneCall,
        writeBound,
        auditWriteCalls: m.auditWriteCalls,
        bundles,
        coldStarts,
      },
      log,
    );
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
