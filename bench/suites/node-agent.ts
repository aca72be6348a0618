/**
 * The Tetragon event forwarder (layers/node-agent) against local mode, in one run:
 *
 * 1. Throughput: a Tetragon export file of policy events of a Vigil object, forwarded by the `Forwarder` in this
 *    process to local mode running as its own process (`infra/local/main.ts`, real HTTP, real DynamoDB Local),
 *    from the first line read to the last event the enforcer API answered as stored (events/s). The storage's own
 *    bound is measured in the same run: transactions of conditional puts of the audit store's item shape, issued
 *    directly as one post makes them, and one conditional PutItem per event and unconditional batches to compare.
 * 2. Memory while the control plane is down: the real forwarder process (`layers/node-agent/main.ts forward`)
 *    catches up with a small file, local mode is stopped (its URL refuses connections), then a large file is
 *    appended; the forwarder's resident set size is sampled from /proc while it retries.
 *
 * Goals (bench/README.md): events/s at least 90 % of the storage bound of the same write shape (the absolute 5,000
 * events/s reported beside it), and RSS growth while down under a stated bound.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { nodePolicyObjectName, type AuditEvent } from '../../layers/core/index.js';
import { EnforcerClient } from '../../layers/node-agent/enforcer-client.js';
import { Forwarder } from '../../layers/node-agent/forwarder.js';
import { goal, goalsStatus, statusText } from '../goals.js';
import { machineInfo } from '../machine.js';
import { scratchRoot } from '../scratch.js';
import type { BenchSuite, SuiteContext } from '../suite.js';

export const GOALS = {
  /**
   * Events stored per second from the export file to the audit table over the rate the same write shape
   * (transactions of conditional puts) reaches on the same DynamoDB, measured in the same run.
   */
  eventsPerSecondOverStorageBoundMin: 0.9,
  /** The absolute figure, out of reach of DynamoDB Local on a small machine: reported beside the goal. */
  eventsPerSecondMin: 5_000,
  /** Growth of the forwarder's resident set while the control plane is down and the file keeps growing. */
  rssGrowthWhileDownMiBMax: 64,
} as const;

const CLUSTER = 'bench-eks';
const POLICY = 'bench-no-vi';
const NAMESPACE = 'shop';
/** Conditional PutItem calls in flight in the per-event comparison (what the store kept in flight before transactions). */
const STORE_PUTS_PER_POST = 16;
const STORE_PUTS_IN_FLIGHT = 32;
/** Conditional puts per TransactWriteItems call, and calls in flight: what one post of 500 events makes (the store's). */
const TRANSACTION_ITEMS = 100;
const TRANSACTIONS_PER_POST = 5;
/** BatchWriteItem calls in flight in the diagnostic (the webhook's AUDIT_WRITE_CALLS). */
const BATCH_WRITE_CALLS = 4;

interface Plan {
  /** Lines of the export file forwarded for the throughput figure. */
  readonly events: number;
  /** Lines forwarded before the clock starts: local mode's handlers and the JVM warm up on them. */
  readonly warmupEvents: number;
  /** How long each storage-bound variant writes per round. */
  readonly storageMs: number;
  /** Rounds of the conditional-put variants, alternating which goes first (JIT and drift fall on both). */
  readonly storageRounds: number;
  /** Lines the forwarder process catches up with before the control plane goes down. */
  readonly warmLines: number;
  /** Lines appended while the control plane is down. */
  readonly downLines: number;
  /** How long the forwarder's memory is watched while it is down. */
  readonly downWatchMs: number;
}

function plan(quick: boolean): Plan {
  return quick
    ? { events: 2_000, warmupEvents: 300, storageMs: 1_000, storageRounds: 1, warmLines: 300, downLines: 20_000, downWatchMs: 3_000 }
    : {
        events: 10_000,
        warmupEvents: 1_000,
        storageMs: 2_500,
        storageRounds: 4,
        warmLines: 1_000,
        downLines: 200_000,
        downWatchMs: 10_000,
      };
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const mib = (bytes: number) => round2(bytes / 2 ** 20);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A refused exec of /bin/vi in namespace shop, shaped like Tetragon's export (`process_lsm` of an Override
 * action), one distinct process per line so that every line is its own audit event.
 */
