import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Io } from '../../../cli/output.js';
import { main } from '../../../cli/program.js';
import { useWorkFolder } from '../../support/work-folder.js';
import { useLocalMode, type RunningLocalMode } from '../../support/local-mode.js';

// Enforcer groups declared in policy-as-code files: `vigil apply`, `diff` and `export` against local mode. The CLI
// runs in this process (its `main`, as the launcher calls it) to keep the many runs cheap; the terminal's
// confirmation question is the one boundary answered by a test double, and only where a test says so.

const local = useLocalMode();
// A second, untouched local mode: where an export is restored.
const empty = useLocalMode();
const work = useWorkFolder('vigil-groups-pac-');
const folder = (name: string, files: Record<string, string>) => work.folder(name, files);

/** Runs `vigil …` without a terminal (as CI does): a question is never asked, risky plans need --yes. */
async function vigil(args: readonly string[], server: RunningLocalMode = local) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { VIGIL_ENDPOINT: server.url, VIGIL_TOKEN: server.adminToken, NO_COLOR: '1' },
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

async function group(name: string) {
  return (await local.api('GET', `/v1/enforcer-groups/${name}`)).body;
}

/** The built-in webhook group as the files declare it to enforce: whole, as `vigil export` writes it. */
const enforcingDefaultKe =
  'kind: EnforcerGroup\nname: default-ke\ntype: kube_enforcer\ndescription: Default group for EKS admission webhooks (audit only).\nenforce: true\n';
const teamGroup = 'kind: EnforcerGroup\nname: team-ke\ntype: kube_enforcer\ndescription: Team clusters\nfailMode: closed\n';

