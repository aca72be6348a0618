import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditEventSchema, type AuditEvent } from '../../../layers/core/index.js';
import { useApi } from '../../support/api.js';

// GET /v1/policies/{name}/readiness on DynamoDB Local: the counts equal the Detect events stored for the
// policy, read through the audit table's per-policy index.

const api = useApi();
const DAY_MS = 86_400_000;

function detect(change: {
  version: number;
  pod?: string;
  user?: string;
  command?: string[];
  daysAgo?: number;
  status?: 'Detect' | 'Block';
  policy?: string;
  control?: string;
}): AuditEvent {
  const control = change.control ?? 'blockContainerExec';
  return auditEventSchema.parse({
    id: randomUUID(),
    time: new Date(Date.now() - (change.daysAgo ?? 0) * DAY_MS - 1000).toISOString(),
    status: change.status ?? 'Detect',
    policy: change.policy ?? 'exec-guard',
    policyType: 'container',
    policyVersion: change.version,
    control,
    controlName: control === 'blockContainerExec' ? 'Block Container Exec' : 'File Integrity Monitoring',
    enforcementMode: 'audit',
    action: control === 'blockContainerExec' ? 'exec' : 'file',
    message: 'exec seen in audit mode',
    workload: {
      cluster: 'prod',
      namespace: 'shop',
      pod: change.pod ?? 'cart-1',
      container: 'app',
      image: 'nginx:1.27',
      function: null,
      host: null,
    },
    user: { name: change.user ?? 'alice', groups: [] },
    command: change.command ?? ['sh'],
    enforcer: { group: 'default-ke', type: 'kube_enforcer', id: 'prod' },
  });
}

describe('GET /v1/policies/{name}/readiness', () => {
  it('counts what enforce would have blocked by control, workload, user and command, and what is new since the last change', async () => {
    const policy = {
      name: 'exec-guard',
      type: 'container',
      enforcementMode: 'audit',
      scope: { applicationScopes: ['Global'] },
      controls: { blockContainerExec: { enabled: true }, fileIntegrityMonitoring: { enabled: true, paths: ['/etc'] } },
    };
    expect((await api.call('POST', '/v1/policies', { body: policy })).status).toBe(201);
    const changed = await api.call('PATCH', '/v1/policies/exec-guard', {
      rawBody: JSON.stringify({ description: 'the last change' }),
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(changed.body.version).toBe(2);

    await api.runtime.auditStore.put(
      [
        detect({ version: 1 }),
        detect({ version: 1 }),
        detect({ version: 1, pod: 'cart-2' }),
        // Under the current version: bob and bash are new, cart-1 and sh are not.
        detect({ version: 2, user: 'bob', command: ['bash', '-c', 'id'] }),
        detect({ version: 2 }),
        // Not counted: a Block, another policy's Detect, one older than the window.
        detect({ version: 2, status: 'Block' }),
        detect({ version: 2, policy: 'other' }),
        detect({ version: 1, daysAgo: 10, pod: 'old-pod' }),
        // Record-only: always Detect, also in enforce; counted apart.
        detect({ version: 2, control: 'fileIntegrityMonitoring', command: [] }),
      ],
      90,
    );

    const week = await api.call('GET', '/v1/policies/exec-guard/readiness');
    expect(week.status).toBe(200);
    expect(week.body).toMatchObject({
      policy: 'exec-guard',
      enforcementMode: 'audit',
      policyVersion: 2,
      days: 7,
      truncated: false,
      wouldBlock: 5,
      recordOnly: 1,
      byControl: [{ value: 'blockContainerExec', count: 5 }],
      byWorkload: [
        { value: 'prod/shop/cart-1', count: 4 },
        { value: 'prod/shop/cart-2', count: 1 },
      ],
      byUser: [
        { value: 'alice', count: 4 },
        { value: 'bob', count: 1 },
      ],
      byCommand: [
        { value: 'sh', count: 4 },
        { value: 'bash -c id', count: 1 },
      ],
      newSinceChange: {
        wouldBlock: 1,
        byControl: [],
        byWorkload: [],
        byUser: [{ value: 'bob', count: 1 }],
        byCommand: [{ value: 'bash -c id', count: 1 }],
      },
    });

    const month = await api.call('GET', '/v1/policies/exec-guard/readiness?days=30');
    expect(month.body).toMatchObject({
      days: 30,
      wouldBlock: 6,
      byWorkload: [
        { value: 'prod/shop/cart-1', count: 4 },
        { value: 'prod/shop/cart-2', count: 1 },
        { value: 'prod/shop/old-pod', count: 1 },
      ],
    });
  });

  it('refuses a bad number of days naming the field, and an unknown policy', async () => {
    for (const days of ['0', 'seven', '3651', '-1']) {
      const answer = await api.call('GET', `/v1/policies/exec-guard/readiness?days=${days}`);
      expect(answer.status, days).toBe(400);
      expect(answer.body.error.details[0].path, days).toBe('days');
    }
    const missing = await api.call('GET', '/v1/policies/nope/readiness');
    expect(missing.status).toBe(404);
  });
});
