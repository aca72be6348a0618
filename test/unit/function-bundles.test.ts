import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLambda } from '../../bench/lambda-bundle.js';
import { functionEntries, type VigilFunctionName } from '../../infra/lambda-bundling.js';

// Each function's bundle carries the SDK clients of the AWS services it calls and no other: the adapters of
// EKS, EventBridge Scheduler, EventBridge and SQS are wired by the entry points that use them
// (functions/shared/aws-adapters.ts), not by the shared composition root.

const clients = ['client-eks', 'client-scheduler', 'client-eventbridge', 'client-sqs'] as const;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-function-bundles-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function sdkClientsIn(name: VigilFunctionName): Promise<string[]> {
  const report = await bundleLambda(functionEntries[name], join(work, name, 'index.mjs'));
  return clients.filter((client) => report.inputs.some((input) => input.startsWith(`node_modules/@aws-sdk/${client}/`)));
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