describe('enforcer groups in policy-as-code files', () => {
  it('plans the example of the docs: enforce on a built-in group (risky) and a new group', async () => {
    const example = join(import.meta.dirname, '..', '..', '..', 'examples', 'groups');
    const diff = await vigil(['diff', '-f', example]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ update enforcer group "default-ke"');
    expect(diff.stdout).toContain('+ create enforcer group "payments-ke"');
    expect(diff.stdout).toContain('Plan: 1 to create, 1 to update, 0 unchanged.');
    expect(diff.stderr).toContain('warning: enforcer group "default-ke": turns enforcement on');
    expect((await local.api('GET', '/v1/enforcer-groups/payments-ke')).status).toBe(404);
  });

  it('creates a declared group and prints its token once; the files never hold it and diff then agrees', async () => {
    const dir = await folder('create', { 'group.yaml': teamGroup });
    const diff = await vigil(['diff', '-f', dir]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('+ create enforcer group "team-ke"');

    const applied = await vigil(['apply', '-f', dir]);
    expect(applied.code).toBe(0);
    const token = /^vigil_grp_[A-Za-z0-9_-]{43}$/m.exec(applied.stdout)?.[0];
    expect(token).toBeDefined();
    expect(applied.stdout).toContain('Enforcer group "team-ke" created. Its token, shown only this once');
    expect(applied.stdout).toContain('Applied: 1 created, 0 updated.');
    expect(await group('team-ke')).toMatchObject({ name: 'team-ke', type: 'kube_enforcer', failMode: 'closed', enforce: false });
    // The printed token is the group's: the enforcer API accepts it.
    const registered = await fetch(`${local.url}/v1/enforcers/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cluster-a', type: 'kube_enforcer' }),
    });
    expect(registered.status).toBe(200);

    const again = await vigil(['diff', '-f', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Plan: 0 to create, 0 to update, 1 unchanged.');
  });

  it('refuses a token in a file, naming file and field, and writes nothing', async () => {
    const dir = await folder('token', { 'group.yaml': 'kind: EnforcerGroup\nname: leaky\ntype: agent\ntoken: vigil_grp_abc\n' });
    const result = await vigil(['apply', '-f', dir, '--yes']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(dir, 'group.yaml')}: token: a group token never goes in a file`);
    expect((await local.api('GET', '/v1/enforcer-groups/leaky')).status).toBe(404);
  });

  it('updates a built-in group declared whole; turning enforce on needs confirmation', async () => {
    const before = await group('default-ke');
    expect(before.enforce).toBe(false);
    const dir = await folder('enforce', { 'default-ke.yaml': enforcingDefaultKe });

    const dry = await vigil(['apply', '-f', dir, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('~ update enforcer group "default-ke"');
    expect(dry.stdout).toContain('- enforce: false\n+ enforce: true');
    expect(dry.stderr).toContain('warning: enforcer group "default-ke": turns enforcement on');
    expect(dry.stderr).toContain('(needs confirmation)');

    const refused = await vigil(['apply', '-f', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('run again with --yes');
    expect(await group('default-ke')).toEqual(before);

    const applied = await vigil(['apply', '-f', dir, '--yes']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Applied: 0 created, 1 updated.');
    const after = await group('default-ke');
    // Only enforce differed from the stored group, so only it changed.
    const { version: _v1, updatedAt: _u1, ...restBefore } = before;
    const { version: _v2, updatedAt: _u2, ...restAfter } = after;
    expect(restAfter).toEqual({ ...restBefore, enforce: true, updatedBy: restAfter.updatedBy });
    expect(after.version).toBe(before.version + 1);

    const clean = await vigil(['diff', '-f', dir]);
    expect(clean.code).toBe(0);
    // Applying the unchanged file again is a no-op.
    const noop = await vigil(['apply', '-f', dir]);
    expect(noop.code).toBe(0);
    expect((await group('default-ke')).version).toBe(after.version);
  });

  it('applies a declared group whole, as a policy: a field the file leaves out takes its default', async () => {
    const stored = { name: 'whole-ke', type: 'kube_enforcer', description: 'Whole', failMode: 'closed' };
    expect((await local.api('POST', '/v1/enforcer-groups', stored)).status).toBe(201);
    const dir = await folder('whole', { 'group.yaml': 'kind: EnforcerGroup\nname: whole-ke\ntype: kube_enforcer\ndescription: Whole\n' });
    const diff = await vigil(['diff', '-f', dir]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ update enforcer group "whole-ke"');
    expect(diff.stdout).toContain('- failMode: closed\n+ failMode: open');
    const applied = await vigil(['apply', '-f', dir]);
    expect(applied.code).toBe(0);
    expect(await group('whole-ke')).toMatchObject({ ...stored, failMode: 'open' });
    // The same file through the import: the same whole group, so nothing differs.
    const imported = await vigil(['import', join(dir, 'group.yaml'), '-o', 'json']);
    expect(JSON.parse(imported.stdout).items).toEqual([expect.objectContaining({ name: 'whole-ke', result: 'unchanged' })]);
    // The later tests count the groups on the server.
    expect((await local.api('DELETE', '/v1/enforcer-groups/whole-ke')).status).toBe(204);
  });

  it('exports the groups without tokens or server fields; applying the export changes nothing', async () => {
    const file = work.path('export.yaml');
    const exported = await vigil(['export', '--file', file]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain('3 enforcer groups');
    const text = await readFile(file, 'utf8');
    expect(text).not.toMatch(/token|vigil_grp_|version:|updatedAt/);
    expect(parse(text).enforcerGroups).toEqual([
      expect.objectContaining({ name: 'default', type: 'agent' }),
      expect.objectContaining({ name: 'default-ke', type: 'kube_enforcer', enforce: true }),
      expect.objectContaining({ name: 'team-ke', type: 'kube_enforcer', failMode: 'closed' }),
    ]);
    const diff = await vigil(['diff', '-f', file, '--prune']);
    expect(diff.code).toBe(0);

    // The import takes the export as it is, groups included: all three are unchanged, and no warning drops them.
    const imported = await vigil(['import', file, '--dry-run', '-o', 'json']);
    expect(imported.code).toBe(0);
    expect(imported.stderr).not.toContain('not imported');
    const groups = JSON.parse(imported.stdout).items.filter((item: { kind: string }) => item.kind === 'enforcerGroup');
    expect(groups.map((item: { name: string; result: string }) => [item.name, item.result])).toEqual([
      ['default', 'unchanged'],
      ['default-ke', 'unchanged'],
      ['team-ke', 'unchanged'],
    ]);
  });

  it('round-trips through an empty local mode: export, import there, export again gives the same document', async () => {
    const file = work.path('restore.yaml');
    expect((await vigil(['export', '--file', file])).code).toBe(0);
    const restored = await vigil(['import', file], empty);
    expect(restored.code).toBe(0);
    // The group the empty control plane lacked is created, with a new token of its own.
    expect(restored.stdout).toMatch(/team-ke: vigil_grp_\S+/);
    const again = await vigil(['export'], empty);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(await readFile(file, 'utf8'));
  });

  it('imports a new group from a file with the policies and prints its token once', async () => {
    const file = work.path('import-group.yaml');
    await writeFile(file, 'formatVersion: 1\nenforcerGroups:\n  - name: imported-ke\n    type: kube_enforcer\n    failMode: closed\n');
    const imported = await vigil(['import', file]);
    expect(imported.code).toBe(0);
    const token = /imported-ke: (vigil_grp_\S+)/.exec(imported.stdout)?.[1];
    expect(token).toBeDefined();
    expect(await group('imported-ke')).toMatchObject({ type: 'kube_enforcer', failMode: 'closed' });
    const again = await vigil(['import', file]);
    expect(again.stdout).not.toContain('vigil_grp_');
    expect(again.stderr).toContain('0 created, 0 updated, 1 unchanged');
    // The later tests count the groups on the server.
    expect((await local.api('DELETE', '/v1/enforcer-groups/imported-ke')).status).toBe(204);
  });

  // The clusters whose manifests carry other settings than their group are only known to the server; an apply or
  // a diff that leaves the group as it is still names them, as a save of the group would, and writes nothing.
  it('names the clusters to re-issue of a group the files leave unchanged, with --dry-run and diff too', async () => {
    const declared = 'kind: EnforcerGroup\nname: advised-ke\ntype: kube_enforcer\nfailMode: open\n';
    expect((await local.api('POST', '/v1/enforcer-groups', { name: 'advised-ke', type: 'kube_enforcer', failMode: 'closed' })).status).toBe(
      201,
    );
    expect((await local.api('POST', '/v1/clusters', { name: 'advised-cluster', enforcerGroup: 'advised-ke' })).status).toBe(201);
    const group = (await local.api('GET', '/v1/enforcer-groups/advised-ke')).body;
    // The group changes after the cluster's manifest was issued: the manifest still says closed.
    expect((await local.api('PUT', '/v1/enforcer-groups/advised-ke', { ...group, failMode: 'open' })).body.clustersToReissue).toEqual([
      'advised-cluster',
    ]);
    const version = (await local.api('GET', '/v1/enforcer-groups/advised-ke')).body.version;
    const dir = await folder('advised-group', { 'advised-ke.yaml': declared });
    const advice =
      'warning: enforcer group "advised-ke": the manifests of 1 cluster (advised-cluster) still carry the group\'s previous failMode, timeoutSeconds or exemptKubeSystem';
    for (const args of [
      ['apply', '-f', dir],
      ['apply', '-f', dir, '--dry-run'],
      ['diff', '-f', dir],
    ]) {
      const result = await vigil(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stderr, args.join(' ')).toContain(advice);
    }
    expect((await local.api('GET', '/v1/enforcer-groups/advised-ke')).body.version).toBe(version);
    expect((await local.api('DELETE', '/v1/clusters/advised-cluster')).status).toBe(204);
    expect((await local.api('DELETE', '/v1/enforcer-groups/advised-ke')).status).toBe(204);
  });

  it('prunes undeclared groups with --prune --yes, never the built-in ones, and never one a cluster uses', async () => {
    const dir = await folder('prune', { 'default-ke.yaml': enforcingDefaultKe });
    const kept = await vigil(['apply', '-f', dir]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('# 1 item is on the server but not in the files (kept; --prune deletes it):');

    const diff = await vigil(['diff', '-f', dir, '--prune']);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('- delete enforcer group "team-ke"');
    expect(diff.stdout).not.toContain('delete enforcer group "default"');

    // A cluster in the group: the prune is refused before anything is written.
    expect((await local.api('POST', '/v1/clusters', { name: 'team-cluster', enforcerGroup: 'team-ke' })).status).toBe(201);
    const refused = await vigil(['apply', '-f', dir, '--prune', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cluster "team-cluster" uses it');
    expect((await local.api('GET', '/v1/enforcer-groups/team-ke')).status).toBe(200);

    expect((await local.api('DELETE', '/v1/clusters/team-cluster')).status).toBe(204);
    const unconfirmed = await vigil(['apply', '-f', dir, '--prune']);
    expect(unconfirmed.code).toBe(1);
    expect((await local.api('GET', '/v1/enforcer-groups/team-ke')).status).toBe(200);

    const pruned = await vigil(['apply', '-f', dir, '--prune', '--yes']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('Applied: 0 created, 0 updated, 1 deleted.');
    expect((await local.api('GET', '/v1/enforcer-groups/team-ke')).status).toBe(404);
    expect((await local.api('GET', '/v1/enforcer-groups/default')).status).toBe(200);
    expect((await vigil(['diff', '-f', dir, '--prune'])).code).toBe(0);
  });
});
