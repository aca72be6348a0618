import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../../functions/shared/storage/client.js';
import { tableNames } from '../../../functions/shared/storage/tables.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

// Issue 14 item 4: an import is all or nothing also when the process dies in the middle of it. Local mode
// runs in a child process of its own; the test starts an import of 1,000 policies over HTTP, SIGKILLs the
// process at a random point of it, starts local mode again on the same tables and checks that the
// configuration is entirely the one before or entirely the imported one, and the activity trail agrees.

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const POLICIES = 1000;

interface LocalProcess {
  readonly child: ChildProcess;
  readonly url: string;
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * The settings of one crash test's local mode (its own data dir, tables and admin token on the run's DynamoDB
 * Local), and how to remove what it leaves behind.
 */
async function crashTestSettings(tableLetter: string) {
  const endpoint = await dynamodbEndpoint();
  const prefix = `${tableLetter}${randomBytes(4).toString('hex')}-`;
  const dataDir = await mkdtemp(join(tmpdir(), 'vigil-crash-'));
  const token = `crash-admin-${randomBytes(8).toString('hex')}`;
  const settings = {
    VIGIL_TEST_DATA_DIR: dataDir,
    VIGIL_TEST_ADMIN_TOKEN: token,
    VIGIL_TEST_DYNAMODB_ENDPOINT: endpoint,
    VIGIL_TEST_TABLE_PREFIX: prefix,
  };
  const removeAll = async (): Promise<void> => {
    await rm(dataDir, { recursive: true, force: true });
    const { client } = createDynamoClients({ endpoint });
    const names = tableNames(prefix);
    for (const name of [names.config, names.audit]) await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    client.destroy();
  };
  return { settings, token, removeAll };
}

/** Starts local mode in its own process on the given tables; resolves once it prints its URL. */
async function startLocal(settings: Record<string, string>): Promise<LocalProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/local-mode-process.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`local mode exited with ${code} before serving: ${stderr}`)));
  });
  return { child, url };
}

async function kill(local: LocalProcess): Promise<void> {
  if (local.child.exitCode !== null || local.child.signalCode !== null) return;
  const exited = new Promise((resolve) => local.child.once('exit', resolve));
  local.child.kill('SIGKILL');
  await exited;
  children.delete(local.child);
}

/** The import document of one round: the same 1,000 policies, each saying which round wrote it. */
function roundDocument(round: number) {
  return {
    formatVersion: 1,
    policies: Array.from({ length: POLICIES }, (_, i) => ({
      name: `crash-${String(i).padStart(4, '0')}`,
      type: 'container',
      description: `round ${round}`,
      controls: { blockContainerExec: { enabled: true, allowedProcesses: [`/bin/tool-${i}`, `/usr/bin/round-${round}`] } },
    })),
  };
}

