import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { useWorkFolder } from '../../support/work-folder.js';
import { useLocalMode } from '../../support/local-mode.js';
import { repoRoot, SPAWN_TIMEOUT, vigilFor } from './run-vigil.js';

// Policy as code with the real `vigil` binary against local mode: apply, diff, export, import and prune, with the
// exit codes CI pipelines rely on.

const local = useLocalMode();
const vigil = vigilFor(local);
const work = useWorkFolder('vigil-cli-pac-');
const folder = (name: string, files: Record<string, string>) => work.folder(name, files);

const paymentsScope = `name: payments-prod
description: Payments in production
expression: v1 && v2
variables:
  - attribute: kubernetes.cluster
    value: prod-*
  - attribute: kubernetes.namespace
    value: payments
`;

const execGuard = `name: exec-guard
type: container
enforcementMode: audit
scope:
  applicationScopes: [payments-prod]
controls:
  blockContainerExec:
    enabled: true
    allowedProcesses: [/usr/bin/date]
`;

async function serverNames() {
  const policies = (await local.api('GET', '/v1/policies')).body.items.map((p: any) => p.name);
  const scopes = (await local.api('GET', '/v1/application-scopes')).body.items.map((s: any) => s.name);
  return { policies: policies.sort(), scopes: scopes.sort() };
}

