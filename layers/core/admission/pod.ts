import type { ContainerFacts, PodFacts } from '../engine/events.js';
import type { Pod } from './review.js';

/** What the webhook remembers about a pod so that later exec/attach requests can be scoped by labels and images. */
export interface PodIdentity {
  readonly namespace: string;
  /** Set for pods created with an explicit name. */
  readonly name?: string | undefined;
  /** Set for controller-made pods, whose final name is `<generateName><suffix>`. */
  readonly generateName?: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly containers: ReadonlyArray<{ readonly name: string; readonly image: string }>;
  readonly serviceAccount?: string | undefined;
  /** Name of the owning workload (a ReplicaSet's Deployment, a StatefulSet, …). */
  readonly owner?: string | undefined;
  /** Name of the container `kubectl exec` picks when none is given. */
  readonly defaultContainer?: string | undefined;
}

type RawContainer = Pod['spec']['containers'][number];

function containerFacts(raw: RawContainer, kind: ContainerFacts['kind'], pod: Pod): ContainerFacts {
  const sc = raw.securityContext ?? undefined;
  const podSc = pod.spec.securityContext ?? undefined;
  const ports: number[] = [];
  for (const port of raw.ports ?? []) {
    if (typeof port.containerPort === 'number') ports.push(port.containerPort);
    if (typeof port.hostPort === 'number') ports.push(port.hostPort);
  }
  return {
    name: raw.name,
    kind,
    image: raw.image,
    privileged: sc?.privileged === true,
    allowPrivilegeEscalation: sc?.allowPrivilegeEscalation ?? undefined,
    // A container's securityContext overrides the pod's, field by field.
    runAsUser: sc?.runAsUser ?? podSc?.runAsUser ?? undefined,
    runAsNonRoot: sc?.runAsNonRoot ?? podSc?.runAsNonRoot ?? undefined,
    readOnlyRootFilesystem: sc?.readOnlyRootFilesystem ?? undefined,
    addCapabilities: sc?.capabilities?.add ?? [],
    ports,
  };
}

/** The pod-spec facts of a pod, with init and ephemeral containers included. */
export function podFacts(pod: Pod): PodFacts {
  const containers: ContainerFacts[] = [
    ...(pod.spec.initContainers ?? []).map((c) => containerFacts(c, 'init', pod)),
    ...pod.spec.containers.map((c) => containerFacts(c, 'container', pod)),
    ...(pod.spec.ephemeralContainers ?? []).map((c) => containerFacts(c, 'ephemeral', pod)),
  ];
  const hostPaths: string[] = [];
  for (const volume of pod.spec.volumes ?? []) if (volume.hostPath) hostPaths.push(volume.hostPath.path);
  return {
    hostNetwork: pod.spec.hostNetwork === true,
    hostPID: pod.spec.hostPID === true,
    hostIPC: pod.spec.hostIPC === true,
    containers,
    hostPaths,
  };
}

/** The owning workload's name; a ReplicaSet's pod-template-hash suffix is removed to name its Deployment. */
export function ownerName(pod: Pod): string | undefined {
  const owners = pod.metadata.ownerReferences ?? [];
  const owner = owners.find((o) => o.controller === true) ?? owners[0];
  if (!owner) return undefined;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -(hash.length + 1));
  return owner.name;
}

/** What to remember about a pod from its CREATE/UPDATE admission. */
export function podIdentity(pod: Pod, namespace: string): PodIdentity {
  const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers, ...(pod.spec.ephemeralContainers ?? [])].map((c) => ({
    name: c.name,
    image: c.image,
  }));
  return {
    namespace: pod.metadata.namespace ?? namespace,
    name: pod.metadata.name || undefined,
    generateName: pod.metadata.generateName || undefined,
    labels: { ...(pod.metadata.labels ?? {}) },
    containers,
    serviceAccount: pod.spec.serviceAccountName ?? undefined,
    owner: ownerName(pod),
    defaultContainer: pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'] ?? pod.spec.containers[0]?.name,
  };
}

/**
 * The generateName prefixes a pod name could have been made from, longest first: `web-5d9c8b7f9-x7k2p`
 * → `web-5d9c8b7f9-`, `web-`. Controllers append a random suffix after the last dash.
 */
export function generateNameCandidates(podName: string): string[] {
  const candidates: string[] = [];
  for (let dash = podName.lastIndexOf('-'); dash > 0; dash = podName.lastIndexOf('-', dash - 1)) {
    candidates.push(podName.slice(0, dash + 1));
    if (candidates.length === 3) break;
  }
  return candidates;
}