function exportLine(objectName: string, n: number, baseTime: number): string {
  return JSON.stringify({
    process_lsm: {
      process: {
        exec_id: `YmVuY2gtZXhlYy0${n}`,
        pid: 10_000 + (n % 50_000),
        uid: 0,
        cwd: '/',
        binary: '/bin/sh',
        arguments: `-c "vi /etc/passwd"`,
        flags: 'execve clone',
        start_time: new Date(baseTime + n).toISOString(),
        auid: 4294967295,
        pod: {
          namespace: NAMESPACE,
          name: `web-${n % 997}`,
          container: {
            id: `containerd://${(n % 997).toString(16).padStart(12, '0')}`,
            name: 'app',
            image: { id: 'docker.io/library/busybox@sha256:1d1b', name: 'docker.io/library/busybox:1.36' },
            start_time: new Date(baseTime).toISOString(),
            pid: 7,
          },
          pod_labels: { app: 'web', 'pod-template-hash': '7c9d8f' },
          workload: 'web',
          workload_kind: 'Deployment',
        },
        docker: (n % 997).toString(16).padStart(12, '0'),
        parent_exec_id: 'YmVuY2gtcGFyZW50',
        tid: 10_000 + (n % 50_000),
      },
      function_name: 'bprm_check_security',
      args: [{ linux_binprm_arg: { path: '/bin/vi', permission: '-rwxr-xr-x' } }],
      action: 'KPROBE_ACTION_OVERRIDE',
      policy_name: objectName,
      return_action: 'KPROBE_ACTION_POST',
      tags: ['vigil'],
    },
    node_name: 'node-a',
    time: new Date(baseTime + n).toISOString(),
  });
}

/** Writes `count` lines starting at `first` (appending), in chunks so that a large file never sits in memory. */
async function appendLines(path: string, objectName: string, first: number, count: number, baseTime: number): Promise<void> {
  const stream = createWriteStream(path, { flags: 'a' });
  const chunk = 1_000;
  for (let i = 0; i < count; i += chunk) {
    const lines: string[] = [];
    for (let n = first + i; n < first + Math.min(i + chunk, count); n++) lines.push(exportLine(objectName, n, baseTime));
    if (!stream.write(`${lines.join('\n')}\n`)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
}

/** Loads what touches the AWS SDK after setting the environment it reads (keeps its Node notice quiet). */
async function loadModules() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const [local, localMode, tables, client, auditItems, lib] = await Promise.all([
    import('../../infra/local/dynamodb-local.js'),
    import('../../infra/local/start.js'),
    import('../../functions/shared/storage/tables.js'),
    import('../../functions/shared/storage/client.js'),
    import('../../functions/shared/storage/audit-items.js'),
    import('@aws-sdk/lib-dynamodb'),
  ]);
  return {
    startDynamoDbLocal: local.startDynamoDbLocal,
    /** Local mode makes its tables with this prefix on a DynamoDB of its own. */
    localTablePrefix: localMode.TABLE_PREFIX,
    auditKeys: tables.auditKeys,
    createDynamoClients: client.createDynamoClients,
    toAuditItem: auditItems.toItem,
    indexValue: auditItems.indexValue,
    lib,
  };
}
type Modules = Awaited<ReturnType<typeof loadModules>>;

/** Local mode as `npm start` runs it, as its own process, on the run's DynamoDB Local; resolves with its URL. */
async function startLocalModeProcess(
  repoRoot: string,
  dataDir: string,
  adminToken: string,
  dynamodbEndpoint: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      VIGIL_DATA_DIR: dataDir,
      VIGIL_ADMIN_TOKEN: adminToken,
      VIGIL_DYNAMODB_ENDPOINT: dynamodbEndpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local mode did not start within 120 s: ${stderr}`)), 120_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /URL:\s+(http\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local mode exited (${code}) before it started: ${stderr}`));
    });
  });
  return { child, url };
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

