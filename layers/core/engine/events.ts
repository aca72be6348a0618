import type { Action } from '../catalog.js';

/** One container of a pod as the pod-spec controls see it (security context already merged with the pod's). */
export interface ContainerFacts {
  readonly name: string;
  readonly kind: 'container' | 'init' | 'ephemeral';
  readonly image: string;
  readonly privileged: boolean;
  /** undefined = not set, which Kubernetes treats as "escalation allowed". */
  readonly allowPrivilegeEscalation: boolean | undefined;
  readonly runAsUser: number | undefined;
  readonly runAsNonRoot: boolean | undefined;
  readonly readOnlyRootFilesystem: boolean | undefined;
  readonly addCapabilities: readonly string[];
  /** containerPort and hostPort values. */
  readonly ports: readonly number[];
}

/** The parts of a pod spec that pod-spec controls inspect. */
export interface PodFacts {
  readonly hostNetwork: boolean;
  readonly hostPID: boolean;
  readonly hostIPC: boolean;
  readonly containers: readonly ContainerFacts[];
  readonly hostPaths: readonly string[];
}

/** What happened, normalised from an AdmissionReview, a protection-layer report or an agent report. */
export type DecisionEvent =
  | { readonly action: 'exec'; readonly container?: string | undefined; readonly command: readonly string[] }
  | { readonly action: 'attach'; readonly container?: string | undefined }
  | { readonly action: 'portforward'; readonly ports?: readonly number[] | undefined }
  /** create/update of a pod, or UPDATE pods/ephemeralcontainers (`debug`); `oldPod` is the state before an update. */
  | { readonly action: 'create' | 'update' | 'debug'; readonly pod: PodFacts; readonly oldPod?: PodFacts | undefined }
  | {
      readonly action: 'process';
      readonly command: readonly string[];
      /** The program as invoked (`sh`, `/bin/sh`, `./x`). */
      readonly executable: string;
      /** The program after PATH lookup and realpath, when the reporter could resolve it. */
      readonly resolvedPath?: string | undefined;
      /**
       * The last segment of `resolvedPath`, when the reporter knows it without resolving the whole path (the
       * file's own name is not a link). Patterns without "/" are then decided without reading `resolvedPath`,
       * which a reporter may compute only when read (a realpath per program started).
       */
      readonly resolvedName?: string | undefined;
      /** The file appeared after the workload started (drift). */
      readonly createdAfterStart?: boolean | undefined;
      /** Peer address when the process's standard streams are a network socket (reverse shell). */
      readonly socketPeer?: string | undefined;
      /** Processes in the workload including this one (fork guard). */
      readonly processCount?: number | undefined;
    }
  | { readonly action: 'network'; readonly direction: 'outbound' | 'inbound'; readonly host: string; readonly port: number }
  | { readonly action: 'file'; readonly path: string; readonly operation: 'create' | 'read' | 'modify' | 'delete' | 'attributes' }
  | { readonly action: 'honeypot'; readonly source: 'environment' | 'file'; readonly detail?: string | undefined }
  | { readonly action: 'login'; readonly user: string; readonly success: boolean };

/** One reason a control objects to an event. `key` identifies it so that updates report only what is new. */
export interface Finding {
  readonly key: string;
  readonly message: string;
}

/** Narrows an event to one action. */
export type EventOf<A extends Action> = Extract<DecisionEvent, { action: A }>;
