/**
 * What the node agents read from the enforcer API: the parts of `GET /v1/enforcers/bundle` the Tetragon
 * compiler needs. Spelled out here because the agents reach the control plane over HTTP only and never
 * import its code.
 */
import type { AuditEvent, BypassSelector, NodeApplicationScope, Policy } from '../core/index.js';

export type { AuditEvent };

export interface EnforcerBundle {
  readonly revision: number;
  readonly group: {
    readonly name: string;
    readonly type: string;
    readonly enforce: boolean;
    readonly containerProtection: boolean;
    readonly hostProtection: boolean;
  };
  readonly settings: { readonly bypassScopes: readonly BypassSelector[] };
  readonly policies: readonly Policy[];
  readonly applicationScopes: readonly NodeApplicationScope[];
  readonly pollIntervalSeconds: number;
}