async function adminCall(url: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** The query of the bench policy's audit events through the policy index, as the audit log reads them. */
function benchPolicyEvents(m: Modules) {
  const { byPolicy } = m.auditKeys.indexes;
  return {
    TableName: `${m.localTablePrefix}audit`,
    IndexName: 'byPolicy',
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': byPolicy.partitionKey },
    ExpressionAttributeValues: { ':pk': m.indexValue(byPolicy.prefix, POLICY) },
  };
}

/** Audit events stored for the bench policy. */
async function storedEvents(m: Modules, document: ReturnType<Modules['createDynamoClients']>['document']): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await document.send(new m.lib.QueryCommand({ ...benchPolicyEvents(m), Select: 'COUNT', ExclusiveStartKey: startKey }));
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return count;
}

/**
 * How fast DynamoDB Local stores audit items with the store's conditional PutItem, `inFlight` calls at once:
 * the bound the events route cannot beat whoever posts.
 */
async function conditionalPutCapacity(
  m: Modules,
  document: ReturnType<Modules['createDynamoClients']>['document'],
  template: AuditEvent,
  ms: number,
  inFlight: number,
): Promise<WriteRound> {
  let items = 0;
  const started = performance.now();
  const writer = async (): Promise<void> => {
    while (performance.now() - started < ms) {
      const event = boundEvent(template);
      await document.send(
        new m.lib.PutCommand({
          TableName: `${m.localTablePrefix}audit`,
          Item: m.toAuditItem(event, 90),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      items++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, writer));
  return { items, seconds: (performance.now() - started) / 1000 };
}

/**
 * How fast DynamoDB Local stores audit items the way the events route does: TransactWriteItems calls of
 * TRANSACTION_ITEMS conditional puts of the route's item shape, each call with its own ClientRequestToken (the
 * store sends one per attempt, so that a retried call applies nothing twice), `inFlight` calls at once. The bound
 * the forwarder is measured against.
 */
async function transactionalPutCapacity(
  m: Modules,
  document: ReturnType<Modules['createDynamoClients']>['document'],
  template: AuditEvent,
  ms: number,
  inFlight: number,
): Promise<WriteRound> {
  let items = 0;
  const started = performance.now();
  const writer = async (): Promise<void> => {
    while (performance.now() - started < ms) {
      const puts = Array.from({ length: TRANSACTION_ITEMS }, () => ({
        Put: {
          TableName: `${m.localTablePrefix}audit`,
          Item: m.toAuditItem(boundEvent(template), 90),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      }));
      await document.send(new m.lib.TransactWriteCommand({ TransactItems: puts, ClientRequestToken: randomUUID() }));
      items += TRANSACTION_ITEMS;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, writer));
  return { items, seconds: (performance.now() - started) / 1000 };
}

/** Items written in one round of a storage variant, and how long the round took. */
interface WriteRound {
  readonly items: number;
  readonly seconds: number;
}

/** Items per second over all rounds of a variant, with each round's rate. */
function writeRate(inFlight: number, rounds: readonly WriteRound[]) {
  const items = rounds.reduce((sum, r) => sum + r.items, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  return {
    inFlight,
    itemsPerSecond: Math.round(items / seconds),
    items,
    roundsItemsPerSecond: rounds.map((r) => Math.round(r.items / r.seconds)),
  };
}

/** The storage bound's items' policy: as long as POLICY, so that their index values are as long, and not counted as forwarded. */
const BOUND_POLICY = 'bench-bound';

/**
 * An audit event exactly as the events route stored one in this run (read back from the table), so that the storage
 * bound writes items of the route's shape and size: its ids (the enforcer's namespace and the Tetragon hash), its
 * message, its enforcer id.
 */
async function storedEventTemplate(m: Modules, document: ReturnType<Modules['createDynamoClients']>['document']): Promise<AuditEvent> {
  const page = await document.send(new m.lib.QueryCommand({ ...benchPolicyEvents(m), Limit: 1 }));
  const event = page.Items?.[0]?.event as AuditEvent | undefined;
  if (event === undefined) throw new Error("no forwarded event is stored to take the storage bound's item shape from");
  return event;
}

/** One item of the storage bound: the template under its own policy, with a fresh id of the same length. */
function boundEvent(template: AuditEvent): AuditEvent {
  return {
    ...template,
    policy: BOUND_POLICY,
    id: `${template.id.slice(0, -32)}${randomBytes(16).toString('hex')}`,
    time: new Date().toISOString(),
  };
}

/**
 * Diagnostic: the same items with unconditional BatchWriteItem calls of 25, `inFlight` at once (how the webhook's
 * generated events are written). Faster per item, but a re-sent event would be stored again: the events route
 * needs the condition because the forwarder re-sends after a crash.
 */
async function batchWriteCapacity(
  m: Modules,
  document: ReturnType<Modules['createDynamoClients']>['document'],
  template: AuditEvent,
  ms: number,
  inFlight: number,
) {
  let items = 0;
  const started = performance.now();
  const writer = async (): Promise<void> => {
    while (performance.now() - started < ms) {
      const batch = Array.from({ length: 25 }, () => ({
        PutRequest: {
          Item: m.toAuditItem(boundEvent(template), 90),
        },
      }));
      const output = await document.send(new m.lib.BatchWriteCommand({ RequestItems: { [`${m.localTablePrefix}audit`]: batch } }));
      items += 25 - (output.UnprocessedItems?.[`${m.localTablePrefix}audit`]?.length ?? 0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, writer));
  return { inFlight, itemsPerCall: 25, itemsPerSecond: Math.round(items / ((performance.now() - started) / 1000)), items };
}

/** CPU time (user + system) a process has used so far in ms, from /proc (Linux); undefined where there is none. */
async function cpuMsOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    // The fields after the command name (which may hold spaces) start at its closing parenthesis: utime and stime are the 12th and 13th.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
/** Linux's USER_HZ, the unit of /proc/<pid>/stat times, is 100 on every architecture Node.js runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The DynamoDB Local JVM's pid, from the lock file it is started with (infra/local/dynamodb-local.ts). */
async function dynamoDbLocalPid(dataDir: string): Promise<number | undefined> {
  try {
    const lock = JSON.parse(await readFile(join(dataDir, 'dynamodb', 'dynamodb-local.lock'), 'utf8')) as { pid?: unknown };
    return typeof lock.pid === 'number' ? lock.pid : undefined;
  } catch {
    return undefined;
  }
}

/** The resident set of a process in bytes, from /proc (Linux); undefined where there is none. */
async function rssBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const match = status === undefined ? null : /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function run(context: SuiteContext): Promise<Record<string, unknown>> {
  const { log, quick } = context;
  const p = plan(quick);
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const scratch = scratchRoot();
  const workDir = await mkdtemp(join(scratch.root, 'vigil-bench-node-agent-'));
  const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`;
  const m = await loadModules();
  let dynamo: Awaited<ReturnType<Modules['startDynamoDbLocal']>> | undefined;
  let localMode: ChildProcess | undefined;
  let forwarderProcess: ChildProcess | undefined;
  const destroyers: Array<() => void> = [];
  try {
    log('node-agent: starting DynamoDB Local and local mode (its own process)');
    dynamo = await m.startDynamoDbLocal({
      dataDir: join(workDir, 'dynamodb'),
      startTimeoutMs: 60_000,
      onUnexpectedExit: (error) => log(`node-agent: ${error.message}`),
    });
    const started = await startLocalModeProcess(repoRoot, join(workDir, 'local'), adminToken, dynamo.endpoint);
    localMode = started.child;
    const url = started.url;
    const clients = m.createDynamoClients({ endpoint: dynamo.endpoint });
    destroyers.push(() => clients.client.destroy());

    const group = await adminCall(url, adminToken, 'POST', '/v1/enforcer-groups', { name: 'nodes', type: 'agent', enforce: true });
    const token = group.token as string;
    await adminCall(url, adminToken, 'POST', '/v1/policies', {
      name: POLICY,
      type: 'container',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: NAMESPACE }] },
      controls: { blockedExecutables: { enabled: true, executables: ['/bin/vi'] } },
    });
    const objectName = nodePolicyObjectName('container', POLICY, 'blockedExecutables', 'exec-block', 1);
    const baseTime = Date.now() - 3_600_000;

    // -- 1. throughput --------------------------------------------------------------------------
    const exportFile = join(workDir, 'tetragon.log');
    await appendLines(exportFile, objectName, 0, p.warmupEvents, baseTime);
    const forwarder = new Forwarder({
      client: new EnforcerClient({ url, token, name: 'forwarder-bench', hostname: 'node-a' }),
      cluster: CLUSTER,
      exportFile,
      checkpointFile: join(workDir, 'checkpoint.json'),
    });
    await forwarder.start();
    // The bundle (and so the compiled index) must hold the policy before the clock starts.
    const probe = new EnforcerClient({ url, token, name: 'probe' });
    await until(
      async () => (await probe.bundle())?.policies.some((policy) => policy.name === POLICY) === true,
      30_000,
      'the bundle to hold the bench policy',
    );
    await forwarder.refreshIndex();
    while (forwarder.counters.linesRead < p.warmupEvents || forwarder.pendingEvents > 0) await forwarder.step();
    const template = await storedEventTemplate(m, clients.document);
    // The timed events go in rounds that take turns with rounds of the storage bound (the order reversed every
    // other round), so that the JVM warming up and the machine's load fall on both sides of the ratio alike.
    const jvmPid = await dynamoDbLocalPid(join(workDir, 'dynamodb'));
    const perRound = Math.ceil(p.events / p.storageRounds);
    let fileBytes = 0;
    let wallMs = 0;
    let forwarderCpuMicros = 0;
    const serverCpu = { localModeMs: 0, dynamoDbLocalMs: 0 };
    const counted = { ...forwarder.counters };
    const loadAtStart = machineInfo().loadAverage;
    log(
      `node-agent: forwarding ${p.events.toLocaleString('en-US')} events in ${p.storageRounds} rounds to local mode, taking turns with rounds of the storage bound`,
    );
    const forwardRound = async (round: number): Promise<void> => {
      const first = p.warmupEvents + round * perRound;
      const count = Math.min(perRound, p.events - round * perRound);
      const sizeBefore = (await stat(exportFile)).size;
      await appendLines(exportFile, objectName, first, count, baseTime);
      fileBytes += (await stat(exportFile)).size - sizeBefore;
      const processesBefore = await Promise.all([cpuMsOf(localMode!.pid), cpuMsOf(jvmPid)]);
      const cpuBefore = process.cpuUsage();
      const wallStart = performance.now();
      while (forwarder.counters.linesRead < first + count || forwarder.pendingEvents > 0) await forwarder.step();
      wallMs += performance.now() - wallStart;
      const cpu = process.cpuUsage(cpuBefore);
      forwarderCpuMicros += cpu.user + cpu.system;
      const processesAfter = await Promise.all([cpuMsOf(localMode!.pid), cpuMsOf(jvmPid)]);
      serverCpu.localModeMs += (processesAfter[0] ?? 0) - (processesBefore[0] ?? 0);
      serverCpu.dynamoDbLocalMs += (processesAfter[1] ?? 0) - (processesBefore[1] ?? 0);
    };
    const variants: Array<{ key: string; measure: () => Promise<WriteRound> }> = [
      { key: 'transactions', measure: () => transactionalPutCapacity(m, clients.document, template, p.storageMs, TRANSACTIONS_PER_POST) },
      { key: 'putsOnePost', measure: () => conditionalPutCapacity(m, clients.document, template, p.storageMs, STORE_PUTS_PER_POST) },
      { key: 'putsAllPosts', measure: () => conditionalPutCapacity(m, clients.document, template, p.storageMs, STORE_PUTS_IN_FLIGHT) },
    ];
    const rounds = new Map<string, WriteRound[]>(variants.map((variant) => [variant.key, []]));
    for (let round = 0; round < p.storageRounds; round++) {
      if (round % 2 === 0) await forwardRound(round);
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) rounds.get(variant.key)!.push(await variant.measure());
      if (round % 2 === 1) await forwardRound(round);
    }
    await forwarder.stop();
    const cpu = { user: forwarderCpuMicros, system: 0 };
    const stored = await storedEvents(m, clients.document);
    const posted = forwarder.counters.eventsPosted - counted.eventsPosted;
    if (stored !== p.warmupEvents + p.events || posted !== p.events)
      throw new Error(`forwarded ${posted} of ${p.events} events and stored ${stored} of ${p.warmupEvents + p.events}`);
    const eventsPerSecond = Math.round(p.events / (wallMs / 1000));
    const forwarderCpuMs = (cpu.user + cpu.system) / 1000;
    log(
      `node-agent: ${eventsPerSecond} events/s (${Math.round(wallMs)} ms wall; forwarder ${Math.round(forwarderCpuMs)} ms CPU, ${Math.round(p.events / (forwarderCpuMs / 1000))} events per CPU second; local mode ${Math.round(serverCpu.localModeMs)} ms CPU, DynamoDB Local ${Math.round(serverCpu.dynamoDbLocalMs)} ms CPU)`,
    );
    const storageTransactions = {
      itemsPerCall: TRANSACTION_ITEMS,
      itemJsonBytes: Buffer.byteLength(JSON.stringify(m.toAuditItem(template, 90))),
      ...writeRate(TRANSACTIONS_PER_POST, rounds.get('transactions')!),
    };
    const storageOnePost = writeRate(STORE_PUTS_PER_POST, rounds.get('putsOnePost')!);
    const storageAllPosts = writeRate(STORE_PUTS_IN_FLIGHT, rounds.get('putsAllPosts')!);
    const storageBatches = await batchWriteCapacity(m, clients.document, template, p.storageMs, BATCH_WRITE_CALLS);
    log(
      `node-agent: storage ${storageTransactions.itemsPerSecond} items/s in transactions of ${TRANSACTION_ITEMS} (${TRANSACTIONS_PER_POST} in flight); conditional PutItem ${storageOnePost.itemsPerSecond} with ${STORE_PUTS_PER_POST} in flight, ${storageAllPosts.itemsPerSecond} with ${STORE_PUTS_IN_FLIGHT}; unconditional batches of 25, ${BATCH_WRITE_CALLS} in flight: ${storageBatches.itemsPerSecond}`,
    );
    const overStorageBound = round2(eventsPerSecond / storageTransactions.itemsPerSecond);

    // -- 2. memory while the control plane is down -------------------------------------------------
    // A failure here (the forwarder exits, never catches up, or reads nothing while down) fails this phase's goal
    // with its reason instead of ending the run: the throughput figures above, and the suites after, are kept.
    const whileDown = await (async () => {
      const downFile = join(workDir, 'down', 'tetragon.log');
      await mkdir(join(workDir, 'down'));
      await writeFile(join(workDir, 'token'), token, { mode: 0o600 });
      const first = p.warmupEvents + p.events;
      await appendLines(downFile, objectName, first, p.warmLines, baseTime);
      const forwarderStderr: string[] = [];
      forwarderProcess = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'layers/node-agent/main.ts',
          'forward',
          '--url',
          url,
          '--cluster',
          CLUSTER,
          '--file',
          downFile,
          '--checkpoint',
          join(workDir, 'down', 'checkpoint.json'),
          '--token-file',
          join(workDir, 'token'),
          '--name',
          'forwarder-bench-down',
        ],
        { cwd: repoRoot, env: { ...process.env, NODE_NAME: 'node-b' }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      forwarderProcess.stderr!.setEncoding('utf8').on('data', (chunk: string) => forwarderStderr.push(chunk));
      log(`node-agent: forwarder process catches up with ${p.warmLines.toLocaleString('en-US')} lines`);
      let storedSoFar = 0;
      try {
        await until(
          async () => (storedSoFar = await storedEvents(m, clients.document)) >= first + p.warmLines,
          180_000,
          'the warm-up lines',
        );
      } catch (error) {
        const said = forwarderStderr.join('').slice(-2_000);
        throw new Error(`${(error as Error).message}: ${storedSoFar - first} of ${p.warmLines} stored; the forwarder said: ${said}`);
      }
      const baselineSamples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const rss = await rssBytes(forwarderProcess.pid!);
        if (rss !== undefined) baselineSamples.push(rss);
        await sleep(200);
      }
      log('node-agent: stopping local mode; the forwarder keeps reading a growing file');
      await stopProcess(localMode, 'SIGTERM');
      localMode = undefined;
      const saidBeforeStop = forwarderStderr.join('').length;
      const downStarted = performance.now();
      const samples: number[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const rss = await rssBytes(forwarderProcess.pid!);
          if (rss !== undefined) samples.push(rss);
          await sleep(100);
        }
      })();
      await appendLines(downFile, objectName, first + p.warmLines, p.downLines, baseTime);
      const downFileBytes = (await stat(downFile)).size;
      const remaining = p.downWatchMs - (performance.now() - downStarted);
      if (remaining > 0) await sleep(remaining);
      sampling = false;
      await sampler;
      // A node agent keeps running while the control plane is down: that is what this phase measures.
      if (forwarderProcess.exitCode !== null || forwarderProcess.signalCode !== null)
        throw new Error(
          `the forwarder process exited (${forwarderProcess.exitCode ?? forwarderProcess.signalCode}) while the control plane was down: ${forwarderStderr.join('').slice(-2_000)}`,
        );
      await stopProcess(forwarderProcess, 'SIGKILL');
      forwarderProcess = undefined;
      const pausedIn = (text: string) =>
        text
          .split('\n')
          .filter((line) => line.includes('forwarding paused'))
          .map((line) => {
            try {
              return JSON.parse(line) as { pending?: number; error?: string };
            } catch {
              return {};
            }
          });
      const said = forwarderStderr.join('');
      // Failed posts while the control plane was still up (a loaded machine can time requests out): reported apart.
      const pausedBeforeStop = pausedIn(said.slice(0, saidBeforeStop));
      const pausedLines = pausedIn(said.slice(saidBeforeStop));
      const pendingReported = pausedLines.map((line) => line.pending ?? 0);
      const baselineRss = baselineSamples.length > 0 ? Math.min(...baselineSamples) : undefined;
      const peakRss = samples.length > 0 ? Math.max(...samples) : undefined;
      const growthMiB = baselineRss !== undefined && peakRss !== undefined ? mib(peakRss - baselineRss) : undefined;
      log(
        `node-agent: while down: RSS ${baselineRss === undefined ? '?' : mib(baselineRss)} MiB before, peak ${peakRss === undefined ? '?' : mib(peakRss)} MiB with a ${mib(downFileBytes)} MiB file; ${pausedLines.length} paused retries, at most ${Math.max(0, ...pendingReported)} events pending`,
      );
      if (!pendingReported.some((pending) => pending > 0))
        throw new Error(`the forwarder read nothing while the control plane was down: ${said.slice(-2_000)}`);
      return { downFileBytes, samples, baselineRss, peakRss, growthMiB, pausedLines, pausedBeforeStop, pendingReported };
    })().catch((error: unknown) => ({ error: (error as Error).message }));
    if ('error' in whileDown) log(`node-agent: the memory phase failed: ${whileDown.error}`);
    const down = 'error' in whileDown ? undefined : whileDown;
    const growthMiB = down?.growthMiB;

    const goals = {
      eventsPerSecondOverStorageBound: goal(quick, {
        description:
          'events stored per second from a Tetragon export file to the audit table (the forwarder, batches of 500, against local mode in its own process) over the rate DynamoDB Local stores the same write shape in this run (transactions of 100 conditional puts of items like the route stored, each with a ClientRequestToken, 5 in flight)',
        target: `>= ${GOALS.eventsPerSecondOverStorageBoundMin}`,
        value: overStorageBound,
        measured: {
          eventsPerSecond,
          storageBoundItemsPerSecond: storageTransactions.itemsPerSecond,
          forwarderEventsPerCpuSecond: Math.round(p.events / (forwarderCpuMs / 1000)),
          loadAverageAtStart: loadAtStart,
        },
        met: overStorageBound >= GOALS.eventsPerSecondOverStorageBoundMin,
      }),
      rssGrowthWhileDownMiB: goal(quick, {
        description: `growth of the forwarder process's resident set (MiB) over ${p.downWatchMs / 1000} s while the control plane is down and ${p.downLines.toLocaleString('en-US')} lines are appended to its export file`,
        target: `<= ${GOALS.rssGrowthWhileDownMiBMax}`,
        value: growthMiB ?? -1,
        measured:
          down === undefined
            ? { error: (whileDown as { error: string }).error }
            : {
                baselineRssMiB: down.baselineRss === undefined ? null : mib(down.baselineRss),
                peakRssMiB: down.peakRss === undefined ? null : mib(down.peakRss),
                fileMiB: mib(down.downFileBytes),
              },
        met: growthMiB !== undefined && growthMiB <= GOALS.rssGrowthWhileDownMiBMax,
      }),
    };
    for (const [name, g] of Object.entries(goals))
      log(`node-agent: goal ${name}: ${g.value} (target ${g.target}): ${statusText(g.status)}`);
    return {
      description:
        'Tetragon event forwarder: events/s from an export file to stored audit events against local mode, and its memory while the control plane is down.',
      setup: {
        events: p.events,
        exportFileMiB: mib(fileBytes),
        dynamodb: `DynamoDB Local on 127.0.0.1, database in a fresh ${scratch.ramBacked ? 'RAM-backed' : 'disk-backed'} temporary directory`,
        localMode: 'infra/local/main.ts in its own process; the forwarder in the bench process',
      },
      throughput: {
        eventsPerSecond,
        wallMs: Math.round(wallMs),
        forwarderCpuMs: Math.round(forwarderCpuMs),
        forwarderEventsPerCpuSecond: Math.round(p.events / (forwarderCpuMs / 1000)),
        rounds: p.storageRounds,
        // What the other processes on the path used meanwhile (from /proc): where the time goes besides the forwarder.
        localModeCpuMs: Math.round(serverCpu.localModeMs),
        dynamoDbLocalCpuMs: Math.round(serverCpu.dynamoDbLocalMs),
        stored,
        counters: forwarder.counters,
      },
      storageBound: {
        description:
          'audit items DynamoDB Local stored per second in this run: transactions of conditional puts as the events route writes them, and, for comparison, one conditional PutItem per event (as the route wrote before) and unconditional BatchWriteItem calls',
        transactions: storageTransactions,
        conditionalOnePost: storageOnePost,
        conditionalAllPosts: storageAllPosts,
        unconditionalBatches: storageBatches,
      },
      whileDown:
        down === undefined
          ? { watchMs: p.downWatchMs, linesAppended: p.downLines, error: (whileDown as { error: string }).error }
          : {
              watchMs: p.downWatchMs,
              linesAppended: p.downLines,
              fileMiB: mib(down.downFileBytes),
              rssSamples: down.samples.length,
              baselineRssMiB: down.baselineRss === undefined ? null : mib(down.baselineRss),
              peakRssMiB: down.peakRss === undefined ? null : mib(down.peakRss),
              rssGrowthMiB: down.growthMiB ?? null,
              pausedRetries: down.pausedLines.length,
              failedRoundsBeforeStop: down.pausedBeforeStop.length,
              ...(down.pausedBeforeStop.length > 0 ? { firstFailureBeforeStop: down.pausedBeforeStop[0]!.error ?? null } : {}),
              maxPendingReported: Math.max(0, ...down.pendingReported),
            },
      goals,
      goalsStatus: goalsStatus(goals),
      figures: {
        // The absolute figure, reported beside the goal: on DynamoDB Local it is bounded by the storage.
        eventsPerSecondAbsolute: {
          target: `>= ${GOALS.eventsPerSecondMin}`,
          value: eventsPerSecond,
          met: quick ? null : eventsPerSecond >= GOALS.eventsPerSecondMin,
          storageBoundAtOrAboveTarget: storageTransactions.itemsPerSecond >= GOALS.eventsPerSecondMin,
        },
      },
    };
  } finally {
    if (forwarderProcess) await stopProcess(forwarderProcess, 'SIGKILL');
    if (localMode) await stopProcess(localMode, 'SIGTERM');
    for (const destroy of destroyers) destroy();
    if (dynamo) {
      log('node-agent: stopping DynamoDB Local');
      await dynamo.stop();
    }
    await rm(workDir, { recursive: true, force: true });
  }
}

export const nodeAgentSuite: BenchSuite = {
  name: 'node-agent',
  description:
    'Tetragon event forwarder against local mode: events/s from file to stored events (goal >= 90 % of the storage bound measured in the run; 5,000 events/s reported beside it), memory while the control plane is down',
  run,
};
