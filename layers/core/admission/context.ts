import type { DecisionEvent } from '../engine/events.js';
import type { DecisionRequest } from '../engine/decide.js';
import { parseImageReference } from '../image.js';
import type { EnforcerGroup } from '../schemas/settings.js';
import { workloadAttributes, type WorkloadAttributes } from '../scope/index.js';
import { decodeAdmissionReview, decodeConnectOptions, decodePod, type DecodeIssue } from './decode.js';
import type { AdmissionReview, Pod } from './review.js';
import { podFacts, podIdentity, type PodIdentity } from './pod.js';

/** Who and what an admission request concerns, for audit events and messages. */
export interface AdmissionSubject {
  readonly cluster: string;
  readonly namespace: string;
  /** The pod's name, or `<generateName>*` for a controller-made pod being created. */
  readonly pod: string;
  readonly container: string | null;
  readonly image: string | null;
  readonly user: { readonly name: string | null; readonly groups: readonly string[] };
  readonly command: readonly string[] | null;
  /** Attributes that stayed unknown (e.g. labels of a pod the webhook never saw created). */
  readonly unresolved: readonly string[];
}

/** A normalised admission request: what to decide, about whom, and what the webhook can learn from it. */
export type AdmissionContext =
  | { readonly kind: 'ignore'; readonly reason: string }
  | {
      readonly kind: 'decide';
      readonly request: DecisionRequest;
      readonly subject: AdmissionSubject;
      readonly dryRun: boolean;
      /**
       * For exec, attach and port-forward into a pod that may have several identities (docs/adr/0008): the same
       * event for each further identity. The request is judged by all of them.
       */
      readonly alternatives?: readonly DecisionRequest[] | undefined;
      /** For pod CREATE/UPDATE: the identity the request asks the pod to have (the cluster may not apply it). */
      readonly learned?: PodIdentity | undefined;
      /** For pod UPDATE: the identity of `oldObject`, i.e. what the cluster had stored. */
      readonly stored?: PodIdentity | undefined;
    };

