import { appendFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_LIMITS, nodePolicyObjectName } from '../../../layers/core/index.js';
import { MAX_BODY_BYTES } from '../../../functions/shared/http/body-parsing.js';
import { EnforcerApiError, EnforcerClient } from '../../../layers/node-agent/enforcer-client.js';
import { runForwardLoop } from '../../../layers/node-agent/forward-loop.js';
import { Forwarder } from '../../../layers/node-agent/forwarder.js';
import { eventually, useLocalMode } from '../../support/local-mode.js';

// The forwarder against local mode (real HTTP, real DynamoDB Local) and a growing, rotating export file.

const vigil = useLocalMode({ configRecheckMs: 50 });
let dir: string;
let token: string;
let objectName: string;
const startedAt = Date.now() - 60_000;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-forwarder-'));
  const group = await vigil.api('POST', '/v1/enforcer-groups', { name: 'nodes', type: 'agent', enforce: true });
  expect(group.status, JSON.stringify(group.body)).toBe(201);
  token = group.body.token as string;
  const policy = await vigil.api('POST', '/v1/policies', {
    name: 'no-vi',
    type: 'container',
    enforcementMode: 'enforce',
    scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'shop' }] },
    controls: { blockedExecutables: { enabled: true, executables: ['/bin/vi'] } },
  });
  expect(policy.status, JSON.stringify(policy.body)).toBe(201);
  objectName = nodePolicyObjectName('container', 'no-vi', 'blockedExecutables', 'exec-block', 1);
  // The enforcer API reads configuration through a cache: wait until the group's bundle has the policy.
  const probe = new EnforcerClient({ url: vigil.url, token, name: 'probe' });
  await eventually(async () => {
    const bundle = await probe.bundle();
    expect(bundle?.policies.map((p) => p.name)).toEqual(['no-vi']);
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A refused exec of /bin/vi in namespace shop, shaped like Tetragon's export. */
function blockLine(n: number, pod = `web-${n}`, argumentsText = '-c "vi /etc/passwd"'): string {
  return JSON.stringify({
    process_lsm: {
      process: {
        exec_id: `ZXhlYy0${n}`,
        pid: 1000 + n,
        binary: '/bin/sh',
        arguments: argumentsText,
        pod: {
          namespace: 'shop',
          name: pod,
          container: { id: `containerd://${n}`, name: 'app', image: { id: 'x', name: 'docker.io/library/busybox:1.36' } },
          pod_labels: { app: 'web' },
          workload: 'web',
          workload_kind: 'Deployment',
        },
      },
      function_name: 'bprm_check_security',
      args: [{ linux_binprm_arg: { path: '/bin/vi' } }],
      action: 'KPROBE_ACTION_OVERRIDE',
      policy_name: objectName,
      tags: ['vigil'],
    },
    node_name: 'node-a',
    // Recent, so that the audit log's default time window shows it.
    time: new Date(startedAt + n).toISOString(),
  });
}

const execLine = JSON.stringify({ process_exec: { process: { binary: '/bin/ls' } }, node_name: 'node-a', time: '2026-01-02T03:04:05Z' });
const unmanagedLine = JSON.stringify({
  process_kprobe: { policy_name: 'someone-elses', action: 'KPROBE_ACTION_SIGKILL', process: { binary: '/bin/x' } },
  node_name: 'node-a',
  time: '2026-01-02T03:04:05Z',
});

async function storedBlocks(): Promise<Array<Record<string, any>>> {
  const answer = await vigil.api('GET', '/v1/audit-events?limit=500&policy=no-vi');
  expect(answer.status).toBe(200);
  return (answer.body.items as Array<Record<string, any>>).filter((event) => event.enforcer.type === 'agent');
}

/** The pods of the stored events of forwarded lines whose pod names start so. */
async function storedPods(prefix: string): Promise<string[]> {
  return (await storedBlocks())
    .map((event) => event.workload.pod as string)
    .filter((pod) => pod.startsWith(prefix))
    .sort();
}

function forwarder(name: string, file: string, checkpoint: string, client?: EnforcerClient) {
  return new Forwarder({
    client: client ?? new EnforcerClient({ url: vigil.url, token, name, hostname: 'node-a' }),
    cluster: 'prod-eks',
    exportFile: file,
    checkpointFile: checkpoint,
    batchSize: 2,
    maxPending: 4,
    // Small, so that a step that goes wrong (re-reading a file from its start, over and over) ends soon and the
    // test fails on what was stored instead of running into its timeout.
    maxLinesPerStep: 20,
  });
}

describe('the event forwarder against local mode', () => {
  it('forwards Block events across partial lines and a rotation, and stores nothing twice after a restart', async () => {
    const file = join(dir, 'tetragon.log');
    const checkpoint = join(dir, 'checkpoint.json');
    const half = blockLine(3);
    await writeFile(file, `${blockLine(1)}\n${execLine}\n${unmanagedLine}\n${blockLine(2)}\n${half.slice(0, 40)}`);

    const first = forwarder('forwarder-node-a', file, checkpoint);
    await first.start();
    await first.step();
    expect(first.counters.eventsPosted).toBe(2);
    expect(first.counters.ignored).toMatchObject({ 'not-a-policy-event': 1, unmanaged: 1 });

    // The writer finishes the line, then the file is rotated; the old file still gets a last line.
    await appendFile(file, `${half.slice(40)}\n`);
    await rename(file, join(dir, 'tetragon-1.log'));
    await appendFile(join(dir, 'tetragon-1.log'), `${blockLine(4)}\n`);
    await writeFile(file, `${blockLine(5)}\n${blockLine(6)}\n`);
    // web-6 is the sentinel: it is only in the new file, after the rotation. Steps are counted, not timed.
    for (let i = 0; i < 4 && !(await storedPods('web-')).includes('web-6'); i++) await first.step();
    await first.stop();
    // What was stored, and that nothing was read twice: the old file's end, then the new file from its start.
    expect(await storedPods('web-'), 'the events stored across the rotation').toEqual([
      'web-1',
      'web-2',
      'web-3',
      'web-4',
      'web-5',
      'web-6',
    ]);
    expect(first.counters, 'lines read and posted across the rotation').toMatchObject({ linesRead: 8, eventsPosted: 6, duplicates: 0 });

    const blocks = await storedBlocks();
    const one = blocks.find((event) => event.workload.pod === 'web-1')!;
    expect(one).toMatchObject({
      status: 'Block',
      policy: 'no-vi',
      control: 'blockedExecutables',
      workload: {
        cluster: 'prod-eks',
        namespace: 'shop',
        pod: 'web-1',
        container: 'app',
        image: 'docker.io/library/busybox:1.36',
        host: 'node-a',
      },
      command: ['/bin/sh', '-c', 'vi /etc/passwd'],
      enforcer: { group: 'nodes', type: 'agent' },
    });

    // A restart resumes at the checkpoint: nothing is read again.
    const restarted = forwarder('forwarder-node-a', file, checkpoint);
    await restarted.start();
    await appendFile(file, `${blockLine(7)}\n`);
    await restarted.step();
    expect([restarted.counters.linesRead, restarted.counters.eventsPosted], 'lines read and events posted after a restart').toEqual([1, 1]);
    await restarted.stop();

    // Without its checkpoint the same forwarder re-reads the current file: the stable ids store nothing twice.
    await rm(checkpoint);
    const forgetful = forwarder('forwarder-node-a', file, checkpoint);
    await forgetful.start();
    await forgetful.step();
    expect([forgetful.counters.eventsPosted, forgetful.counters.duplicates], 'new and duplicate events of a re-read').toEqual([0, 3]);
    await forgetful.stop();
    expect(await storedPods('web-'), 'the events stored after re-reading the file').toEqual(
      Array.from({ length: 7 }, (_, i) => `web-${i + 1}`),
    );
    expect(JSON.parse(await readFile(checkpoint, 'utf8'))).toEqual({ inode: expect.any(Number), offset: (await readFile(file)).length });
  });

  it('keeps at most its bound of events in memory while the control plane is down, then delivers them all', async () => {
    const file = join(dir, 'down.log');
    const checkpoint = join(dir, 'down-checkpoint.json');
    const lines = Array.from({ length: 20 }, (_, i) => blockLine(100 + i, `down-${i}`));
    await writeFile(file, `${lines.join('\n')}\n`);
    let reachable = true;
    // Test double of the network: refuses every call while the control plane is "down".
    const client = new EnforcerClient({
      url: vigil.url,
      token,
      name: 'forwarder-node-b',
      fetch: (input, init) => (reachable ? fetch(input, init) : Promise.reject(new TypeError('fetch failed: connect ECONNREFUSED'))),
    });
    const down = forwarder('forwarder-node-b', file, checkpoint, client);
    await down.start();
    await down.refreshIndex();
    reachable = false;
    await expect(down.step()).rejects.toBeInstanceOf(EnforcerApiError);
    await expect(down.step()).rejects.toBeInstanceOf(EnforcerApiError);
    expect(down.pendingEvents, 'events waiting in memory while the control plane is down').toBeLessThanOrEqual(4);
    expect(down.counters.linesRead, 'lines read while the control plane is down').toBeLessThanOrEqual(4 + 2);
    await expect(readFile(checkpoint)).rejects.toThrow();

    reachable = true;
    for (let i = 0; i < 20 && (await down.step()); i++);
    expect(down.counters.eventsPosted).toBe(20);
    expect(down.pendingEvents).toBe(0);
    await down.stop();
  });

  it('ends a step after its share of lines, with the checkpoint moved, however much the file holds', async () => {
    // A file that grows as fast as it is forwarded never runs dry: heartbeats, bundle polls and the checkpoint
    // come between steps, so a step must end on its own.
    const file = join(dir, 'busy.log');
    const checkpoint = join(dir, 'busy-checkpoint.json');
    const lines = Array.from({ length: 12 }, (_, i) => `${blockLine(400 + i, `busy-${i}`)}\n`);
    await writeFile(file, lines.join(''));
    const busy = new Forwarder({
      client: new EnforcerClient({ url: vigil.url, token, name: 'forwarder-node-f', hostname: 'node-a' }),
      cluster: 'prod-eks',
      exportFile: file,
      checkpointFile: checkpoint,
      batchSize: 2,
      maxPending: 4,
      maxLinesPerStep: 6,
    });
    await busy.start();
    expect(await busy.step()).toBe(true);
    expect(busy.counters.linesRead).toBe(6);
    expect(busy.counters.eventsPosted).toBe(6);
    expect(busy.pendingEvents).toBe(0);
    // The checkpoint is just past the sixth line: the step stopped there, and what it read is stored.
    expect(JSON.parse(await readFile(checkpoint, 'utf8'))).toMatchObject({ offset: Buffer.byteLength(lines.slice(0, 6).join('')) });
    for (let i = 0; i < 10 && (await busy.step()); i++);
    expect(busy.counters).toMatchObject({ linesRead: 12, eventsPosted: 12, duplicates: 0 });
    await busy.stop();
  });

  it('posts batches side by side; when one of them fails, the stored ones leave the queue and the failed one is sent again, once', async () => {
    const file = join(dir, 'pipelined.log');
    const checkpoint = join(dir, 'pipelined-checkpoint.json');
    await writeFile(file, `${Array.from({ length: 9 }, (_, i) => blockLine(300 + i, `pipe-${i}`)).join('\n')}\n`);
    let eventPosts = 0;
    let inFlight = 0;
    let mostInFlight = 0;
    // Test double of the network: counts posts in flight and fails the second post of events once, as a lost connection would.
    const client = new EnforcerClient({
      url: vigil.url,
      token,
      name: 'forwarder-node-d',
      fetch: async (input, init) => {
        // The client calls fetch with a URL.
        if (!(input as URL).href.endsWith('/v1/enforcers/events')) return fetch(input, init);
        eventPosts++;
        if (eventPosts === 2) return Promise.reject(new TypeError('fetch failed: socket hang up'));
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          return await fetch(input, init);
        } finally {
          inFlight--;
        }
      },
    });
    const pipelined = new Forwarder({
      client,
      cluster: 'prod-eks',
      exportFile: file,
      checkpointFile: checkpoint,
      batchSize: 2,
      maxPending: 8,
      postsInFlight: 3,
    });
    await pipelined.start();
    await pipelined.refreshIndex();
    await expect(pipelined.step()).rejects.toBeInstanceOf(EnforcerApiError);
    // Batches 1 and 3 were stored; the failed batch 2 waits, first in the queue, and the checkpoint has not moved.
    expect(pipelined.counters.eventsPosted).toBe(4);
    expect(pipelined.pendingEvents).toBe(8 - 4);
    await expect(readFile(checkpoint)).rejects.toThrow();
    for (let i = 0; i < 10 && (await pipelined.step()); i++);
    await pipelined.step();
    expect(pipelined.counters).toMatchObject({ eventsPosted: 9, duplicates: 0, postFailures: 1 });
    expect(pipelined.pendingEvents).toBe(0);
    expect(mostInFlight).toBeGreaterThan(1);
    await pipelined.stop();
    const pods = (await storedBlocks()).map((event) => event.workload.pod as string).filter((pod) => pod.startsWith('pipe-'));
    expect(pods.sort()).toEqual(Array.from({ length: 9 }, (_, i) => `pipe-${i}`));
  });

  it('posts events with long command lines in batches within the enforcer API body limit, each event cut as the server would', async () => {
    const file = join(dir, 'long-commands.log');
    const checkpoint = join(dir, 'long-commands-checkpoint.json');
    // 400 events with a class path of 2,500 characters (1.2 MB of events: two posts even at the default 500 events
    // per batch), every 80th with eight of 4,750 characters, which the command bounds cut.
    const classPath = (length: number) => '/opt/app/lib/a.jar:'.repeat(Math.ceil(length / 19)).slice(0, length);
    const argumentsOf = (i: number) =>
      `-c "vi /etc/passwd" ${i % 80 === 0 ? Array.from({ length: 8 }, () => classPath(4_750)).join(' ') : classPath(2_500)}`;
    await writeFile(file, `${Array.from({ length: 400 }, (_, i) => blockLine(400 + i, `long-${i}`, argumentsOf(i))).join('\n')}\n`);
    const bodyBytes: number[] = [];
    // Test double of the network: records the size of each post of events, then sends it on.
    const client = new EnforcerClient({
      url: vigil.url,
      token,
      name: 'forwarder-node-e',
      fetch: (input, init) => {
        // The client calls fetch with a URL and a string body.
        if ((input as URL).href.endsWith('/v1/enforcers/events')) bodyBytes.push(Buffer.byteLength(init!.body as string));
        return fetch(input, init);
      },
    });
    const long = new Forwarder({ client, cluster: 'prod-eks', exportFile: file, checkpointFile: checkpoint });
    await long.start();
    await long.step();
    await long.stop();
    expect(long.counters).toMatchObject({ eventsPosted: 400, postFailures: 0, eventsRefused: 0 });
    expect(bodyBytes.length).toBeGreaterThan(1);
    expect(Math.max(...bodyBytes)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    const stored = await vigil.api('GET', '/v1/audit-events?limit=500&policy=no-vi');
    const longOnes = (stored.body.items as Array<Record<string, any>>).filter((event) => event.workload.pod.startsWith('long-'));
    expect(longOnes).toHaveLength(400);
    const cut = longOnes.filter((event) => event.truncated?.some((entry: { field: string }) => entry.field.startsWith('command[')));
    expect(cut.map((event) => event.workload.pod).sort()).toEqual(['long-0', 'long-160', 'long-240', 'long-320', 'long-80']);
    for (const event of cut) expect((event.command as string[]).join('').length).toBeLessThanOrEqual(AUDIT_LIMITS.commandTotal);
  });

  it('maps the events of a policy saved after its last poll at once, by fetching the bundle when a Vigil object is unknown', async () => {
    const file = join(dir, 'new-policy.log');
    const checkpoint = join(dir, 'new-policy-checkpoint.json');
    await writeFile(file, '');
    let now = 1_000_000;
    const prompt = new Forwarder({
      client: new EnforcerClient({ url: vigil.url, token, name: 'forwarder-node-c', hostname: 'node-c' }),
      cluster: 'prod-eks',
      exportFile: file,
      checkpointFile: checkpoint,
      unknownObjectRefreshMs: 5_000,
      now: () => now,
    });
    await prompt.start();
    await prompt.refreshIndex();

    const saved = await vigil.api('POST', '/v1/policies', {
      name: 'no-nano',
      type: 'container',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'shop' }] },
      controls: { blockedExecutables: { enabled: true, executables: ['/bin/nano'] } },
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    const probe = new EnforcerClient({ url: vigil.url, token, name: 'probe-2' });
    await eventually(async () => expect((await probe.bundle())?.policies.map((p) => p.name).sort()).toEqual(['no-nano', 'no-vi']));

    const newObject = nodePolicyObjectName('container', 'no-nano', 'blockedExecutables', 'exec-block', 1);
    const lineFor = (n: number) => blockLine(n, `nano-${n}`).replace(objectName, newObject);
    await appendFile(file, `${lineFor(200)}\n`);
    await prompt.step();
    expect([prompt.counters.eventsPosted, prompt.counters.unknownObjectRefreshes, prompt.counters.ignored.unmanaged]).toEqual([1, 1, 0]);

    // Someone else's objects never cause a fetch, and unknown Vigil objects at most one per interval.
    await appendFile(file, `${unmanagedLine}\n${lineFor(201).replace(newObject, 'vigil-gone-policy-exec-block-00')}\n`);
    await appendFile(file, `${lineFor(202).replace(newObject, 'vigil-gone-policy-exec-block-00')}\n`);
    now += 1_000;
    await prompt.step();
    expect([prompt.counters.unknownObjectRefreshes, prompt.counters.ignored.unmanaged]).toEqual([1, 3]);
    now += 5_000;
    await appendFile(file, `${lineFor(203).replace(newObject, 'vigil-gone-policy-exec-block-00')}\n`);
    await prompt.step();
    expect([prompt.counters.unknownObjectRefreshes, prompt.counters.ignored.unmanaged]).toEqual([2, 4]);
    await prompt.stop();

    const stored = await vigil.api('GET', '/v1/audit-events?limit=50&policy=no-nano');
    expect(stored.body.items.map((event: { workload: { pod: string }; status: string }) => [event.workload.pod, event.status])).toEqual([
      ['nano-200', 'Block'],
    ]);
  });
});

/**
 * The forwarder's loop (what `node-agent forward` runs) with a clock, sleep and random source of the test's: each
 * sleep is recorded and moves the clock, and `script` sees the loop between its rounds.
 */
function loopHarness(script: (sleeps: readonly number[]) => void | Promise<void>) {
  const sleeps: number[] = [];
  const logged: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const stop = new AbortController();
  let now = 1_000_000;
  return {
    sleeps,
    logged,
    stop,
    options: {
      stop: stop.signal,
      now: () => now,
      random: () => 0.5,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
        await script(sleeps);
      },
      log: (level: string, message: string, fields: Record<string, unknown> = {}) => logged.push({ level, message, fields }),
    },
  };
}

