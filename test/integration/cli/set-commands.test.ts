import { describe, expect, it } from 'vitest';
import { useLocalMode } from '../../support/local-mode.js';
import { SPAWN_TIMEOUT, vigilFor } from './run-vigil.js';

// `vigil groups|policies|scopes|settings set` with the real binary against local mode: partial updates sent as JSON
// merge patches, save-time warnings on stderr, If-Match, and usage errors before anything is sent.

const local = useLocalMode();
const vigil = vigilFor(local);

describe('vigil … set', { timeout: SPAWN_TIMEOUT }, () => {
  it('turns a group to enforce with one flag and leaves its other settings alone', async () => {
    const before = (await local.api('GET', '/v1/enforcer-groups/default-ke')).body;
    const result = await vigil.run(['groups', 'set', 'default-ke', '--enforce', '-o', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ...before,
      enforce: true,
      version: before.version + 1,
      updatedAt: expect.any(String),
      updatedBy: 'local-admin',
    });
    const back = await vigil.run(['groups', 'set', 'default-ke', '--no-enforce']);
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/^default-ke\s+kube_enforcer\s+audit only\s/m);
  });

  it('switches a policy to enforce, prints its save-time warnings on stderr, and schedules a switch', async () => {
    const created = await local.api('POST', '/v1/policies', {
      name: 'exec-guard',
      type: 'function',
      controls: { driftPrevention: { enabled: true } },
    });
    expect(created.status).toBe(201);
    const result = await vigil.run(['policies', 'set', 'exec-guard', '--mode', 'enforce', '--description', 'no shells']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^exec-guard\s+function\s+enforce\s/m);
    expect(result.stderr).toMatch(/^warning: /m);
    expect((await local.api('GET', '/v1/policies/exec-guard')).body).toMatchObject({
      enforcementMode: 'enforce',
      description: 'no shells',
      version: 2,
    });

    // Setting what is already set writes nothing, and the warnings are still true: they are printed again.
    const unchanged = await vigil.run(['policies', 'set', 'exec-guard', '--mode', 'enforce', '--description', 'no shells']);
    expect(unchanged.code).toBe(0);
    expect(unchanged.stderr).toBe(result.stderr);
    expect((await local.api('GET', '/v1/policies/exec-guard')).body.version).toBe(2);

    const scheduled = await vigil.run(['policies', 'set', 'exec-guard', '--enforce-after-days', '3', '-o', 'json']);
    expect(scheduled.code).toBe(0);
    expect(JSON.parse(scheduled.stdout)).toMatchObject({
      enforcementMode: 'audit',
      enforcementModeChange: { to: 'enforce', afterDays: 3, state: 'pending' },
    });
  });

  it('sets settings and scope fields, and merges --patch for any other field', async () => {
    const settings = await vigil.run(['settings', 'set', '--audit-retention-days', '30', '--admission-warnings', 'off', '-o', 'json']);
    expect(settings.code).toBe(0);
    expect(JSON.parse(settings.stdout)).toMatchObject({ auditRetentionDays: 30, admissionWarnings: false });

    const created = await local.api('POST', '/v1/application-scopes', {
      name: 'payments',
      expression: 'v1',
      variables: [{ attribute: 'kubernetes.namespace', value: 'payments' }],
    });
    expect(created.status).toBe(201);
    const scope = await vigil.run([
      'scopes',
      'set',
      'payments',
      '--expression',
      'v1 || v2',
      '--patch',
      '{"variables": [{"attribute": "kubernetes.namespace", "value": "payments"}, {"attribute": "kubernetes.namespace", "value": "billing"}]}',
      '-o',
      'json',
    ]);
    expect(scope.stderr).toBe('');
    expect(JSON.parse(scope.stdout)).toMatchObject({ expression: 'v1 || v2', variables: [{ value: 'payments' }, { value: 'billing' }] });
  });

  it('refuses a stale --if-version (exit 1) and bad options before sending anything (exit 2)', async () => {
    const group = (await local.api('GET', '/v1/enforcer-groups/default')).body;
    const stale = await vigil.run(['groups', 'set', 'default', '--description', 'x', '--if-version', String(group.version + 3)]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^version_mismatch: /);
    const badSwitch = await vigil.run(['groups', 'set', 'default', '--host-protection', 'maybe']);
    expect(badSwitch.code).toBe(2);
    expect(badSwitch.stderr).toContain('--host-protection must be on or off (got "maybe")');
    const nothing = await vigil.run(['groups', 'set', 'default']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to change');
    expect((await local.api('GET', '/v1/enforcer-groups/default')).body).toEqual(group);
  });
});