/** Raised when a review is well-formed JSON but not a usable admission request. */
export class MalformedReviewError extends Error {
  override readonly name = 'MalformedReviewError';
  constructor(
    message: string,
    readonly details: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

/** Looks up what earlier admissions (or the EKS API) taught about a running pod: every identity it may have. */
export type PodLookup = (namespace: string, name: string) => PodIdentity | readonly PodIdentity[] | undefined;

export interface AdmissionContextOptions {
  readonly cluster: string;
  readonly group: EnforcerGroup;
  readonly lookupPod?: PodLookup | undefined;
}

/** Issues as error details with dotted JSON paths under `prefix`. */
function details(issues: readonly DecodeIssue[], prefix: readonly string[] = []): Array<{ path: string; message: string }> {
  return issues.map((issue) => ({ path: [...prefix, ...issue.path].join('.') || '(root)', message: issue.message }));
}

/**
 * Kubernetes 1.16-1.21 sent `kubectl debug` as an `EphemeralContainers` object: the pod's metadata and its
 * ephemeral containers, without the rest of the spec. It is read as a pod with those containers only.
 */
function asPodShape(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'EphemeralContainers') return value;
  const { metadata, ephemeralContainers } = value as { metadata?: unknown; ephemeralContainers?: unknown };
  return { metadata, spec: { containers: [], ephemeralContainers } };
}

/** Whether a request's object is the old `EphemeralContainers` shape, which carries no full pod. */
function isPartialPod(value: unknown): boolean {
  return asPodShape(value) !== value;
}

function parsePod(value: unknown, field: string): Pod {
  const result = decodePod(asPodShape(value));
  if (!result.ok) throw new MalformedReviewError(`request.${field} is not a valid Pod`, details(result.issues, ['request', field]));
  return result.value;
}

function imageAttributes(images: readonly string[]): Record<string, string[]> {
  const registry: string[] = [];
  const name: string[] = [];
  const tag: string[] = [];
  for (const image of images) {
    const ref = parseImageReference(image);
    registry.push(ref.registry);
    name.push(ref.name);
    if (ref.tag !== undefined) tag.push(ref.tag);
  }
  return { 'image.registry': registry, 'image.name': name, 'image.tag': tag };
}

interface WorkloadFacts {
  cluster: string;
  namespace: string;
  pod?: string | undefined;
  identity?: PodIdentity | undefined;
  /** The container the request concerns, if one; otherwise all containers count. */
  container?: string | undefined;
  group: string;
  user: { name: string | null; groups: readonly string[] };
}

function buildWorkload(facts: WorkloadFacts): { attributes: WorkloadAttributes; image: string | null } {
  const identity = facts.identity;
  const containers = identity?.containers ?? [];
  const targeted = facts.container === undefined ? containers : containers.filter((c) => c.name === facts.container);
  const images = [...new Set(targeted.map((c) => c.image).filter((image) => image !== ''))];
  const labels = identity?.labels;
  // container.label also sees the labels the container runtime adds to every container of a pod.
  const runtimeLabels: Record<string, string> = { ...(labels ?? {}), 'io.kubernetes.pod.namespace': facts.namespace };
  if (facts.pod) runtimeLabels['io.kubernetes.pod.name'] = facts.pod;
  if (facts.container) runtimeLabels['io.kubernetes.container.name'] = facts.container;
  const attributes = workloadAttributes(
    {
      'kubernetes.cluster': facts.cluster,
      'kubernetes.namespace': facts.namespace,
      'kubernetes.pod': facts.pod,
      'kubernetes.serviceaccount': identity?.serviceAccount,
      'kubernetes.deployment': identity?.owner,
      'container.name': facts.container !== undefined ? facts.container : containers.length > 0 ? containers.map((c) => c.name) : undefined,
      'container.image': images.length > 0 ? images : undefined,
      ...(images.length > 0 ? imageAttributes(images) : {}),
      'enforcer.group': facts.group,
      'user.name': facts.user.name ?? undefined,
      'user.group': facts.user.groups.length > 0 ? facts.user.groups : undefined,
    },
    { 'kubernetes.label': labels, 'container.label': runtimeLabels },
  );
  return { attributes, image: images.length === 1 ? images[0]! : images.length > 1 ? images.join(',') : null };
}

const connectActions: Readonly<Record<string, 'exec' | 'attach' | 'portforward'>> = {
  exec: 'exec',
  attach: 'attach',
  portforward: 'portforward',
};

/** The action a CONNECT review of this pod subresource is decided as, or undefined when it is not inspected. */
export function connectAction(subResource: string | undefined): 'exec' | 'attach' | 'portforward' | undefined {
  return Object.hasOwn(connectActions, subResource ?? '') ? connectActions[subResource!] : undefined;
}

/** Turns an AdmissionReview into what the engine decides, resolving pod facts for CONNECT requests. */
export function admissionContext(review: AdmissionReview, options: AdmissionContextOptions): AdmissionContext {
  const req = review.request;
  if (req.resource.group !== '' || req.resource.resource !== 'pods')
    return { kind: 'ignore', reason: `${req.resource.resource} is not inspected` };
  const namespace = req.namespace ?? '';
  if (namespace === '')
    throw new MalformedReviewError('request.namespace is required for pod requests', [{ path: 'request.namespace', message: 'required' }]);
  const user = { name: req.userInfo.username ?? null, groups: req.userInfo.groups ?? [] };
  const dryRun = req.dryRun === true;
  const sub = req.subResource ?? '';
  const base = { cluster: options.cluster, namespace, group: options.group.name, user };

  let event: DecisionEvent;
  let identity: PodIdentity | undefined;
  let others: readonly PodIdentity[] = [];
  /** The container the request names; without one, each identity's default container. */
  let namedContainer: string | undefined;
  let stored: PodIdentity | undefined;
  let podName: string;
  let container: string | undefined;
  let command: readonly string[] | null = null;
  let learned: PodIdentity | undefined;
  const unresolved: string[] = [];

  if (req.operation === 'CONNECT') {
    const action = connectAction(sub);
    if (!action) return { kind: 'ignore', reason: `CONNECT pods/${sub} is not inspected` };
    podName = req.name ?? '';
    if (podName === '')
      throw new MalformedReviewError('request.name is required for CONNECT requests', [{ path: 'request.name', message: 'required' }]);
    const parsed = decodeConnectOptions(req.object ?? {});
    if (!parsed.ok)
      throw new MalformedReviewError(`request.object is not valid ${sub} options`, details(parsed.issues, ['request', 'object']));
    const found = options.lookupPod?.(namespace, podName);
    const identities: readonly PodIdentity[] = found === undefined ? [] : Array.isArray(found) ? found : [found as PodIdentity];
    identity = identities[0];
    others = identities.slice(1);
    if (!identity) unresolved.push('kubernetes.label', 'container.image', 'kubernetes.serviceaccount', 'kubernetes.deployment');
    namedContainer = parsed.value.container;
    container = namedContainer ?? identity?.defaultContainer;
    if (action === 'exec') {
      command = parsed.value.command ?? [];
      event = { action, container, command };
    } else if (action === 'attach') {
      event = { action, container };
    } else {
      event = { action, ports: parsed.value.ports };
    }
  } else if (req.operation === 'CREATE' || req.operation === 'UPDATE') {
    if (sub !== '' && sub !== 'ephemeralcontainers') return { kind: 'ignore', reason: `${req.operation} pods/${sub} is not inspected` };
    const pod = parsePod(req.object, 'object');
    const oldPod = req.operation === 'UPDATE' ? parsePod(req.oldObject, 'oldObject') : undefined;
    identity = podIdentity(pod, namespace);
    learned = identity;
    // Only a full pod shows what the cluster stored; the old EphemeralContainers shape lacks the containers.
    if (oldPod && !isPartialPod(req.oldObject)) stored = podIdentity(oldPod, namespace);
    const explicitName = req.name || pod.metadata.name;
    podName = explicitName ? explicitName : `${pod.metadata.generateName ?? ''}*`;
    if (!explicitName) unresolved.push('kubernetes.pod');
    const action = sub === 'ephemeralcontainers' ? 'debug' : req.operation === 'CREATE' ? 'create' : 'update';
    event = { action, pod: podFacts(pod), oldPod: oldPod ? podFacts(oldPod) : undefined };
  } else {
    return { kind: 'ignore', reason: `${req.operation} is not inspected` };
  }

  const workloadPod = podName.endsWith('*') ? undefined : podName;
  const { attributes, image } = buildWorkload({ ...base, pod: workloadPod, identity, container });
  // Each further identity the pod may have is judged with its own default container when none was named.
  const alternatives = others.map((other): DecisionRequest => {
    const otherContainer = namedContainer ?? other.defaultContainer;
    const workload = buildWorkload({ ...base, pod: workloadPod, identity: other, container: otherContainer }).attributes;
    const otherEvent: DecisionEvent =
      event.action === 'exec' || event.action === 'attach' ? { ...event, container: otherContainer } : event;
    return { policyType: 'container', group: options.group, workload, event: otherEvent };
  });
  return {
    kind: 'decide',
    dryRun,
    learned,
    stored,
    ...(alternatives.length > 0 ? { alternatives } : {}),
    request: { policyType: 'container', group: options.group, workload: attributes, event },
    subject: { cluster: options.cluster, namespace, pod: podName, container: container ?? null, image, user, command, unresolved },
  };
}

/** Parses an AdmissionReview body, throwing MalformedReviewError with JSON paths when it is not one. */
export function parseAdmissionReview(body: unknown): AdmissionReview {
  const result = decodeAdmissionReview(body);
  if (result.ok) return result.value;
  throw new MalformedReviewError('the body is not an admission.k8s.io/v1 AdmissionReview', details(result.issues));
}