describe("the forwarder's loop against local mode", () => {
  it('keeps reading with the last known bundle while the control plane is down, instead of waiting on the bundle poll', async () => {
    const file = join(dir, 'loop-down.log');
    const checkpoint = join(dir, 'loop-down-checkpoint.json');
    await writeFile(file, `${blockLine(500, 'loop-0')}\n`);
    let reachable = true;
    // Test double of the network: refuses every call while the control plane is "down".
    const client = new EnforcerClient({
      url: vigil.url,
      token,
      name: 'forwarder-node-g',
      fetch: (input, init) => (reachable ? fetch(input, init) : Promise.reject(new TypeError('fetch failed: connect ECONNREFUSED'))),
    });
    const agent = forwarder('forwarder-node-g', file, checkpoint, client);
    await agent.start();
    const loop = loopHarness(async (sleeps) => {
      // Twenty idle rounds of 500 ms: the next round polls the bundle first (every 10 s).
      if (sleeps.length === 20) {
        // The first line is stored; the control plane goes away and the node goes on writing events.
        expect(agent.counters.eventsPosted).toBe(1);
        reachable = false;
        await appendFile(file, `${Array.from({ length: 6 }, (_, i) => blockLine(501 + i, `loop-${i + 1}`)).join('\n')}\n`);
      }
      // Down long enough for several bundle polls to fail (back-off 0.75 + 1.5 + 3 + 6 + 12 + 24 s).
      if (sleeps.length === 26) reachable = true;
      if (agent.counters.eventsPosted === 7 || sleeps.length > 60) loop.stop.abort();
    });
    await runForwardLoop({ forwarder: agent, heartbeat: () => client.heartbeat(), ...loop.options });
    await agent.stop();

    const failedPolls = loop.logged.filter((entry) => entry.message.startsWith('bundle poll failed'));
    const paused = loop.logged.filter((entry) => entry.message === 'forwarding paused');
    expect(failedPolls.length).toBeGreaterThan(1);
    expect(paused.length).toBeGreaterThan(1);
    // Every paused round had read what its bound allows (4 events), though the bundle poll before it had failed.
    expect(paused.map((entry) => entry.fields.pending)).toEqual(paused.map(() => 4));
    expect(agent.counters).toMatchObject({ eventsPosted: 7, duplicates: 0 });
    const pods = (await storedBlocks()).map((event) => event.workload.pod as string).filter((pod) => pod.startsWith('loop-'));
    expect(pods.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `loop-${i}`));
  });

  it('waits without reading, and without exiting, while it has never had a bundle', async () => {
    const file = join(dir, 'loop-first.log');
    const checkpoint = join(dir, 'loop-first-checkpoint.json');
    await writeFile(file, `${blockLine(600, 'first-0')}\n${blockLine(601, 'first-1')}\n`);
    let reachable = false;
    // Test double of the network: the control plane is unreachable until the fourth round.
    const client = new EnforcerClient({
      url: vigil.url,
      token,
      name: 'forwarder-node-h',
      fetch: (input, init) => (reachable ? fetch(input, init) : Promise.reject(new TypeError('fetch failed: connect ECONNREFUSED'))),
    });
    const agent = forwarder('forwarder-node-h', file, checkpoint, client);
    await agent.start();
    const loop = loopHarness((sleeps) => {
      // Without a bundle nothing can be mapped: read lines would be dropped as unmanaged.
      if (!reachable) expect(agent.counters.linesRead).toBe(0);
      if (sleeps.length === 4) reachable = true;
      if (agent.counters.eventsPosted === 2 || sleeps.length > 20) loop.stop.abort();
    });
    await runForwardLoop({ forwarder: agent, heartbeat: () => client.heartbeat(), ...loop.options });
    await agent.stop();
    // Backed off 1, 2, 4 s (jitter at its middle: three quarters of each) before the control plane came back.
    expect(loop.sleeps.slice(0, 3)).toEqual([750, 1_500, 3_000]);
    expect(agent.counters).toMatchObject({ linesRead: 2, eventsPosted: 2, ignored: { unmanaged: 0 } });
  });

  it("backs off on 429 with jitter, never sooner than the server's Retry-After, and loses no event", async () => {
    const file = join(dir, 'loop-throttled.log');
    const checkpoint = join(dir, 'loop-throttled-checkpoint.json');
    await writeFile(file, `${Array.from({ length: 6 }, (_, i) => blockLine(700 + i, `throttled-${i}`)).join('\n')}\n`);
    let throttled = 0;
    // Test double of a throttled enforcer API: the first four posts of events answer 429, two of them with Retry-After.
    const client = new EnforcerClient({
      url: vigil.url,
      token,
      name: 'forwarder-node-i',
      fetch: async (input, init) => {
        // The client calls fetch with a URL.
        if (!(input as URL).href.endsWith('/v1/enforcers/events') || throttled >= 4) return fetch(input, init);
        throttled++;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (throttled === 2) headers['retry-after'] = '7';
        if (throttled === 3) headers['retry-after'] = new Date(Date.now() + 120_000).toUTCString();
        return new Response('{"message":"Too Many Requests"}', { status: 429, headers });
      },
    });
    // One post at a time, so that each 429 fails one step of its own.
    const agent = new Forwarder({
      client,
      cluster: 'prod-eks',
      exportFile: file,
      checkpointFile: checkpoint,
      batchSize: 2,
      maxPending: 4,
      postsInFlight: 1,
    });
    await agent.start();
    const random = [0, 0.999, 0.5, 0.5];
    const loop = loopHarness((sleeps) => {
      if (agent.counters.eventsPosted === 6 || sleeps.length > 20) loop.stop.abort();
    });
    await runForwardLoop({ forwarder: agent, heartbeat: () => client.heartbeat(), ...loop.options, random: () => random.shift() ?? 0.5 });
    await agent.stop();

    const paused = loop.logged.filter((entry) => entry.message === 'forwarding paused');
    expect(paused.map((entry) => entry.fields.status)).toEqual([429, 429, 429, 429]);
    // Back-off 1, 2, 4, 8 s with equal jitter (random 0, 0.999, 0.5, 0.5); Retry-After 7 s, spread by up to half as
    // long again, and an HTTP date two minutes ahead (read against the real clock at a second's precision).
    const waits = paused.map((entry) => entry.fields.retryInMs as number);
    expect(waits[0]).toBe(500);
    expect(waits[1]).toBeGreaterThanOrEqual(7_000);
    expect(waits[1]).toBeLessThanOrEqual(10_500);
    expect(waits[2]).toBeGreaterThanOrEqual(1.25 * 118_000);
    expect(waits[2]).toBeLessThanOrEqual(1.25 * 120_000);
    expect(waits[3]).toBe(6_000);
    expect(paused.map((entry) => entry.fields.pending)).toEqual([4, 4, 4, 4]);
    expect(agent.counters).toMatchObject({ eventsPosted: 6, duplicates: 0, postFailures: 4, eventsRefused: 0 });
    const pods = (await storedBlocks()).map((event) => event.workload.pod as string).filter((pod) => pod.startsWith('throttled-'));
    expect(pods.sort()).toEqual(Array.from({ length: 6 }, (_, i) => `throttled-${i}`));
  });
});
