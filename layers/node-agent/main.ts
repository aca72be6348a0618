/**
 * Entry point of the node agents: `npx tsx layers/node-agent/main.ts bridge|forward ...` (see README.md here).
 * Wiring only: options, the loops with back-off (the forwarder's in forward-loop.ts), and signals.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Bridge } from './bridge.js';
import { EnforcerClient, MAX_RETRY_AFTER_MS } from './enforcer-client.js';
import { FIRST_BACKOFF_MS, MAX_BACKOFF_MS, runForwardLoop } from './forward-loop.js';
import { DEFAULT_MAX_PENDING_BYTES, DEFAULT_MAX_PENDING_EVENTS, Forwarder } from './forwarder.js';
import { inClusterConnection, KubernetesClient, kubeconfigConnection } from './kubernetes-client.js';

const BRIDGE_USAGE = `Usage: node-agent bridge [--url <enforcer API URL>] [--cluster <name>] [--token-file <file>]
                         [--kubeconfig <file> [--context <name>]] [--name <enforcer name>] [--interval <seconds>]

Applies the Tetragon objects Vigil compiles for the cluster (server-side apply, field manager "vigil") and
deletes the ones labelled app.kubernetes.io/managed-by=vigil that are no longer wanted.
  --url         the enforcer API (or VIGIL_URL)
  --cluster     the cluster's name as registered in Vigil (or VIGIL_CLUSTER)
  --token-file  a file holding the agent group's token (or the variable VIGIL_TOKEN)
  --kubeconfig  use a kubeconfig (or KUBECONFIG) instead of the in-cluster service account
  --context     the kubeconfig context (default: its current context)
  --name        the name shown in GET /v1/enforcers (or VIGIL_ENFORCER_NAME; default bridge-<cluster>)
  --interval    seconds between polls (default: what the control plane says, 10)`;

const FORWARD_USAGE = `Usage: node-agent forward --url <enforcer API URL> --cluster <name> --file <export file> --checkpoint <file>
                          [--token-file <file>] [--name <enforcer name>]

Tails Tetragon's JSON export and posts the events of Vigil's objects to the enforcer API.
The group token is read from --token-file, or from the environment variable VIGIL_TOKEN.

While the control plane is away or throttling it never exits: it goes on reading with the last bundle it
compiled until ${DEFAULT_MAX_PENDING_EVENTS.toLocaleString('en-US')} events (${DEFAULT_MAX_PENDING_BYTES / 2 ** 20} MiB of JSON) wait in memory; the export file keeps the rest
and the checkpoint moves only past stored events. A failed post is sent again after ${FIRST_BACKOFF_MS / 1000} s, doubling up to
${MAX_BACKOFF_MS / 1000} s, each wait drawn between half and all of it (equal jitter), and never less than the server's
Retry-After (honoured up to ${MAX_RETRY_AFTER_MS / 60_000} minutes).`;

/** The bridge's longest wait between failed rounds. */
const BRIDGE_MAX_BACKOFF_MS = 60_000;

/** Waits, or less when a signal asks the agent to stop. */
const sleep = (ms: number, stop: AbortSignal) => delay(ms, undefined, { signal: stop }).catch(() => undefined);

const log = (level: 'INFO' | 'WARN', message: string, fields: Record<string, unknown> = {}) =>
  console.error(JSON.stringify({ level, message, ...fields }));

function stopOnSignals(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => controller.abort());
  return controller.signal;
}

async function groupToken(tokenFile: string | undefined, usage: string): Promise<string> {
  const token = tokenFile ? (await readFile(tokenFile, 'utf8')).trim() : process.env.VIGIL_TOKEN?.trim();
  if (!token) throw new Error(`a group token is required: --token-file or VIGIL_TOKEN\n\n${usage}`);
  return token;
}

