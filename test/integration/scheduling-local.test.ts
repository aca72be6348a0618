import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createModeChangeHandler } from '../../functions/mode-change/app.js';
import { createRuntime, type Runtime } from '../../functions/shared/runtime.js';
import { LocalScheduler } from '../../functions/shared/scheduling/LocalScheduler.js';
import { eventually } from '../support/local-mode.js';
import { lambdaContext } from '../support/events.js';
import { useTables } from '../support/use-tables.js';

// Local mode's scheduler on DynamoDB Local: it fires the mode-change handler at the due second, keeps
// nothing in memory that a restart could lose, and catches up on changes that fell due while stopped.

const tables = useTables();
let runtime: Runtime;
const schedulers: LocalScheduler[] = [];

beforeAll(() => {
  runtime = createRuntime(
    { mode: 'local', tablePrefix: tables.prefix, dynamodbEndpoint: tables.endpoint, adminToken: 'local-scheduler-token-0123456789' },
    {
      configStore: tables.configStore,
      auditStore: tables.auditStore,
      logger: new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' }),
    },
  );
});
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
});

function localScheduler(): LocalScheduler {
  const handler = createModeChangeHandler(runtime);
  const scheduler = new LocalScheduler({
    store: runtime.configStore,
    invoke: (input) => handler(input, lambdaContext('vigil-mode-change')),
    logger: runtime.logger,
    pollMs: 200,
  });
  schedulers.push(scheduler);
  return scheduler;
}

/** Stores an audit-mode policy whose switch to enforce is due `inMs` from now (as the API would resolve it). */
async function policyDueIn(name: string, inMs: number) {
  const scheduledFor = new Date(Date.now() + inMs).toISOString();
  const change = { to: 'enforce' as const, at: scheduledFor, scheduledFor, state: 'pending' as const, id: randomUUID() };
  await runtime.configStore.apply(
    [
      {
        op: 'create',
        kind: 'policy',
        name,
        doc: {
          name,
          type: 'container',
          enabled: true,
          enforcementMode: 'audit',
          enforcementModeChange: change,
          scope: { applicationScopes: ['Global'], expression: '', variables: [] },
          controls: {},
        },
      },
    ],
    'test',
  );
  return change;
}

describe('LocalScheduler', () => {
  it('applies a change within about a second of its time, never before', async () => {
    const change = await policyDueIn('due-soon', 2000);
    localScheduler().start();
    // Until shortly before its time, it is left alone.
    await sleep(Math.max(0, Date.parse(change.scheduledFor) - Date.now() - 300));
    expect((await runtime.configStore.get('policy', 'due-soon'))?.enforcementMode).toBe('audit');
    const applied = await eventually(async () => {
      const policy = await runtime.configStore.get('policy', 'due-soon');
      expect(policy?.enforcementMode).toBe('enforce');
      return policy!;
    }, 5000);
    const lateBy = Date.parse(applied.updatedAt) - Date.parse(change.scheduledFor);
    expect(lateBy).toBeGreaterThanOrEqual(0);
    expect(lateBy).toBeLessThan(1000);
    expect(applied).toMatchObject({ enforcementModeChange: null, updatedBy: `schedule:${change.id}` });
  });

  it('loses nothing across a restart and catches up at start on what fell due while stopped', async () => {
    const first = localScheduler();
    first.start();
    const change = await policyDueIn('while-stopped', 600);
    await first.stop();
    await sleep(1200);
    expect((await runtime.configStore.get('policy', 'while-stopped'))?.enforcementMode).toBe('audit');

    const second = localScheduler();
    const started = Date.now();
    second.start();
    await eventually(async () => expect((await runtime.configStore.get('policy', 'while-stopped'))?.enforcementMode).toBe('enforce'), 3000);
    expect(Date.now() - started).toBeLessThan(1500);
    const { items } = await runtime.configStore.activity({ limit: 500 });
    expect(items.filter((e) => e.resource === 'policy/while-stopped' && e.action === 'mode-change')).toEqual([
      expect.objectContaining({ actor: `schedule:${change.id}` }),
    ]);
  });

  it('applies each change once even when two schedulers poll the same table', async () => {
    const change = await policyDueIn('two-pollers', 300);
    localScheduler().start();
    localScheduler().start();
    await eventually(async () => expect((await runtime.configStore.get('policy', 'two-pollers'))?.enforcementMode).toBe('enforce'), 3000);
    await sleep(500);
    const { items } = await runtime.configStore.activity({ limit: 500 });
    expect(items.filter((e) => e.resource === 'policy/two-pollers' && e.action === 'mode-change')).toHaveLength(1);
    expect(change.id).toBeTruthy();
  });
});
