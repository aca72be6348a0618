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

async function bundleInputs(name: VigilFunctionName): Promise<readonly string[]> {
  return (await bundleLambda(functionEntries[name], join(work, name, 'index.mjs'))).inputs;
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

describe('the admission bundle', () => {
  // A single-file bundle evaluates every module it holds when it loads, a dynamically imported one too: the
  // SQS fallback costs the webhook's cold start whatever it carries, so it carries the one command it sends
  // rather than the whole client (every command's schema; docs/adr/0021).
  it('carries only the SQS command the audit fallback sends', async () => {
    const commands = (await bundleInputs('admission')).filter((input) =>
      input.startsWith('node_modules/@aws-sdk/client-sqs/dist-es/commands/'),
    );
    expect(commands).toEqual(['node_modules/@aws-sdk/client-sqs/dist-es/commands/SendMessageBatchCommand.js']);
  });
});
