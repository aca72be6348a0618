import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLambda } from '../../bench/lambda-bundle.js';
import { functionEntries, type VigilFunctionName } from '../../infra/lambda-bundling.js';

// Each function's bundle carries the SDK clients of the AWS services it calls and no other: the adapters of
// EKS, EventBridge Scheduler, EventBridge and SQS are wired by the entry points that use them
// (functions/shared/aws-adapters.ts, event-publishing.ts), not by the shared composition root.

const clients = ['client-eks', 'client-scheduler', 'client-eventbridge', 'client-sqs'] as const;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-function-bundles-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const bundled = new Map<VigilFunctionName, Promise<readonly string[]>>();

/** The inputs of a function's bundle, bundled once for every test that asks. */
function bundleInputs(name: VigilFunctionName): Promise<readonly string[]> {
  let inputs = bundled.get(name);
  if (!inputs)
    bundled.set(name, (inputs = bundleLambda(functionEntries[name], join(work, name, 'index.mjs')).then((report) => report.inputs)));
  return inputs;
}

async function sdkClientsIn(name: VigilFunctionName): Promise<string[]> {
  const inputs = await bundleInputs(name);
  return clients.filter((client) => inputs.some((input) => input.startsWith(`node_modules/@aws-sdk/${client}/`)));
}

describe('the function bundles', () => {
  it.each([
    ['api', ['client-eks', 'client-scheduler']],
    ['modeChange', ['client-eventbridge']],
    ['auditExport', ['client-eventbridge']],
    ['enforcer', []],
    ['bootstrap', []],
    // Loaded only when the audit table does not take its events in time (docs/adr/0011).
    ['admission', ['client-sqs']],
    ['auditReplay', []],
  ] as const)('%s carries exactly the SDK clients it calls: %j', async (name, expected) => {
    expect(await sdkClientsIn(name)).toEqual(expected);
  });
});

// A single-file bundle evaluates every module it holds when it loads, a dynamically imported one too, and a
// namespace import (or a destructured `await import(...)`) keeps every export of the client: each command and
// its schema then costs every cold start of the function. So each bundle holds, of these clients, only the
// commands the function sends, imported by name (docs/adr/0021). DynamoDB's commands come with the document
// client of the shared composition root and are not counted here.
const commandPath = /^node_modules\/@aws-sdk\/(client-[a-z]+)\/dist-es\/commands\/([A-Za-z]+)Command\.js$/;

async function commandsIn(name: VigilFunctionName): Promise<string[]> {
  return (await bundleInputs(name))
    .flatMap((input) => {
      const [, client = '', command = ''] = commandPath.exec(input) ?? [];
      return (clients as readonly string[]).includes(client) ? [`${client} ${command}`] : [];
    })
    .sort();
}

describe('the SDK commands in each bundle', () => {
  it.each([
    // Registration validates cluster ARNs; policy saves keep the one-time schedules of mode changes.
    [
      'api',
      [
        'client-eks DescribeCluster',
        'client-scheduler CreateSchedule',
        'client-scheduler DeleteSchedule',
        'client-scheduler UpdateSchedule',
      ],
    ],
    ['modeChange', ['client-eventbridge PutEvents']],
    ['auditExport', ['client-eventbridge PutEvents']],
    ['enforcer', []],
    ['bootstrap', []],
    // The audit fallback's one call (docs/adr/0011).
    ['admission', ['client-sqs SendMessageBatch']],
    ['auditReplay', []],
  ] as const)('%s holds only the commands it sends: %j', async (name, expected) => {
    expect(await commandsIn(name)).toEqual(expected);
  });
});
