import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFixture } from '../../support/fixtures.js';
import { eventually, useLocalMode } from '../../support/local-mode.js';
import { SPAWN_TIMEOUT, vigilFor } from './run-vigil.js';

// Everyday administration with the real `vigil` binary against local mode: get/list/delete, cluster registration,
// token rotation, and the audit log (an exec into a pod, sent to the webhook as the EKS API server would).

const local = useLocalMode({ configRecheckMs: 100 });
const vigil = vigilFor(local);
let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-cli-res-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Every key of a JSON value as a dotted path, in the order the value holds them. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return [path, ...keyPaths(inner, path)];
  });
}

function execSh(): any {
  const review = readFixture<any>('admission', 'exec-guard', 'denied', 'exec-sh.json');
  review.request.uid = crypto.randomUUID();
  return review;
}

describe('vigil get, list and delete', { timeout: SPAWN_TIMEOUT }, () => {
  beforeAll(async () => {
    expect(
      (
        await local.api('POST', '/v1/application-scopes', {
          name: 'team a',
          expression: 'v1',
          variables: [{ attribute: 'kubernetes.namespace', value: 'team-a' }],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await local.api('POST', '/v1/policies', {
          name: 'lambda guard',
          type: 'function',
          controls: { blockAllProcesses: { enabled: true } },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await local.api('POST', '/v1/policies', {
          name: 'exec-guard',
          type: 'container',
          scope: { applicationScopes: ['team a'] },
          controls: { blockContainerExec: { enabled: true } },
        })
      ).status,
    ).toBe(201);
  });

  it('lists policies as a table, filtered by type', async () => {
    const all = await vigil.run(['list', 'policies']);
    expect(all.code).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +TYPE +MODE +ENABLED +SCOPES +CONTROLS +VERSION$/);
    expect(lines.slice(1).map((line) => line.split(/ {2,}/)[0])).toEqual(['exec-guard', 'lambda guard']);
    expect(all.stdout).toMatch(/exec-guard +container +audit +true +team a +blockContainerExec +1/);
    const functions = await vigil.run(['ls', 'policy', '--type', 'function', '-o', 'json']);
    expect(JSON.parse(functions.stdout).map((p: any) => p.name)).toEqual(['lambda guard']);
  });

  it('gets one item as a table, JSON or YAML, names with spaces included', async () => {
    const yaml = await vigil.run(['get', 'policies', 'lambda guard', '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(parse(yaml.stdout)).toMatchObject({ name: 'lambda guard', type: 'function', version: 1 });
    const json = await vigil.run(['get', 'scope', 'team a', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'team a', expression: 'v1' });
    const table = await vigil.run(['get', 'groups', 'default-ke']);
    expect(table.stdout).toMatch(
      /^NAME +TYPE +ENFORCE +CONTAINER +HOST +FAIL MODE +VERSION\ndefault-ke +kube_enforcer +audit only +true +true +open +\d+\n$/,
    );
    const settings = await vigil.run(['get', 'settings', '-o', 'json']);
    expect(JSON.parse(settings.stdout)).toMatchObject({ admissionWarnings: true, auditRetentionDays: 90 });
    const scopes = await vigil.run(['get', 'application-scopes']);
    expect(scopes.stdout).toMatch(/team a +v1 +kubernetes\.namespace=team-a/);
  });

  it('prints -o yaml and -o json keys in the order of export (schema and catalog order), server-managed fields last', async () => {
    // Written in the opposite order on purpose: what the server stores and answers must not decide the output.
    expect(
      (
        await local.api('POST', '/v1/policies', {
          controls: { blockPortForward: { enabled: true }, blockContainerExec: { allowedProcesses: ['/bin/date'], enabled: true } },
          scope: { variables: [], expression: '', applicationScopes: ['team a'] },
          enforcementMode: 'audit',
          type: 'container',
          name: 'ordered',
        })
      ).status,
    ).toBe(201);
    const exported = parse((await vigil.run(['export', '-o', 'yaml'])).stdout);
    const inExport = exported.policies.find((p: { name: string }) => p.name === 'ordered');
    const serverFields = ['version', 'createdAt', 'updatedAt', 'updatedBy'];
    for (const format of ['yaml', 'json']) {
      const got = await vigil.run(['get', 'policy', 'ordered', '-o', format]);
      const item = format === 'yaml' ? parse(got.stdout) : JSON.parse(got.stdout);
      const exportedPaths = keyPaths(inExport);
      expect(keyPaths(item).filter((path) => exportedPaths.includes(path))).toEqual(exportedPaths);
      expect(Object.keys(item).slice(0, 2)).toEqual(['name', 'type']);
      expect(Object.keys(item).filter((key) => serverFields.includes(key))).toEqual(
        Object.keys(item).slice(-serverFields.filter((f) => f in item).length),
      );
    }
    const scope = parse((await vigil.run(['get', 'scope', 'team a', '-o', 'yaml'])).stdout);
    expect(Object.keys(scope).slice(0, 3)).toEqual(['name', 'expression', 'variables']);
    const group = parse((await vigil.run(['get', 'group', 'default-ke', '-o', 'yaml'])).stdout);
    expect(Object.keys(group).slice(0, 2)).toEqual(['name', 'type']);
    expect(Object.keys(group).at(-1)).not.toBe('name');
    await local.api('DELETE', '/v1/policies/ordered');
  });

  it('lists templates and controls, and prints a template as a policy ready to apply', async () => {
    const templates = await vigil.run(['templates']);
    expect(templates.code).toBe(0);
    for (const id of ['default', 'cis-kubernetes', 'nist-800-190', 'lambda-default']) expect(templates.stdout).toContain(id);
    const cis = await vigil.run(['templates', 'cis-kubernetes', '--name', 'cis']);
    expect(parse(cis.stdout)).toMatchObject({ name: 'cis', type: 'container' });
    const controls = await vigil.run(['controls', '--type', 'function']);
    expect(controls.stdout).toMatch(/^KEY +TYPE +NAME +ENFORCED BY +ACTS ON\n/);
    expect(controls.stdout).toContain('honeypot');
    expect(controls.stdout).not.toContain('blockContainerExec');
  });

  it('answers a missing item with exit 1 and the API error', async () => {
    const result = await vigil.run(['get', 'policy', 'nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('not_found: policy "nope" does not exist\n');
    expect(result.stdout).toBe('');
  });

  it('deletes, with If-Match when a version is given', async () => {
    const stale = await vigil.run(['delete', 'policy', 'lambda guard', '--if-version', '7']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^version_mismatch: /);
    expect((await local.api('GET', '/v1/policies/lambda%20guard')).status).toBe(200);

    const deleted = await vigil.run(['delete', 'policies', 'lambda guard', '--if-version', '1']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe('Deleted policy "lambda guard".\n');
    expect((await local.api('GET', '/v1/policies/lambda%20guard')).status).toBe(404);
  });

  it('reports conflicts from the API with exit 1', async () => {
    const inUse = await vigil.run(['delete', 'scope', 'team a']);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/^conflict: /);
    const settings = await vigil.run(['delete', 'settings', 'x']);
    expect(settings.code).toBe(2);
    expect(settings.stderr).toContain('cannot delete "settings"');
  });
});

describe('vigil clusters and groups', { timeout: SPAWN_TIMEOUT }, () => {
  it('registers a cluster and writes the manifest to a file, printing the webhook URL', async () => {
    const manifestFile = join(work, 'webhook.yaml');
    const result = await vigil.run(['clusters', 'register', 'demo', '--manifest-file', manifestFile]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Webhook URL: http:\/\/127\.0\.0\.1:\d+\/v1\/admission\/demo\/\S+\n$/);
    expect(result.stderr).toContain(`Manifest written to ${manifestFile}`);
    const manifest = parse(await readFile(manifestFile, 'utf8'));
    expect(manifest).toMatchObject({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' });
    expect(JSON.stringify(manifest)).toContain(result.stdout.trim().replace('Webhook URL: ', ''));
    expect((await stat(manifestFile)).mode & 0o077).toBe(0);
    expect((await local.api('GET', '/v1/clusters/demo')).body).toMatchObject({ name: 'demo', enforcerGroup: 'default-ke' });
  });

  it('prints the manifest on stdout without --manifest-file, the URL on stderr', async () => {
    const result = await vigil.run(['clusters', 'register', 'piped']);
    expect(result.code).toBe(0);
    expect(parse(result.stdout)).toMatchObject({ kind: 'ValidatingWebhookConfiguration' });
    expect(result.stderr).toMatch(/Webhook URL: http:\/\/\S+\/v1\/admission\/piped\//);
  });

  it('refuses to write the manifest where git would pick it up, before anything is issued', async () => {
    const repo = join(work, 'repo');
    await mkdir(repo);
    execFileSync('git', ['init', '--quiet', repo]);
    const tracked = join(repo, 'prod.yaml');
    const refused = await vigil.run(['clusters', 'register', 'in-git', '--manifest-file', tracked]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${tracked} is inside a git work tree that does not ignore it`);
    expect(refused.stderr).toContain('Nothing was issued.');
    expect(refused.stdout).toBe('');
    expect(existsSync(tracked)).toBe(false);
    expect((await local.api('GET', '/v1/clusters/in-git')).status).toBe(404);

    // Ignored by the repository's .gitignore: written, readable only by its owner.
    await writeFile(join(repo, '.gitignore'), '*.webhook.yaml\n');
    const ignored = join(repo, 'prod.webhook.yaml');
    const written = await vigil.run(['clusters', 'register', 'in-git', '--manifest-file', ignored]);
    expect(written.code).toBe(0);
    expect((await stat(ignored)).mode & 0o077).toBe(0);
    // Or anywhere, when asked explicitly.
    const forced = await vigil.run(['clusters', 'rotate-secret', 'in-git', '--manifest-file', tracked, '--allow-git-tracked']);
    expect(forced.code).toBe(0);
    expect(existsSync(tracked)).toBe(true);
  });

  it('refuses a duplicate registration with exit 1', async () => {
    const result = await vigil.run(['clusters', 'register', 'demo']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^conflict: /);
  });

  it('rotates the webhook secret: the new URL works, the old one does not', async () => {
    const oldUrl = (await vigil.run(['clusters', 'register', 'rotating', '--manifest-file', join(work, 'r1.yaml')])).stdout
      .trim()
      .replace('Webhook URL: ', '');
    const rotated = await vigil.run(['clusters', 'rotate-secret', 'rotating', '-o', 'json']);
    expect(rotated.code).toBe(0);
    const answer = JSON.parse(rotated.stdout);
    expect(answer.webhookUrl).not.toBe(oldUrl);
    expect(answer.manifest).toContain(answer.webhookUrl);
    await eventually(async () => expect((await local.post(`${oldUrl}?timeout=10s`, execSh())).status).toBe(401));
    expect((await local.post(`${answer.webhookUrl}?timeout=10s`, execSh())).status).toBe(200);
  });

  it('re-issues the manifests a group change left behind, one file per cluster, and the old URLs stop working', async () => {
    await local.api('POST', '/v1/enforcer-groups', { name: 'edge-ke', type: 'kube_enforcer' });
    const oldUrl = (
      await vigil.run(['clusters', 'register', 'edge-1', '--group', 'edge-ke', '--manifest-file', join(work, 'e1.yaml')])
    ).stdout
      .trim()
      .replace('Webhook URL: ', '');
    const changed = await local.api('PUT', '/v1/enforcer-groups/edge-ke', { name: 'edge-ke', type: 'kube_enforcer', timeoutSeconds: 12 });
    expect(changed.body.clustersToReissue).toEqual(['edge-1']);

    const usage = await vigil.run(['groups', 'reissue', 'edge-ke']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--manifest-dir');

    const dir = join(work, 'reissued');
    await mkdir(dir);
    const result = await vigil.run(['groups', 'reissue', 'edge-ke', '--manifest-dir', dir]);
    expect(result.code).toBe(0);
    const newUrl = /^edge-1: (\S+)\n$/.exec(result.stdout)![1]!;
    expect(newUrl).not.toBe(oldUrl);
    const file = join(dir, 'edge-1.webhook.yaml');
    expect(parse(await readFile(file, 'utf8')).webhooks[0]).toMatchObject({ timeoutSeconds: 12, clientConfig: { url: newUrl } });
    expect((await stat(file)).mode & 0o077).toBe(0);
    expect(result.stderr).toContain('Re-issued 1 cluster');
    await eventually(async () => expect((await local.post(`${oldUrl}?timeout=10s`, execSh())).status).toBe(401));
    expect((await local.post(`${newUrl}?timeout=10s`, execSh())).status).toBe(200);

    const again = await vigil.run(['groups', 'reissue', 'edge-ke', '-o', 'json']);
    expect(JSON.parse(again.stdout)).toEqual({ items: [] });
    expect(again.stderr).toContain('nothing was re-issued');
  });

  it('rotates an enforcer group token and prints it once', async () => {
    const before = (await local.api('GET', '/v1/enforcer-groups/default')).body.version;
    const result = await vigil.run(['groups', 'rotate-token', 'default']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^vigil_grp_[A-Za-z0-9_-]{43}\n$/);
    expect(result.stderr).toContain('shown only this once');
    expect((await local.api('GET', '/v1/enforcer-groups/default')).body.version).toBe(before + 1);
    const again = await vigil.run(['groups', 'rotate-token', 'default', '-o', 'json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ name: 'default', token: expect.stringMatching(/^vigil_grp_/) });
    expect(JSON.parse(again.stdout).token).not.toBe(result.stdout.trim());
    const missing = await vigil.run(['groups', 'rotate-token', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^not_found: /);
  });
});

describe('vigil audit', { timeout: SPAWN_TIMEOUT }, () => {
  let webhook = '';

  beforeAll(async () => {
    const dir = join(work, 'audit-policy.yaml');
    await writeFile(dir, 'name: global-exec-guard\ntype: container\ncontrols:\n  blockContainerExec: {enabled: true}\n');
    expect((await vigil.run(['apply', '-f', dir])).code).toBe(0);
    const registered = await vigil.run(['clusters', 'register', 'audited', '--manifest-file', join(work, 'audited.yaml')]);
    webhook = `${registered.stdout.trim().replace('Webhook URL: ', '')}?timeout=10s`;
    // Configuration reaches the webhook within the recheck interval: retry until the exec is recorded.
    await eventually(async () => {
      const answer = await local.post(webhook, execSh());
      expect(answer.body.response.warnings?.join(' ') ?? '').toContain('global-exec-guard');
    }, 10_000);
  }, SPAWN_TIMEOUT);

  it('lists events with the API filters, as a table or JSON', async () => {
    const table = await vigil.run(['audit', 'list', '--cluster', 'audited', '--status', 'Detect', '--since', '1h']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^TIME +STATUS +POLICY +CONTROL +ACTION +WORKLOAD +MESSAGE\n/);
    expect(table.stdout).toMatch(/Detect +global-exec-guard +blockContainerExec +exec +audited\/default\/test-nginx +exec of "sh"/);

    const json = await vigil.run(['audit', 'list', '--policy', 'global-exec-guard', '--limit', '1', '-o', 'json']);
    const events = JSON.parse(json.stdout);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      status: 'Detect',
      policy: 'global-exec-guard',
      control: 'blockContainerExec',
      workload: { cluster: 'audited', namespace: 'default', pod: 'test-nginx' },
      command: ['sh'],
    });

    const one = await vigil.run(['audit', 'get', events[0].id, '-o', 'json']);
    expect(JSON.parse(one.stdout)).toEqual(events[0]);

    const none = await vigil.run(['audit', 'list', '--status', 'Block', '-o', 'json']);
    expect(JSON.parse(none.stdout)).toEqual([]);
    const bad = await vigil.run(['audit', 'list', '--since', 'last tuesday']);
    expect(bad.code).toBe(2);
  });

  it('tails: prints the newest event, follows a new one, and stops on SIGINT with exit 0', async () => {
    const tail = vigil.start(['audit', 'tail', '--interval', '200ms', '-n', '1', '--cluster', 'audited']);
    try {
      await tail.waitForOutput(/exec of "sh" is not an allowed process\n/);
      const before = tail.stdout().trimEnd().split('\n');
      expect(before).toHaveLength(1);
      expect(before[0]).toMatch(
        /^\S+Z {2}Detect {2}global-exec-guard\/blockContainerExec {6}exec {8}audited\/default\/test-nginx {16}exec of "sh"/,
      );

      expect((await local.post(webhook, execSh())).body.response.allowed).toBe(true);
      await tail.waitForOutput(/(exec of "sh" is not an allowed process\n.*){2}/s);
      const after = tail.stdout().trimEnd().split('\n');
      expect(after).toHaveLength(2);
      expect(after[1]! >= after[0]!).toBe(true);
    } finally {
      tail.child.kill('SIGINT');
    }
    const result = await tail.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});