describe('vigil apply and vigil diff', { timeout: SPAWN_TIMEOUT }, () => {
  it('writes nothing and exits 1 when any file of the folder is invalid, naming file and path', async () => {
    const before = await serverNames();
    const settingsBefore = (await local.api('GET', '/v1/settings/enforcer')).body;
    const dir = await folder('bad', {
      '10-scope.yaml': paymentsScope,
      '20-policy.yaml': execGuard,
      '30-settings.yaml': 'kind: settings\nauditRetentionDays: 30\n',
      '40-broken.yaml':
        'name: typo-policy\ntype: container\ncontrols:\n  blockContainerExek: {enabled: true}\n---\nname: other\ntype: container\nenforcementMode: sometimes\n',
    });
    const result = await vigil.run(['apply', '-f', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: the files have 2 problems; nothing was written');
    expect(result.stderr).toContain(
      `${join(dir, '40-broken.yaml')} (document 1): controls: "blockContainerExek" is not a control of container policies`,
    );
    expect(result.stderr).toContain(`${join(dir, '40-broken.yaml')} (document 2): enforcementMode:`);
    expect(result.stdout).toBe('');
    expect(await serverNames()).toEqual(before);
    expect((await local.api('GET', '/v1/settings/enforcer')).body).toEqual(settingsBefore);
  });

  it('maps what only the server checks back to the file, and writes nothing', async () => {
    const dir = await folder('past', {
      'a-scope.yaml': 'name: past-scope\n',
      'b-policy.yaml': 'name: too-late\ntype: container\nenforcementModeChange:\n  to: enforce\n  at: 2001-01-01T00:00:00Z\n',
    });
    const result = await vigil.run(['apply', '-f', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^validation_failed: /);
    expect(result.stderr).toContain(`  ${join(dir, 'b-policy.yaml')}: enforcementModeChange.at: `);
    expect((await serverNames()).scopes).not.toContain('past-scope');
  });

  it('shows the plan with --dry-run and writes nothing', async () => {
    const dir = await folder('good', { 'scope.yaml': paymentsScope, 'policy.yaml': execGuard });
    const result = await vigil.run(['apply', '-f', dir, '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('+ create application scope "payments-prod"');
    expect(result.stdout).toContain('+ create policy "exec-guard"');
    expect(result.stdout).toContain('Plan: 2 to create, 0 to update, 0 unchanged.');
    expect(result.stderr).toContain('Dry run: nothing was written.');
    expect((await serverNames()).policies).not.toContain('exec-guard');
  });

  it('diff exits 2 while the server differs; apply makes it agree; diff then exits 0', async () => {
    const dir = work.path('good');
    const diffBefore = await vigil.run(['diff', '-f', dir]);
    expect(diffBefore.code).toBe(2);
    expect(diffBefore.stdout).toContain('Plan: 2 to create');

    const applied = await vigil.run(['apply', '-f', dir]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Applied: 2 created, 0 updated.');
    const stored = (await local.api('GET', '/v1/policies/exec-guard')).body;
    expect(stored).toMatchObject({
      name: 'exec-guard',
      scope: { applicationScopes: ['payments-prod'] },
      controls: { blockContainerExec: { enabled: true, allowedProcesses: ['/usr/bin/date'] } },
    });

    const diffAfter = await vigil.run(['diff', '-f', dir]);
    expect(diffAfter.code).toBe(0);
    expect(diffAfter.stdout).toContain('Plan: 0 to create, 0 to update, 2 unchanged.');
    const again = await vigil.run(['apply', '-f', dir]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Nothing to change.');
  });

  it('round-trips like git: export → edit the file → apply → diff shows nothing', async () => {
    const file = work.path('vigil.yaml');
    const exported = await vigil.run(['export', '--file', file]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain(`to ${file}`);
    const text = await readFile(file, 'utf8');
    expect(parse(text)).toMatchObject({
      formatVersion: 1,
      policies: [{ name: 'exec-guard' }],
      applicationScopes: [{ name: 'payments-prod' }],
      settings: { auditRetentionDays: 90 },
    });

    expect((await vigil.run(['diff', '-f', file])).code).toBe(0);

    // An engineer edits the file: enforce the guard, allow one more process, shorten the audit retention.
    const edited = text
      .replace('enforcementMode: audit', 'enforcementMode: enforce')
      .replace('- /usr/bin/date', '- /usr/bin/date\n          - /bin/ls')
      .replace('auditRetentionDays: 90', 'auditRetentionDays: 30');
    expect(edited).not.toBe(text);
    await writeFile(file, edited);

    const diff = await vigil.run(['diff', '-f', file]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ update policy "exec-guard"');
    expect(diff.stdout).toContain('- enforcementMode: audit\n+ enforcementMode: enforce');
    expect(diff.stdout).toContain('        - /usr/bin/date\n+       - /bin/ls');
    expect(diff.stdout).toContain('~ update enforcer settings');
    expect(diff.stdout).toContain('- auditRetentionDays: 90\n+ auditRetentionDays: 30');
    expect(diff.stdout).not.toContain('\u001b[');

    const applied = await vigil.run(['apply', '-f', file]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Applied: 0 created, 2 updated.');

    const clean = await vigil.run(['diff', '-f', file]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).not.toMatch(/^[+~-] /m);
    // A policy, a scope, the settings and the two built-in enforcer groups the export carries.
    expect(clean.stdout).toContain('Plan: 0 to create, 0 to update, 5 unchanged.');
    expect((await vigil.run(['export'])).stdout).toBe(edited);
    expect((await local.api('GET', '/v1/policies/exec-guard')).body.enforcementMode).toBe('enforce');
  });

  it('exports JSON too, which applies like YAML', async () => {
    const result = await vigil.run(['export', '-o', 'json']);
    expect(result.code).toBe(0);
    const file = work.path('vigil.json');
    await writeFile(file, result.stdout);
    expect(JSON.parse(result.stdout)).toMatchObject({ formatVersion: 1 });
    expect((await vigil.run(['diff', '-f', file])).code).toBe(0);
  });

  it('applies from stdin', async () => {
    const result = await vigil.run(['diff', '-f', '-'], { input: paymentsScope });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 unchanged');
  });

  it('--prune deletes what the files no longer declare, policies before their scopes', async () => {
    const dir = await folder('prune', {
      'keep.yaml': 'name: keeper\ntype: host\n',
    });
    // Without --prune the extra items stay and are named.
    const kept = await vigil.run(['apply', '-f', dir]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('# 2 items are on the server but not in the files (kept; --prune deletes them):');
    expect((await serverNames()).policies).toEqual(['exec-guard', 'keeper']);

    const diff = await vigil.run(['diff', '-f', dir, '--prune']);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('- delete policy "exec-guard"');
    expect(diff.stdout).toContain('- delete application scope "payments-prod"');

    // Deletions are risky: without a terminal to ask on, they need --yes, and without it nothing is written.
    const unconfirmed = await vigil.run(['apply', '-f', dir, '--prune']);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain(
      'warning: policy "exec-guard": deleted: the files no longer declare it (--prune) (needs confirmation)',
    );
    expect(unconfirmed.stderr).toContain('error: the plan has 2 risky changes (marked "needs confirmation" above): run again with --yes');
    expect((await serverNames()).policies).toEqual(['exec-guard', 'keeper']);

    const pruned = await vigil.run(['apply', '-f', dir, '--prune', '--yes']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('Applied: 0 created, 0 updated, 2 deleted.');
    expect(await serverNames()).toEqual({ policies: ['keeper'], scopes: ['Global'] });
    expect((await vigil.run(['diff', '-f', dir, '--prune'])).code).toBe(0);
  });

  it('refuses a prune that would delete a scope a declared policy still uses, before writing anything', async () => {
    await local.api('POST', '/v1/application-scopes', { name: 'team-a' });
    const dir = await folder('prune-conflict', { 'p.yaml': 'name: keeper\ntype: host\nscope:\n  applicationScopes: [team-a]\n' });
    const result = await vigil.run(['apply', '-f', dir, '--prune']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'p.yaml: scope.applicationScopes.0: application scope "team-a" is not in the files, so --prune would delete it',
    );
    expect((await local.api('GET', '/v1/policies/keeper')).body.scope.applicationScopes).toEqual(['Global']);
  });
});

describe('vigil apply: warnings and confirmation', { timeout: SPAWN_TIMEOUT }, () => {
  it('shows that removing the kube-system bypass is risky, with --dry-run too, and needs --yes', async () => {
    const dir = await folder('no-bypass', { 'settings.yaml': 'kind: settings\nbypassScopes: []\n' });
    const dry = await vigil.run(['apply', '-f', dir, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(
      'warning: enforcer settings: removes global bypass entries container.label[io.kubernetes.pod.namespace]=kube-system, kubernetes.namespace=kube-system: those workloads become subject to your policies',
    );
    const refused = await vigil.run(['apply', '-f', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('run again with --yes to apply them; nothing was written');
    expect((await local.api('GET', '/v1/settings/enforcer')).body.bypassScopes).toHaveLength(2);

    const confirmed = await vigil.run(['apply', '-f', dir, '--yes']);
    expect(confirmed.code).toBe(0);
    expect((await local.api('GET', '/v1/settings/enforcer')).body.bypassScopes).toEqual([]);
  });

  it('prints the save-time warnings of the policies it writes, and asks before a policy blocks in an enforcing group', async () => {
    const group = (await local.api('GET', '/v1/enforcer-groups/default-ke')).body;
    expect((await local.api('PUT', '/v1/enforcer-groups/default-ke', { ...group, enforce: true })).status).toBe(200);
    const dir = await folder('enforcing', {
      'p.yaml':
        'name: blocker\ntype: container\nenforcementMode: enforce\ncontrols:\n  blockContainerExec: {enabled: true}\n  allowedRegistries: {enabled: true, registries: []}\n',
    });
    const refused = await vigil.run(['apply', '-f', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'warning: policy "blocker": goes to enforce mode while enforcer group "default-ke" enforces: its violations will be blocked (needs confirmation)',
    );
    expect(refused.stderr).toContain('warning: policy "blocker": Registries Allowed (allowedRegistries) has an empty registries list');
    expect((await local.api('GET', '/v1/policies/blocker')).status).toBe(404);
    const applied = await vigil.run(['apply', '-f', dir, '-y']);
    expect(applied.code).toBe(0);
    expect((await local.api('GET', '/v1/policies/blocker')).body.enforcementMode).toBe('enforce');
  });
});

describe('vigil apply: warnings of unchanged items', { timeout: SPAWN_TIMEOUT }, () => {
  // The advice is about the item, not about the write: re-applying the same files tells it again.
  it('prints the save-time warnings of a policy the files leave unchanged, as the API answers them', async () => {
    const dir = await folder('advised-unchanged', {
      'p.yaml': 'name: advised-unchanged\ntype: container\ncontrols:\n  limitContainerPrivileges: {enabled: true}\n',
    });
    expect((await vigil.run(['apply', '-f', dir])).code).toBe(0);
    const warnings = (
      await local.api('PUT', '/v1/policies/advised-unchanged', (await local.api('GET', '/v1/policies/advised-unchanged')).body)
    ).body.warnings;
    expect(warnings).toEqual([expect.stringContaining('(limitContainerPrivileges) acts only on new workloads')]);

    const again = await vigil.run(['apply', '-f', dir]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Nothing to change.');
    for (const warning of warnings) expect(again.stderr).toContain(`warning: policy "advised-unchanged": ${warning}\n`);
    expect((await local.api('GET', '/v1/policies/advised-unchanged')).body.version).toBe(1);
  });
});

describe('vigil import', { timeout: SPAWN_TIMEOUT }, () => {
  const commercial = join(repoRoot, 'test', 'fixtures', 'commercial', 'runtime-policy.json');

  it("dry-runs the commercial product's JSON: per-item results and the fields it cannot carry over", async () => {
    const result = await vigil.run(['import', commercial, '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^KIND +NAME +RESULT\npolicy +prod-runtime-policy +created\n/);
    expect(result.stdout).toContain('Not carried over (no equivalent in Vigil; review these by hand):');
    expect(result.stdout).toMatch(/policy prod-runtime-policy: .*limit_container_privileges\.utsmode/);
    // The save-time warnings POST /v1/policies would give, and what changed meaning in the conversion.
    expect(result.stderr).toContain(
      'policy prod-runtime-policy: Limit Container Privileges (limitContainerPrivileges) acts only on new workloads',
    );
    expect(result.stderr).toMatch(
      /policy prod-runtime-policy: enforce_after_days: the switch to enforce was due at 2024-05-02T13:40:00\.000Z, which has passed/,
    );
    expect(result.stderr).toContain('Dry run: 1 created, 0 updated, 0 unchanged (nothing was written).');
    expect((await local.api('GET', '/v1/policies/prod-runtime-policy')).status).toBe(404);
  });

  it('imports it for real; create mode refuses to change an existing item', async () => {
    const first = await vigil.run(['import', commercial, '-o', 'json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      dryRun: false,
      items: [{ kind: 'policy', name: 'prod-runtime-policy', result: 'created' }],
      unsupported: [{ kind: 'policy', name: 'prod-runtime-policy' }],
    });
    expect((await local.api('GET', '/v1/policies/prod-runtime-policy')).status).toBe(200);

    const file = work.path('changed.yaml');
    await writeFile(file, 'formatVersion: 1\npolicies:\n  - name: keeper\n    type: host\n    enabled: false\n');
    const refused = await vigil.run(['import', file, '--mode', 'create']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^validation_failed: /);
    expect(refused.stderr).toContain('policy "keeper" already exists and differs');
    expect((await local.api('GET', '/v1/policies/keeper')).body.enabled).toBe(true);
  });
});

describe('vigil export of a configuration larger than one page', { timeout: SPAWN_TIMEOUT }, () => {
  it('joins the pages into one document that imports as unchanged', async () => {
    const policies = Array.from({ length: 400 }, (_, i) => ({
      name: `paged-${String(i).padStart(4, '0')}`,
      type: 'container',
      controls: {
        blockContainerExec: { enabled: true, allowedProcesses: Array.from({ length: 40 }, (_, j) => `/opt/${i}/${j}/${'p'.repeat(120)}`) },
      },
    }));
    const imported = await local.api('POST', '/v1/import', { formatVersion: 1, policies });
    expect(imported.status, JSON.stringify(imported.body).slice(0, 500)).toBe(200);
    expect((await local.api('GET', '/v1/export')).body.nextCursor).toBeDefined();
    const file = work.path('large-export.json');
    const exported = await vigil.run(['export', '-o', 'json', '--file', file]);
    expect(exported.code).toBe(0);
    const document = JSON.parse(await readFile(file, 'utf8'));
    expect(document).not.toHaveProperty('nextCursor');
    expect(document.policies.filter((p: { name: string }) => p.name.startsWith('paged-')).map((p: { name: string }) => p.name)).toEqual(
      policies.map((p) => p.name),
    );
    expect(exported.stderr).toContain(`Exported ${document.policies.length} policies`);
    // The CLI's export adds the enforcer groups: the import API takes the file as it is, groups included.
    expect(document.enforcerGroups.map((g: { name: string }) => g.name)).toEqual(['default', 'default-ke']);
    const again = await local.api('POST', '/v1/import?dryRun=true', document);
    expect(again.status).toBe(200);
    expect(again.body.items.filter((item: { kind: string }) => item.kind === 'enforcerGroup')).toEqual([
      { kind: 'enforcerGroup', name: 'default', result: 'unchanged' },
      { kind: 'enforcerGroup', name: 'default-ke', result: 'unchanged' },
    ]);
    expect(again.body.items.every((item: { result: string }) => item.result === 'unchanged')).toBe(true);
  });
});

describe('vigil import of a document larger than one request', { timeout: SPAWN_TIMEOUT * 4 }, () => {
  const policies = Array.from({ length: 1100 }, (_, i) => ({
    name: `multi-${String(i).padStart(4, '0')}`,
    type: 'container',
    controls: {
      blockContainerExec: { enabled: true, allowedProcesses: Array.from({ length: 40 }, (_, j) => `/opt/${i}/${j}/${'m'.repeat(120)}`) },
    },
  }));

  it('uploads it in parts and commits them at once; a bad item is named at its place in the file and nothing is written', async () => {
    const bad = work.path('large-bad.json');
    const broken = policies.map((policy, i) => (i === 1000 ? { ...policy, enabled: 'yes' } : policy));
    await writeFile(bad, JSON.stringify({ formatVersion: 1, policies: broken }));
    expect((await stat(bad)).size).toBeGreaterThan(5 * 1024 * 1024);
    const refused = await vigil.run(['import', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('policies.1000.enabled');
    expect(refused.stderr).toContain('(the document was sent in');
    expect((await local.api('GET', '/v1/policies/multi-0000')).status).toBe(404);

    const file = work.path('large.json');
    await writeFile(file, JSON.stringify({ formatVersion: 1, policies }));
    const imported = await vigil.run(['import', file, '-o', 'json']);
    expect(imported.code, imported.stderr).toBe(0);
    const answer = JSON.parse(imported.stdout);
    expect(answer.items.filter((item: { result: string }) => item.result === 'created')).toHaveLength(1100);
    expect((await local.api('GET', '/v1/policies/multi-1099')).status).toBe(200);
  });
});
