import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPOOL_FILE } from '../../../infra/local/audit-spool.js';
import { eventually } from '../../support/local-mode.js';
import { startFaultyDynamoDb, type FaultyDynamoDb } from '../../support/faulty-dynamodb.js';
import { readAdmissionReview } from '../../support/fixtures.js';
import { dynamodbEndpoint } from '../../support/use-tables.js';

// Issue: audit events the webhook could not store during a storage outage were held in memory and vanished
// when the process ended (10 of 10). Local mode runs as `npm start` does, in a child process, with DynamoDB
// behind a relay that stalls; it is killed with SIGKILL while storage hangs, and started again on the same
// data dir with storage back: every event recorded before the kill must be stored, each exactly once.

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const ADMIN_TOKEN = `spool-kill-admin-${randomUUID()}`;
/** Reviews answered while storage hangs, each with one audit event. */
const DURING_OUTAGE = 10;

let proxy: FaultyDynamoDb;
let dataDir = '';
const children: ChildProcess[] = [];

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
}

/** Starts `npm start`'s entry point on a free port with the shared data dir; resolves once the banner is out. */
async function startLocal(): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      VIGIL_DATA_DIR: dataDir,
      VIGIL_ADMIN_TOKEN: ADMIN_TOKEN,
      VIGIL_DYNAMODB_ENDPOINT: proxy.endpoint,
      VIGIL_PUBLIC_URL: '',
      VIGIL_TLS_HOSTNAMES: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const match = /URL: +(http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (match && stdout.includes('Press Ctrl-C')) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`local mode exited with ${code} before starting: ${stderr}`)));
  });
  return { child, url };
}

async function call(url: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

beforeAll(async () => {
  proxy = await startFaultyDynamoDb(await dynamodbEndpoint());
  dataDir = await mkdtemp(join(tmpdir(), 'vigil-spool-kill-'));
});

afterAll(async () => {
  await Promise.all(children.map((child) => killed(child)));
  await proxy?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('local mode killed while DynamoDB hangs', () => {
  it('stores every audit event recorded before the kill once storage is back, each exactly once', { timeout: 180_000 }, async () => {
    const cluster = `spool-${randomUUID().slice(0, 8)}`;
    const policy = `no-exec-${cluster}`;
    const first = await startLocal();
    const registered = await call(first.url, 'POST', '/v1/clusters', { name: cluster });
    expect(registered.status).toBe(201);
    const webhookUrl = (registered.body.webhookUrl as string).replace(/^https?:\/\/[^/]+/, first.url);
    const created = await call(first.url, 'POST', '/v1/policies', {
      name: policy,
      type: 'container',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['Global'] },
      controls: { blockContainerExec: { enabled: true } },
    });
    expect(created.status).toBe(201);

    const admit = async (pod: string) => {
      const review = readAdmissionReview('bodies/exec-v1-echo-hello-custodian.json');
      review.request.uid = randomUUID();
      review.request.name = pod;
      review.request.object.command = ['sh'];
      const response = await fetch(`${webhookUrl}?timeout=10s`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(review),
      });
      expect(response.status).toBe(200);
    };
    // Warm: the webhook has the configuration cached, and its first event is stored the ordinary way.
    await admit('warm');
    await eventually(async () => expect((await call(first.url, 'GET', `/v1/audit-events?policy=${policy}`)).body.items).toHaveLength(1));

    proxy.mode = 'stall';
    const pods = Array.from({ length: DURING_OUTAGE }, (_, i) => `outage-${i}`);
    for (const pod of pods) await admit(pod);
    await killed(first.child);
    // What the kill left behind is on disk, not in the dead process.
    expect((await stat(join(dataDir, SPOOL_FILE))).size).toBeGreaterThan(0);

    proxy.mode = 'pass';
    const second = await startLocal();
    const stored = await eventually(async () => {
      const page = await call(second.url, 'GET', `/v1/audit-events?policy=${policy}&limit=100`);
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(1 + DURING_OUTAGE);
      return page.body.items as Array<{ id: string; workload: { pod: string } }>;
    }, 60_000);
    expect(stored.map((event) => event.workload.pod).sort()).toEqual(['warm', ...pods].sort());
    expect(new Set(stored.map((event) => event.id)).size).toBe(1 + DURING_OUTAGE);
    // Replayed and removed: nothing waits in the data dir any more.
    await eventually(async () => expect((await readdir(dataDir)).filter((name) => name.startsWith('audit-spool'))).toEqual([]));
    await killed(second.child);
  });
});