async function bridge(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      cluster: { type: 'string' },
      'token-file': { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      name: { type: 'string' },
      interval: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(BRIDGE_USAGE);
    return;
  }
  const url = values.url ?? process.env.VIGIL_URL;
  const cluster = values.cluster ?? process.env.VIGIL_CLUSTER;
  if (!url) throw new Error(`--url is required (or VIGIL_URL)\n\n${BRIDGE_USAGE}`);
  if (!cluster) throw new Error(`--cluster is required (or VIGIL_CLUSTER)\n\n${BRIDGE_USAGE}`);
  const interval = values.interval === undefined ? undefined : Number(values.interval);
  if (interval !== undefined && !(Number.isInteger(interval) && interval >= 1 && interval <= 3600))
    throw new Error(`--interval must be a whole number of seconds from 1 to 3600\n\n${BRIDGE_USAGE}`);
  const token = await groupToken(values['token-file'], BRIDGE_USAGE);
  const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG;
  const connection = kubeconfig ? await kubeconfigConnection(kubeconfig, values.context) : await inClusterConnection();
  const client = new EnforcerClient({
    url,
    token,
    name: values.name ?? process.env.VIGIL_ENFORCER_NAME ?? `bridge-${cluster}`,
    hostname: hostname(),
    metadata: { kind: 'bridge', cluster },
  });
  const agent = new Bridge({ client, kubernetes: new KubernetesClient(connection), cluster });
  log('INFO', 'bridge started', { cluster, kubernetes: connection.source, server: connection.server.origin });

  const stop = stopOnSignals();
  let lastHeartbeat = 0;
  let backoffMs = 1_000;
  while (!stop.aborted) {
    try {
      const round = await agent.step();
      if (round.outcome !== 'unchanged' || round.failed.length > 0)
        log(round.failed.length > 0 ? 'WARN' : 'INFO', 'node policies applied', {
          outcome: round.outcome,
          revision: agent.lastKnownGood?.revision,
          applied: round.applied,
          pruned: round.pruned,
          failed: round.failed,
        });
      if (Date.now() - lastHeartbeat >= agent.heartbeatIntervalSeconds * 1000) {
        await client.heartbeat();
        lastHeartbeat = Date.now();
      }
      backoffMs = 1_000;
      await sleep((interval ?? agent.pollIntervalSeconds) * 1000, stop);
    } catch (error) {
      // The control plane or the Kubernetes API is unreachable, or the answer was refused: what is applied stays.
      log('WARN', 'bridge round failed; the applied objects stay', {
        error: (error as Error).message,
        retryInSeconds: backoffMs / 1000,
        lastAppliedRevision: agent.lastKnownGood?.revision,
      });
      await sleep(backoffMs, stop);
      backoffMs = Math.min(backoffMs * 2, BRIDGE_MAX_BACKOFF_MS);
    }
  }
}

async function forward(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      cluster: { type: 'string' },
      file: { type: 'string' },
      checkpoint: { type: 'string' },
      'token-file': { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(FORWARD_USAGE);
    return;
  }
  const url = values.url ?? process.env.VIGIL_URL;
  const cluster = values.cluster ?? process.env.VIGIL_CLUSTER;
  if (!url) throw new Error(`--url is required (or VIGIL_URL)\n\n${FORWARD_USAGE}`);
  if (!cluster) throw new Error(`--cluster is required (or VIGIL_CLUSTER)\n\n${FORWARD_USAGE}`);
  for (const required of ['file', 'checkpoint'] as const) {
    if (!values[required]) throw new Error(`--${required} is required\n\n${FORWARD_USAGE}`);
  }
  const token = await groupToken(values['token-file'], FORWARD_USAGE);
  const node = process.env.NODE_NAME ?? hostname();
  const client = new EnforcerClient({
    url,
    token,
    name: values.name ?? process.env.VIGIL_ENFORCER_NAME ?? `forwarder-${node}`,
    hostname: node,
    metadata: { kind: 'forwarder', cluster },
  });
  const forwarder = new Forwarder({ client, cluster, exportFile: values.file!, checkpointFile: values.checkpoint! });
  await forwarder.start();
  await runForwardLoop({ forwarder, heartbeat: () => client.heartbeat(), stop: stopOnSignals(), sleep, log });
  await forwarder.stop();
}

const commands: Record<string, (argv: string[]) => Promise<void>> = { bridge, forward };
const [command, ...rest] = process.argv.slice(2);
const run = command === undefined ? undefined : commands[command];
if (run) {
  run(rest).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
} else {
  console.error(`unknown command ${command ?? '(none)'}; the node agent has: bridge, forward\n\n${BRIDGE_USAGE}\n\n${FORWARD_USAGE}`);
  process.exit(2);
}