async function call(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Every item of a paged list route. */
async function listAll(url: string, token: string, path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(url, token, 'GET', `${path}?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

/** Which rounds the stored policies and the trail's import entries come from, counted. */
async function observe(url: string, token: string): Promise<{ policies: Record<string, number>; trail: Record<string, number> }> {
  const count = (values: string[]) => values.reduce<Record<string, number>>((counts, v) => ({ ...counts, [v]: (counts[v] ?? 0) + 1 }), {});
  const policies = (await listAll(url, token, '/v1/policies')).filter((p) => String(p.name).startsWith('crash-'));
  const trail = (await listAll(url, token, '/v1/activity')).filter((e) => e.action === 'import');
  return {
    policies: count(policies.map((p) => String(p.description))),
    trail: count(trail.map((e) => String(e.after?.description))),
  };
}

describe('an import killed at a random point (local mode in a child process, SIGKILL)', () => {
  it('leaves the configuration entirely as before or entirely imported, and the activity trail agrees', { timeout: 600_000 }, async () => {
    const { settings, token, removeAll } = await crashTestSettings('k');
    let local = await startLocal(settings);
    try {
      // Round 0 completes: it says how long an import takes here, so that kill points spread over one.
      const started = performance.now();
      const seeded = await call(local.url, token, 'POST', '/v1/import', roundDocument(0));
      const importMs = performance.now() - started;
      expect(seeded.status).toBe(200);
      expect(await observe(local.url, token)).toEqual({ policies: { 'round 0': POLICIES }, trail: { 'round 0': POLICIES } });

      const expected: Record<string, number> = { 'round 0': POLICIES };
      let current = 0;
      // Kill points over the whole import, each jittered: early (reading), middle (writing), late (committing).
      // The commit comes about a third of the way in (reading and planning first, copying after it).
      const fractions = [0.1, 0.2, 0.3, 0.5, 0.85];
      const outcomes: string[] = [];
      const delays: number[] = [];
      for (const [index, fraction] of fractions.entries()) {
        const round = index + 1;
        const request = call(local.url, token, 'POST', '/v1/import', roundDocument(round)).catch((error: unknown) =>
          error instanceof Error ? error : new Error(String(error)),
        );
        const delayMs = Math.round(importMs * fraction * (0.85 + 0.3 * Math.random()));
        delays.push(delayMs);
        await sleep(delayMs);
        await kill(local);
        const answer = await request;
        local = await startLocal(settings);
        const seen = await observe(local.url, token);
        const old = { policies: { [`round ${current}`]: POLICIES }, trail: expected };
        const imported = { policies: { [`round ${round}`]: POLICIES }, trail: { ...expected, [`round ${round}`]: POLICIES } };
        // An import that answered 200 before the kill must be there in full.
        if (!(answer instanceof Error) && answer.status === 200) expect(seen).toEqual(imported);
        else expect([old, imported]).toContainEqual(seen);
        if (seen.policies[`round ${round}`] === POLICIES) {
          current = round;
          expected[`round ${round}`] = POLICIES;
          outcomes.push('new');
        } else outcomes.push('old');
      }
      // Printed for whoever reads the run: which kill points found the old and which the new configuration.
      console.info(`import of ${Math.round(importMs)} ms killed after ${delays.join(', ')} ms: ${outcomes.join(', ')}`);
    } finally {
      await kill(local);
      await removeAll();
    }
  });
});

describe('a multi-part import whose commit is killed at a random point (docs/adr/0016)', () => {
  it(
    'leaves the configuration entirely as before or entirely imported; an upload killed before its switch is aborted cleanly',
    { timeout: 600_000 },
    async () => {
      const { settings, token, removeAll } = await crashTestSettings('m');
      /** The round's document in two parts of 500 policies, uploaded; answers the upload id. */
      const upload = async (url: string, round: number): Promise<string> => {
        const { policies } = roundDocument(round);
        const opened = await call(url, token, 'POST', '/v1/imports');
        expect(opened.status).toBe(201);
        for (const [index, part] of [policies.slice(0, POLICIES / 2), policies.slice(POLICIES / 2)].entries())
          expect(
            (await call(url, token, 'PUT', `/v1/imports/${opened.body.id}/parts/${index + 1}`, { formatVersion: 1, policies: part }))
              .status,
          ).toBe(200);
        return String(opened.body.id);
      };
      let local = await startLocal(settings);
      try {
        const seedId = await upload(local.url, 0);
        const started = performance.now();
        expect((await call(local.url, token, 'POST', `/v1/imports/${seedId}/commit`)).status).toBe(200);
        const commitMs = performance.now() - started;
        expect(await observe(local.url, token)).toEqual({ policies: { 'round 0': POLICIES }, trail: { 'round 0': POLICIES } });

        const expected: Record<string, number> = { 'round 0': POLICIES };
        let current = 0;
        const outcomes: string[] = [];
        for (const [index, fraction] of [0.2, 0.5, 0.85].entries()) {
          const round = index + 1;
          const id = await upload(local.url, round);
          const request = call(local.url, token, 'POST', `/v1/imports/${id}/commit`).catch((error: unknown) =>
            error instanceof Error ? error : new Error(String(error)),
          );
          await sleep(Math.round(commitMs * fraction * (0.85 + 0.3 * Math.random())));
          await kill(local);
          const answer = await request;
          local = await startLocal(settings);
          const seen = await observe(local.url, token);
          const old = { policies: { [`round ${current}`]: POLICIES }, trail: expected };
          const imported = { policies: { [`round ${round}`]: POLICIES }, trail: { ...expected, [`round ${round}`]: POLICIES } };
          if (!(answer instanceof Error) && answer.status === 200) expect(seen).toEqual(imported);
          else expect([old, imported]).toContainEqual(seen);
          if (seen.policies[`round ${round}`] === POLICIES) {
            outcomes.push('new');
          } else {
            // Killed before the switch: the upload is still there (its commit lease runs out), and nothing of it is
            // visible. Aborting it leaves the configuration as it was.
            outcomes.push('old');
            expect((await call(local.url, token, 'DELETE', `/v1/imports/${id}`)).status).toBe(204);
            expect(await observe(local.url, token)).toEqual(old);
            continue;
          }
          current = round;
          expected[`round ${round}`] = POLICIES;
        }
        console.info(`multi-part commit of ${Math.round(commitMs)} ms killed: ${outcomes.join(', ')}`);
      } finally {
        await kill(local);
        await removeAll();
      }
    },
  );
});
