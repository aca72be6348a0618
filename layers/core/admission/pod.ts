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

/** One identity a pod may have, with when it was last seen and how strong the evidence for it is. */
export interface RememberedIdentity extends PodIdentity {
  /** Unix seconds of the admission that showed it last. */
  readonly seenAt: number;
  /**
   * `stored`: an UPDATE's `oldObject`, i.e. what the API server had stored at that moment; `requested`: what a
   * CREATE or UPDATE asked for, which the cluster may or may not have applied.
   */
  readonly evidence: 'stored' | 'requested';
}

/**
 * Everything the webhook remembers about one pod name (or generateName prefix): every identity the pod may have
 * (docs/adr/0008). Exec, attach and port-forward requests are judged by all of them.
 */
export interface PodMemory {
  readonly identities: readonly RememberedIdentity[];
  /** An UPDATE showed what the cluster stored under this exact name: generateName records no longer apply. */
  readonly observed?: boolean | undefined;
  /** Identities were left out because the record was full; the verdicts of such pods name it as unresolved. */
  readonly overflowed?: boolean | undefined;
}

/** What one admitted (non-dry-run) pod request teaches about the pod. */
export interface PodLesson {
  readonly namespace: string;
  readonly name?: string | undefined;
  readonly generateName?: string | undefined;
  /** Identities the request asked for: the cluster may have applied them (empty when Vigil refused it). */
  readonly requested: readonly PodIdentity[];
  /** What an UPDATE's `oldObject` shows the cluster had stored: evidence that lets older doubts go. */
  readonly stored?: PodIdentity | undefined;
}

export interface PodMemoryLimits {
  /**
   * Identities seen this recently are never dropped: a request admitted a moment ago may still be on its way
   * to storage (the API server gives up on a request after 60 s by default).
   */
  readonly graceSeconds: number;
  /** At most this many identities per record. */
  readonly maxIdentities: number;
  /** At most this many characters of JSON per record (a DynamoDB item holds 400 KB). */
  readonly maxJsonChars: number;
}

export const defaultPodMemoryLimits: PodMemoryLimits = { graceSeconds: 300, maxIdentities: 16, maxJsonChars: 200_000 };

/** The identity without when and how it was seen: two identities are the same when these are equal. */
function identityKey(identity: PodIdentity): string {
  const { namespace, name, generateName, labels, containers, serviceAccount, owner, defaultContainer } = identity;
  const sortedLabels = Object.keys(labels)
    .sort()
    .map((key) => [key, labels[key]]);
  return JSON.stringify([namespace, name, generateName, sortedLabels, containers, serviceAccount, owner, defaultContainer]);
}

function remembered(identity: PodIdentity, seenAt: number, evidence: RememberedIdentity['evidence']): RememberedIdentity {
  const { namespace, name, generateName, labels, containers, serviceAccount, owner, defaultContainer } = identity;
  return { namespace, name, generateName, labels, containers, serviceAccount, owner, defaultContainer, seenAt, evidence };
}

/**
 * The memory after a lesson. Only evidence narrows it: an UPDATE's `oldObject` is what the cluster had stored,
 * so identities older than the grace period that differ from it cannot be the pod's any more (any later change
 * passes the webhook again and is added). Everything else only adds: a CREATE may fail with AlreadyExists, an
 * UPDATE may be refused by a later webhook, and the webhook never learns which. When the record is full, what
 * it already holds is kept and the newest requested identities are left out (`overflowed`).
 */
export function learnPod(memory: PodMemory | undefined, lesson: PodLesson, nowSeconds: number, limits = defaultPodMemoryLimits): PodMemory {
  const kept = new Map<string, RememberedIdentity>();
  const add = (identity: RememberedIdentity) => {
    const key = identityKey(identity);
    const previous = kept.get(key);
    // The same identity seen again: the newest sighting and the strongest evidence.
    kept.set(key, {
      ...identity,
      seenAt: Math.max(identity.seenAt, previous?.seenAt ?? 0),
      evidence: previous?.evidence === 'stored' ? 'stored' : identity.evidence,
    });
  };
  // Evidence first: it is never left out for lack of room.
  if (lesson.stored) add(remembered(lesson.stored, nowSeconds, 'stored'));
  const earlier = [...(memory?.identities ?? [])].sort((a, b) => a.seenAt - b.seenAt);
  for (const identity of earlier) {
    const recent = identity.seenAt > nowSeconds - limits.graceSeconds;
    if (!lesson.stored || recent || kept.has(identityKey(identity))) add(identity);
  }
  let overflowed = memory?.overflowed === true && !lesson.stored;
  for (const identity of lesson.requested) {
    const candidate = remembered(identity, nowSeconds, 'requested');
    if (!kept.has(identityKey(candidate)) && kept.size >= limits.maxIdentities) {
      overflowed = true;
      continue;
    }
    add(candidate);
    if (JSON.stringify([...kept.values()]).length > limits.maxJsonChars) {
      kept.delete(identityKey(candidate));
      overflowed = true;
    }
  }
  const observed = memory?.observed === true || lesson.stored !== undefined;
  return { identities: [...kept.values()], ...(observed ? { observed } : {}), ...(overflowed ? { overflowed } : {}) };
}

/**
 * The identities a pod of that name may have: the exact name's record once an UPDATE showed what the cluster
 * stored under it, otherwise that record and every generateName record the name could have been made from
 * (an explicitly named CREATE of a controller-made pod's name, refused with AlreadyExists, must not shadow it).
 */
export function possibleIdentities(exact: PodMemory | undefined, generated: ReadonlyArray<PodMemory | undefined>): RememberedIdentity[] {
  if (exact?.observed) return [...exact.identities];
  return [exact, ...generated].flatMap((memory) => memory?.identities ?? []);
}
