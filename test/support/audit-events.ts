import { randomUUID } from 'node:crypto';
import type { GeneratedAuditEvent } from '../../functions/shared/storage/ports.js';
import { auditEventSchema } from '../../layers/core/index.js';

/** A stored-ready Block of `sh` exec'd into `pod`: the event the audit storage, spool and replay tests move around. */
export function blockedExecEvent(
  policy: string,
  pod: string,
  retentionDays = 90,
  message = 'exec of "sh" is not an allowed process',
): GeneratedAuditEvent {
  const event = auditEventSchema.parse({
    id: randomUUID(),
    time: new Date().toISOString(),
    status: 'Block',
    policy,
    policyType: 'container',
    policyVersion: 1,
    control: 'blockContainerExec',
    controlName: 'Block Container Exec',
    enforcementMode: 'enforce',
    action: 'exec',
    message,
    workload: { cluster: 'prod', namespace: 'default', pod, container: 'app', image: 'nginx:1.27', function: null, host: null },
    user: { name: 'alice', groups: [] },
    command: ['sh'],
    enforcer: { group: 'default-ke', type: 'kube_enforcer', id: 'prod' },
  });
  return { event, retentionDays };
}
