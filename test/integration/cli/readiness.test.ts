import { describe, expect, it } from 'vitest';
import { admissionReview } from '../../support/fixtures.js';
import { eventually, useLocalMode } from '../../support/local-mode.js';
import { SPAWN_TIMEOUT, vigilFor } from './run-vigil.js';

// `vigil readiness` with the real binary against local mode: execs sent to the webhook as the EKS API server
// would, in audit mode, and the report counts exactly those.

const local = useLocalMode({ configRecheckMs: 100 });
const vigil = vigilFor(local);

const execSh = () => admissionReview('exec-guard/denied/exec-sh.json');

describe('vigil readiness', { timeout: SPAWN_TIMEOUT }, () => {
  it('reports what enforce would have blocked, from the Detect events sent', async () => {
    const webhook = (await local.api('POST', '/v1/clusters', { name: 'demo' })).body.webhookUrl as string;
    const created = await local.api('POST', '/v1/policies', {
      name: 'exec-guard',
      type: 'container',
      enforcementMode: 'audit',
      scope: { applicationScopes: ['Global'] },
      controls: { blockContainerExec: { enabled: true } },
    });
    expect(created.status).toBe(201);
    // The first exec the webhook judges with the policy is recorded (earlier ones had nothing to record).
    await eventually(async () => {
      const answer = await local.post(webhook, execSh());
      expect(answer.body.response.auditAnnotations).toMatchObject({ status: 'Detect', policy: 'exec-guard' });
    });
    for (let i = 0; i < 2; i++) expect((await local.post(webhook, execSh())).body.response.auditAnnotations.status).toBe('Detect');

    const table = await vigil.run(['readiness', 'exec-guard', '--days', '3']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n').slice(0, 9)).toEqual([
      'policy exec-guard (audit, version 1): over the last 3 days, enforce would have blocked 3 events',
      '  by control:',
      '         3  blockContainerExec',
      '  by workload:',
      '         3  demo/default/test-nginx',
      '  by user:',
      '         3  kubernetes-admin',
      '  by command:',
      '         3  sh',
    ]);
    const json = JSON.parse((await vigil.run(['readiness', 'exec-guard', '-o', 'json'])).stdout);
    expect(json).toMatchObject({ policy: 'exec-guard', days: 7, wouldBlock: 3, truncated: false, newSinceChange: { wouldBlock: 3 } });

    const bad = await vigil.run(['readiness', 'exec-guard', '--days', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--days');
  });
});
