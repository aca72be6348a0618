import type { Decision, Violation } from '../engine/decide.js';
import type { AdmissionReview } from './review.js';
import type { AdmissionSubject } from './context.js';

/** Kubernetes shows warnings of at most 120 characters well; longer ones are truncated by clients. */
export const MAX_WARNING_LENGTH = 120;

/** The AdmissionReview the webhook answers with (HTTP 200 in every case but malformed input). */
export interface AdmissionReviewResponse {
  readonly apiVersion: string;
  readonly kind: string;
  readonly response: {
    readonly uid: string;
    readonly allowed: boolean;
    readonly status?: { readonly code: number; readonly reason: string; readonly message: string };
    readonly warnings?: string[];
    readonly auditAnnotations?: Record<string, string>;
  };
}

/** "exec of "sh" into default/test-nginx", "attach to default/web", … as people describe the request. */
export function describeRequest(violation: Pick<Violation, 'action'>, subject: AdmissionSubject): string {
  const where = `${subject.namespace}/${subject.pod}`;
  switch (violation.action) {
    case 'exec':
      return `exec of ${JSON.stringify(subject.command?.[0] ?? '')} into ${where}`;
    case 'attach':
      return `attach to ${where}`;
    case 'portforward':
      return `port-forward to ${where}`;
    case 'debug':
      return `debug container in ${where}`;
    case 'create':
      return `create of pod ${where}`;
    case 'update':
      return `update of pod ${where}`;
    default:
      return `${violation.action} in ${where}`;
  }
}

// Exec-like requests are fully described by the request; pod-spec ones need the reason to be actionable.
const selfExplaining = new Set(['exec', 'attach', 'portforward', 'debug']);

/** The message kubectl prints when a request is refused. */
export function blockMessage(blocks: readonly Violation[], subject: AdmissionSubject): string {
  const first = blocks[0];
  if (!first) return 'vigil: request blocked';
  const reason = selfExplaining.has(first.action) ? '' : `: ${first.message}`;
  const more = blocks.length > 1 ? ` (and ${blocks.length - 1} more violation${blocks.length > 2 ? 's' : ''})` : '';
  return `vigil: ${describeRequest(first, subject)} blocked by policy ${JSON.stringify(first.policy)} (${first.controlName})${reason}${more}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A Detect warning shown by kubectl, at most 120 characters. The control comes first and the policy last:
 * when a long pod or policy name makes the warning too long, the cut falls on a name, never on the control.
 */
export function detectWarning(violation: Violation, subject: AdmissionSubject): string {
  return truncate(
    `vigil: Detect (${violation.controlName}): ${describeRequest(violation, subject)}, policy ${JSON.stringify(violation.policy)}`,
    MAX_WARNING_LENGTH,
  );
}

/** Builds the AdmissionReview response for a decision, echoing uid, apiVersion and kind. */
export function admissionResponse(
  review: AdmissionReview,
  decision: Decision,
  subject: AdmissionSubject | undefined,
  options: { readonly warnings: boolean },
): AdmissionReviewResponse {
  const base = { apiVersion: review.apiVersion, kind: review.kind };
  const uid = review.request.uid;
  if (!subject || decision.violations.length === 0) return { ...base, response: { uid, allowed: true } };
  const blocks = decision.violations.filter((v) => v.status === 'Block');
  const detects = decision.violations.filter((v) => v.status === 'Detect');
  // Audit annotation keys are prefixed by the API server with the webhook name; values must be short strings.
  const auditAnnotations: Record<string, string> = {
    status: blocks.length > 0 ? 'Block' : 'Detect',
    policy: [...new Set(decision.violations.map((v) => v.policy))].join(',').slice(0, 1024),
    control: [...new Set(decision.violations.map((v) => v.control))].join(',').slice(0, 1024),
  };
  const warnings = options.warnings && detects.length > 0 ? detects.map((v) => detectWarning(v, subject)) : undefined;
  if (blocks.length > 0) {
    return {
      ...base,
      response: {
        uid,
        allowed: false,
        status: { code: 403, reason: 'Forbidden', message: blockMessage(blocks, subject) },
        ...(warnings ? { warnings } : {}),
        auditAnnotations,
      },
    };
  }
  return { ...base, response: { uid, allowed: true, ...(warnings ? { warnings } : {}), auditAnnotations } };
}
