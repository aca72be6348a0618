import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { recommendedTetragonValues } from '../../../layers/core/index.js';
import { validateKubernetesObject } from '../../support/kubernetes-objects.js';
import { eventually, useLocalMode } from '../../support/local-mode.js';
import { SPAWN_TIMEOUT, runVigil, vigilFor } from './run-vigil.js';

// `vigil clusters register --node-agent` with the real binary against local mode: the node agents' manifest and the
// Tetragon values land in files, the agents' token is shown once.

const local = useLocalMode();
const vigil = vigilFor(local);
const IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/vigil-node-agent:0.1.0';
let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-cli-agent-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const TOKEN_LINE = /^Node-agent token \(shown only now; the manifest's Secret holds it\): (vigil_agt_[A-Za-z0-9_-]{43})$/m;

describe('vigil clusters register --node-agent', { timeout: SPAWN_TIMEOUT }, () => {
  it('writes the manifest (owner-only) and the Tetragon values, and prints the token once beside the webhook URL', async () => {
    const files = { webhook: join(work, 'prod.webhook.yaml'), agents: join(work, 'agents.yaml'), values: join(work, 'values.yaml') };
    const result = await vigil.run([
      'clusters',
      'register',
      'prod-eks',
      '--manifest-file',
      files.webhook,
      '--node-agent',
      '--node-agent-image',
      IMAGE,
      '--node-agent-namespace',
      'vigil-agents',
      '--node-agent-file',
      files.agents,
      '--tetragon-values-file',
      files.values,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Webhook URL: http:\/\/127\.0\.0\.1:\d+\/v1\/admission\/prod-eks\/\S+$/);
    const token = TOKEN_LINE.exec(lines[1]!)![1]!;

    const objects = parseAllDocuments(await readFile(files.agents, 'utf8')).map((document) => document.toJS());
    for (const object of objects) expect(validateKubernetesObject(object)).toEqual([]);
    expect(objects.find((object) => object.kind === 'Secret')).toMatchObject({
      metadata: { namespace: 'vigil-agents' },
      stringData: { token },
    });
    expect(objects.find((object) => object.kind === 'DaemonSet').spec.template.spec.containers[0].image).toBe(IMAGE);
    expect((await stat(files.agents)).mode & 0o077).toBe(0);
    expect(parse(await readFile(files.values, 'utf8'))).toEqual(recommendedTetragonValues());
    expect(result.stderr).toContain(`Node-agent manifest written to ${files.agents} (image ${IMAGE}, namespace vigil-agents`);
    expect(result.stderr).toContain(`kubectl apply -f ${files.agents}`);
    expect(result.stderr).toContain(`-f ${files.values}`);
    // Shown once: nowhere else in the output, and the API never answers it again.
    expect(`${result.stdout}${result.stderr}`.split(token)).toHaveLength(2);
    const read = await local.api('GET', '/v1/clusters/prod-eks');
    expect(read.body.nodeAgent).toEqual({ enforcerGroup: 'default', image: IMAGE, namespace: 'vigil-agents' });
    expect(JSON.stringify(read.body)).not.toContain(token);
  });

  it('with the webhook manifest on stdout, shows the token on stderr and writes the agents to files named after the cluster', async () => {
    const cwd = join(work, 'defaults');
    await mkdir(cwd);
    const result = await runVigil(['clusters', 'register', 'edge', '--node-agent'], {
      cwd,
      env: { VIGIL_ENDPOINT: local.url, VIGIL_TOKEN: local.adminToken },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(parse(result.stdout)).toMatchObject({ kind: 'ValidatingWebhookConfiguration' });
    const token = TOKEN_LINE.exec(result.stderr)![1]!;
    expect(result.stdout).not.toContain(token);
    // The default image is a placeholder: the warning says so.
    expect(result.stderr).toContain('nodes cannot pull');
    const manifest = await readFile(join(cwd, 'vigil-node-agent-edge.yaml'), 'utf8');
    expect(manifest).toContain(token);
    expect(manifest).toContain('image: localhost/vigil-node-agent:0.1.0');
    expect(parse(await readFile(join(cwd, 'tetragon-values-edge.yaml'), 'utf8'))).toEqual(recommendedTetragonValues());
  });

  it('answers everything, the token included, with -o json and writes no file', async () => {
    const cwd = join(work, 'json');
    await mkdir(cwd);
    const result = await runVigil(['clusters', 'register', 'as-json', '--node-agent', '-o', 'json'], {
      cwd,
      env: { VIGIL_ENDPOINT: local.url, VIGIL_TOKEN: local.adminToken },
    });
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer.nodeAgent.token).toMatch(/^vigil_agt_/);
    expect(answer.nodeAgent.manifest).toContain(answer.nodeAgent.token);
    expect(existsSync(join(cwd, 'vigil-node-agent-as-json.yaml'))).toBe(false);
  });

  it('leaves an existing file it overwrites readable only by its owner, as a new one', async () => {
    const files = { webhook: join(work, 'again.webhook.yaml'), agents: join(work, 'again-agents.yaml') };
    for (const file of Object.values(files)) {
      await writeFile(file, 'old\n', { mode: 0o644 });
      await chmod(file, 0o644);
    }
    const result = await vigil.run([
      'clusters',
      'register',
      'again',
      '--manifest-file',
      files.webhook,
      '--node-agent',
      '--node-agent-file',
      files.agents,
      '--tetragon-values-file',
      join(work, 'again-values.yaml'),
    ]);
    expect(result.code, result.stderr).toBe(0);
    for (const file of Object.values(files)) {
      expect(await readFile(file, 'utf8')).not.toBe('old\n');
      expect((await stat(file)).mode & 0o077, file).toBe(0);
    }
  });

  it('refuses node-agent options without --node-agent (usage, exit 2) and registers nothing', async () => {
    const result = await vigil.run(['clusters', 'register', 'half', '--node-agent-image', IMAGE]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('need --node-agent');
    expect((await local.api('GET', '/v1/clusters/half')).status).toBe(404);
  });

  it('passes the API’s 400 naming the field through, and registers nothing', async () => {
    const cwd = join(work, 'bad');
    await mkdir(cwd);
    const env = { VIGIL_ENDPOINT: local.url, VIGIL_TOKEN: local.adminToken };
    const result = await runVigil(['clusters', 'register', 'bad-image', '--node-agent', '--node-agent-image', 'Not An Image!'], {
      cwd,
      env,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nodeAgent.image');
    const wrongGroup = await runVigil(['clusters', 'register', 'bad-group', '--node-agent', '--node-agent-group', 'default-ke'], {
      cwd,
      env,
    });
    expect(wrongGroup.code).toBe(1);
    expect(wrongGroup.stderr).toContain('nodeAgent.enforcerGroup');
    expect(wrongGroup.stderr).toContain('of type kube_enforcer');
    expect((await local.api('GET', '/v1/clusters/bad-image')).status).toBe(404);
    expect((await local.api('GET', '/v1/clusters/bad-group')).status).toBe(404);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('refuses to write the agents’ manifest where git would pick it up, before anything is issued', async () => {
    const repo = join(work, 'repo');
    await mkdir(repo);
    execFileSync('git', ['init', '--quiet', repo]);
    const tracked = join(repo, 'agents.yaml');
    const refused = await vigil.run([
      'clusters',
      'register',
      'in-git',
      '--manifest-file',
      join(work, 'in-git.webhook.yaml'),
      '--node-agent',
      '--node-agent-file',
      tracked,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${tracked} is inside a git work tree that does not ignore it, and the node-agent manifest holds`);
    expect(refused.stderr).toContain('Nothing was issued.');
    expect(existsSync(tracked)).toBe(false);
    expect((await local.api('GET', '/v1/clusters/in-git')).status).toBe(404);
  });
});

describe('vigil clusters rotate-node-agent-token', { timeout: SPAWN_TIMEOUT }, () => {
  const ROTATED_LINE = /^Node-agent token \(shown only now; the Secret holds it\): (vigil_agt_[A-Za-z0-9_-]{43})$/m;
  const registerAs = (token: string) =>
    local.api('POST', '/v1/enforcers/register', { name: 'bridge-rotating', type: 'agent' }, { authorization: `Bearer ${token}` });

  it('writes the token Secret owner-only over an existing file, prints the token once, and only the new token works', async () => {
    const cwd = join(work, 'rotate');
    await mkdir(cwd);
    const env = { VIGIL_ENDPOINT: local.url, VIGIL_TOKEN: local.adminToken };
    const registered = await runVigil(['clusters', 'register', 'rotating', '--node-agent', '--node-agent-namespace', 'agents'], {
      cwd,
      env,
    });
    expect(registered.code, registered.stderr).toBe(0);
    const oldToken = TOKEN_LINE.exec(registered.stderr)![1]!;
    const file = join(cwd, 'vigil-node-agent-token-rotating.yaml');
    await writeFile(file, 'old\n', { mode: 0o644 });
    await chmod(file, 0o644);

    const result = await runVigil(['clusters', 'rotate-node-agent-token', 'rotating'], { cwd, env });
    expect(result.code, result.stderr).toBe(0);
    const token = ROTATED_LINE.exec(result.stdout)![1]!;
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(token).not.toBe(oldToken);
    expect((await stat(file)).mode & 0o077).toBe(0);
    const objects = parseAllDocuments(await readFile(file, 'utf8')).map((document) => document.toJS());
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({
      kind: 'Secret',
      metadata: { name: 'vigil-node-agent-token', namespace: 'agents' },
      stringData: { token },
    });
    expect(validateKubernetesObject(objects[0])).toEqual([]);
    expect(result.stderr).toContain('kubectl apply -f vigil-node-agent-token-rotating.yaml');
    expect(result.stderr).toContain('kubectl rollout restart -n agents deployment/vigil-bridge daemonset/vigil-forwarder');
    expect(result.stderr).toContain('The previous node-agent token of "rotating" no longer works.');
    expect(`${result.stdout}${result.stderr}`.split(token)).toHaveLength(2);

    await eventually(async () => {
      expect((await registerAs(token)).status).toBe(200);
      expect((await registerAs(oldToken)).status).toBe(401);
    });
  });

  it('answers the token and the Secret with -o json, writing no file', async () => {
    const cwd = join(work, 'rotate-json');
    await mkdir(cwd);
    const env = { VIGIL_ENDPOINT: local.url, VIGIL_TOKEN: local.adminToken };
    expect((await runVigil(['clusters', 'register', 'rotating-json', '--node-agent', '-o', 'json'], { cwd, env })).code).toBe(0);
    const result = await runVigil(['clusters', 'rotate-node-agent-token', 'rotating-json', '-o', 'json'], { cwd, env });
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer).toMatchObject({
      name: 'rotating-json',
      nodeAgent: { namespace: 'vigil-system', token: expect.stringMatching(/^vigil_agt_/) },
    });
    expect(answer.nodeAgent.manifest).toContain(answer.nodeAgent.token);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('passes the 409 for a cluster without node agents and the 404 for an unknown one through, writing nothing', async () => {
    const cwd = join(work, 'rotate-refused');
    await mkdir(cwd);
    const env = { VIGIL_ENDPOINT: local.url, VIGIL_TOKEN: local.adminToken };
    expect((await runVigil(['clusters', 'register', 'webhook-only', '-o', 'json'], { cwd, env })).code).toBe(0);
    const withoutAgents = await runVigil(['clusters', 'rotate-node-agent-token', 'webhook-only'], { cwd, env });
    expect(withoutAgents.code).toBe(1);
    expect(withoutAgents.stderr).toContain('was registered without node agents');
    const unknown = await runVigil(['clusters', 'rotate-node-agent-token', 'nowhere'], { cwd, env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('cluster "nowhere" is not registered');
    expect(await readdir(cwd)).toEqual([]);
  });

  it('refuses to write the Secret where git would pick it up, before anything is rotated', async () => {
    const repo = join(work, 'rotate-repo');
    await mkdir(repo);
    execFileSync('git', ['init', '--quiet', repo]);
    const registered = await runVigil(['clusters', 'register', 'in-git-rotate', '--node-agent', '-o', 'json'], {
      cwd: work,
      env: { VIGIL_ENDPOINT: local.url, VIGIL_TOKEN: local.adminToken },
    });
    const before = (await local.api('GET', '/v1/clusters/in-git-rotate')).body.version;
    const tracked = join(repo, 'token.yaml');
    const refused = await vigil.run(['clusters', 'rotate-node-agent-token', 'in-git-rotate', '--file', tracked]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${tracked} is inside a git work tree that does not ignore it`);
    expect(existsSync(tracked)).toBe(false);
    expect((await local.api('GET', '/v1/clusters/in-git-rotate')).body.version).toBe(before);
    expect((await registerAs(JSON.parse(registered.stdout).nodeAgent.token)).status).toBe(200);
  });
});
