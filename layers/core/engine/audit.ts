import { boundAuditEvent } from '../audit-bounds.js';
import type { EnforcerType } from '../catalog.js';
import type { AuditEvent } from '../schemas/audit.js';
import type { Violation } from './decide.js';

/** Where and by whom an event happened, in the shape of the audit event's fields. */
export interface AuditSubject {
  readonly workload: Partial<AuditEvent['workload']>;
  readonly user?: { readonly name: string | null; readonly groups: readonly string[] } | null | undefined;
  readonly command?: readonly string[] | null | undefined;
  readonly enforcer: { readonly group: string; readonly type: EnforcerType; readonly id: string | null };
  readonly unresolved?: readonly string[] | undefined;
}

const emptyWorkload: AuditEvent['workload'] = {
  cluster: null,
  namespace: null,
  pod: null,
  container: null,
  image: null,
  function: null,
  host: null,
};

/**
 * One audit event per violation, cut to the schema's bounds (see boundAuditEvent); ids and time come from the
 * caller so that the core stays deterministic.
 */
export function auditEvents(violations: readonly Violation[], subject: AuditSubject, time: string, newId: () => string): AuditEvent[] {
  return violations.map((violation) =>
    boundAuditEvent({
      id: newId(),
      time,
      status: violation.status,
      policy: violation.policy,
      policyType: violation.policyType,
      policyVersion: violation.policyVersion,
      control: violation.control,
      controlName: violation.controlName,
      enforcementMode: violation.enforcementMode,
      action: violation.action,
      message: violation.message,
      workload: { ...emptyWorkload, ...subject.workload },
      user: subject.user ? { name: subject.user.name, groups: [...subject.user.groups] } : null,
      command: subject.command ? [...subject.command] : null,
      enforcer: { ...subject.enforcer },
      ...(subject.unresolved && subject.unresolved.length > 0 ? { unresolved: [...subject.unresolved] } : {}),
    }),
  );
}
