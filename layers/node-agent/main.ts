/**
 * Entry point of the node agents: `npx tsx layers/node-agent/main.ts forward ...` (see docs/node-enforcement.md).
 * Wiring only: options, the loop with back-off, and signals.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { EnforcerClient } from './enforcer-client.js';
import { Forwarder } from './forwarder.js';

const USAGE = `Usage: node-agent forward --url <enforcer API URL> --cluster <name> --file <export file> --checkpoint <file>
                          [--token-file <file>] [--name <enforcer name>]

Tails Tetragon's JSON export and posts the events of Vigil's objects to the enforcer API.
The group token is read from --token-file, or from the environment variable VIGIL_TOKEN.`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    console.log(USAGE);
    return;
  }
  for (const required of ['url', 'cluster', 'file', 'checkpoint'] as const) {
    if (!values[required]) throw new Error(`--${required} is required\n\n${USAGE}`);
  }
  const token = values['token-file'] ? (await readFile(values['token-file'], 'utf8')).trim() : process.env.VIGIL_TOKEN;
  if (!token) throw new Error(`a group token is required: --token-file or VIGIL_TOKEN\n\n${USAGE}`);
  const node = process.env.NODE_NAME ?? hostname();
  const client = new EnforcerClient({ url: values.url!, token, name: values.name ?? `forwarder-${node}`, hostname: node });
  const forwarder = new Forwarder({ client, cluster: values.cluster!, exportFile: values.file!, checkpointFile: values.checkpoint! });
  await forwarder.start();

  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => (stopping = true));
  const pollMs = 60_000;
  let lastPoll = 0;
  let backoffMs = 1_000;
  while (!stopping) {
    try {
      if (Date.now() - lastPoll >= pollMs) {
        await forwarder.refreshIndex();
        await client.heartbeat();
        lastPoll = Date.now();
      }
      const readAny = await forwarder.step();
      backoffMs = 1_000;
      if (!readAny) await sleep(500);
    } catch (error) {
      // The control plane is unreachable: what was read waits in memory (bounded) and the file waits on disk.
      console.error(
        JSON.stringify({ level: 'WARN', message: 'forwarding paused', error: (error as Error).message, pending: forwarder.pendingEvents }),
      );
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, 30_000);
    }
  }
  await forwarder.stop();
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'forward') {
  forward(rest).catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
} else {
  console.error(`unknown command ${command ?? '(none)'}; the node agent has: forward\n\n${USAGE}`);
  process.exit(2);
}
