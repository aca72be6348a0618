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

/** A Tetragon object as `GET /v1/enforcers/node-policies` answers it, after the bridge checked its shape. */
export interface ManagedTetragonObject {
  readonly apiVersion: 'cilium.io/v1alpha1';
  readonly kind: 'TracingPolicy' | 'TracingPolicyNamespaced';
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: Readonly<Record<string, unknown>>;
}

/** The parts of `GET /v1/enforcers/node-policies` the bridge uses. */
export interface NodePolicyAnswer {
  readonly cluster: string;
  readonly group: string;
  readonly revision: number;
  readonly objects: readonly ManagedTetragonObject[];
  readonly pollIntervalSeconds: number;
  readonly heartbeatIntervalSeconds: number;
}
