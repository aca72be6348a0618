import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createModeChangeHandler } from '../../functions/mode-change/app.js';
import { createRuntime, type Runtime } from '../../functions/shared/runtime.js';
import { LocalScheduler } from '../../functions/shared/scheduling/LocalScheduler.js';
import { DynamoConfigStore } from '../../functions/shared/storage/DynamoConfigStore.js';
import { eventually } from '../support/local-mode.js';
import { lambdaContext } from '../support/events.js';
import { useTables } from '../support/use-tables.js';

// Local mode's scheduler on DynamoDB Local: it fires the mode-change handler at the due second, keeps
// nothing in memory that a restart could lose, and catches up on changes that fell due while stopped.
// Time is one injected clock shared by the scheduler, the handler and the store: tests move it instead of
// waiting for it (the timer that wakes the scheduler up at a change's second is tested in the unit tests).

const tables = useTables();
let now = new Date('2026-12-01T09:00:00.000Z');
const clock = () => now;
const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
let runtime: Runtime;
const schedulers: LocalScheduler[] = [];

beforeAll(() => {
  runtime = createRuntime(
    { mode: 'local', tablePrefix: tables.prefix, dynamodbEndpoint: tables.endpoint, adminToken: 'local-scheduler-token-0123456789' },
    {
      configStore: new DynamoConfigStore(tables.clients.document, tables.tables.config.TableName, { clock }),
      auditStore: tables.auditStore,
      logger: new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' }),
      clock,
    },
  );
});
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
});

/** A scheduler on the shared clock; `pollMs` only matters to those that are started. */
function localScheduler(pollMs = 200): LocalScheduler {
  const handler = createModeChangeHandler(runtime);
  const scheduler = new LocalScheduler({
    store: runtime.configStore,
    invoke: (input) => handler(input, lambdaContext('vigil-mode-change')),
    logger: runtime.logger,
    pollMs,
    clock,
  });
  schedulers.push(scheduler);
  return scheduler;
}

const modeOf = async (name: string) => (await runtime.configStore.get('policy', name))?.enforcementMode;
const modeChangesOf = async (name: string) =>
  (await runtime.configStore.activity({ limit: 500 })).items.filter((e) => e.resource === `policy/${name}` && e.action === 'mode-change');

/** Stores an audit-mode policy whose switch to enforce is due `inMs` from now (as the API would resolve it). */
async function policyDueIn(name: string, inMs: number) {
  const scheduledFor = new Date(now.getTime() + inMs).toISOString();
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
  it('applies a change at its time, never before', async () => {
    const change = await policyDueIn('due-soon', 2000);
    const scheduler = localScheduler();
    advance(1999);
    expect(await scheduler.runDue()).toBe(0);
    expect(await modeOf('due-soon')).toBe('audit');
    advance(1);
    expect(await scheduler.runDue()).toBe(1);
    const applied = await runtime.configStore.get('policy', 'due-soon');
    expect(applied).toMatchObject({
      enforcementMode: 'enforce',
      enforcementModeChange: null,
      updatedBy: `schedule:${change.id}`,
      updatedAt: change.scheduledFor,
    });
  });

  it('loses nothing across a restart and catches up at start on what fell due while stopped', async () => {
    const first = localScheduler();
    first.start();
    const change = await policyDueIn('while-stopped', 600);
    await first.stop();
    advance(1200);
    expect(await modeOf('while-stopped')).toBe('audit');

    // Its next poll is a minute away: only the pass that start() runs at once can apply the change.
    localScheduler(60_000).start();
    await eventually(async () => expect(await modeOf('while-stopped')).toBe('enforce'), 3000);
    expect(await modeChangesOf('while-stopped')).toEqual([expect.objectContaining({ actor: `schedule:${change.id}` })]);
  });

  it('applies each change once even when two schedulers poll the same table', async () => {
    const change = await policyDueIn('two-pollers', 300);
    advance(300);
    const [one, two] = [localScheduler(), localScheduler()];
    // Both passes run at once, and both may find the change pending; whichever delivers second finds it applied.
    const delivered = await Promise.all([one.runDue(), two.runDue()]);
    expect(delivered.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect(await modeOf('two-pollers')).toBe('enforce');
    // Applied, the change is no longer pending: later passes deliver nothing.
    expect(await Promise.all([one.runDue(), two.runDue()])).toEqual([0, 0]);
    expect(await modeChangesOf('two-pollers')).toEqual([expect.objectContaining({ actor: `schedule:${change.id}` })]);
  });
});
