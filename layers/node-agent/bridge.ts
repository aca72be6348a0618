/**
 * The in-cluster bridge: makes the cluster's Tetragon objects what the control plane compiled for it.
 *
 * Each round polls `GET /v1/enforcers/node-policies` with its ETag. A new answer is checked whole before the
 * cluster is touched; then every object is server-side applied and the objects labelled as Vigil's that are
 * no longer wanted are deleted. When the control plane cannot be reached, or answers something the bridge
 * cannot trust, nothing in the cluster changes: the last applied set stays, and nothing is pruned.
 */
import { MANAGED_BY, NODE_POLICY_LABELS } from '../core/index.js';
import type { EnforcerClient } from './enforcer-client.js';
import type { KubernetesClient, TetragonResource } from './kubernetes-client.js';
import type { ManagedTetragonObject, NodePolicyAnswer } from './types.js';

/** The label every object the bridge applies carries, and the selector it prunes by. */
export const MANAGED_SELECTOR = `${NODE_POLICY_LABELS.managedBy}=${MANAGED_BY}`;

const KINDS = ['TracingPolicy', 'TracingPolicyNamespaced'] as const;
/** An RFC 1123 label: lower-case letters, digits and inner hyphens (a namespace name). */
function isDnsLabel(text: string, max = 63): boolean {
  if (text.length === 0 || text.length > max || text.startsWith('-') || text.endsWith('-')) return false;
  return [...text].every((c) => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-');
}

/** An RFC 1123 subdomain: dot-separated labels, at most 253 characters (an object name). */
const isDnsSubdomain = (text: string): boolean => text.length <= 253 && text.split('.').every((label) => isDnsLabel(label));
/** More objects than this in one answer is not something the compiler produces for one cluster. */
export const MAX_OBJECTS = 10_000;

/** An answer of the control plane the bridge refuses to act on. */
export class InvalidNodePolicyAnswer extends Error {
  constructor(message: string) {
    super(`the control plane's node policies were not applied: ${message}`);
    this.name = 'InvalidNodePolicyAnswer';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Checks the whole answer before anything is applied: a truncated or foreign answer must not become a prune
 * of every policy in the cluster.
 */
export function checkNodePolicyAnswer(raw: unknown, cluster: string): NodePolicyAnswer {
  if (!isRecord(raw)) throw new InvalidNodePolicyAnswer('the answer is not an object');
  if (raw.cluster !== cluster)
    throw new InvalidNodePolicyAnswer(`the answer is for cluster ${JSON.stringify(raw.cluster)}, not ${cluster}`);
  if (!Number.isInteger(raw.revision)) throw new InvalidNodePolicyAnswer('revision is not an integer');
  if (!Array.isArray(raw.objects)) throw new InvalidNodePolicyAnswer('objects is not a list');
  if (raw.objects.length > MAX_OBJECTS) throw new InvalidNodePolicyAnswer(`more than ${MAX_OBJECTS} objects`);
  const seen = new Set<string>();
  raw.objects.forEach((object: unknown, i) => {
    const where = `objects[${i}]`;
    if (!isRecord(object) || !isRecord(object.metadata) || !isRecord(object.spec))
      throw new InvalidNodePolicyAnswer(`${where} has no metadata or spec`);
    if (object.apiVersion !== 'cilium.io/v1alpha1') throw new InvalidNodePolicyAnswer(`${where}.apiVersion is not cilium.io/v1alpha1`);
    if (!KINDS.includes(object.kind as (typeof KINDS)[number]))
      throw new InvalidNodePolicyAnswer(`${where}.kind is neither TracingPolicy nor TracingPolicyNamespaced`);
    const { name, namespace, labels } = object.metadata;
    if (typeof name !== 'string' || !isDnsSubdomain(name))
      throw new InvalidNodePolicyAnswer(`${where}.metadata.name is not a Kubernetes name`);
    if (object.kind === 'TracingPolicyNamespaced' && (typeof namespace !== 'string' || !isDnsLabel(namespace)))
      throw new InvalidNodePolicyAnswer(`${where}.metadata.namespace is not a namespace name`);
    if (object.kind === 'TracingPolicy' && namespace !== undefined)
      throw new InvalidNodePolicyAnswer(`${where}.metadata.namespace is set on a cluster-scoped TracingPolicy`);
    if (!isRecord(labels) || labels[NODE_POLICY_LABELS.managedBy] !== MANAGED_BY)
      throw new InvalidNodePolicyAnswer(`${where}.metadata.labels lacks ${MANAGED_SELECTOR}`);
    const key = keyOf({ kind: object.kind as TetragonResource['kind'], name, namespace: namespace as string | undefined });
    if (seen.has(key)) throw new InvalidNodePolicyAnswer(`${where} names ${key} twice`);
    seen.add(key);
  });
  const positive = (value: unknown, fallback: number) => (Number.isInteger(value) && (value as number) > 0 ? (value as number) : fallback);
  return {
    cluster,
    group: typeof raw.group === 'string' ? raw.group : '',
    revision: raw.revision as number,
    objects: raw.objects as ManagedTetragonObject[],
    pollIntervalSeconds: positive(raw.pollIntervalSeconds, 10),
    heartbeatIntervalSeconds: positive(raw.heartbeatIntervalSeconds, 60),
  };
}

function keyOf(resource: TetragonResource): string {
  return resource.kind === 'TracingPolicyNamespaced'
    ? `${resource.kind} ${resource.namespace}/${resource.name}`
    : `${resource.kind} ${resource.name}`;
}

export interface BridgeOptions {
  readonly client: EnforcerClient;
  readonly kubernetes: KubernetesClient;
  readonly cluster: string;
  /** Apply the last answer again this often even without a change, to undo edits made in the cluster. */
  readonly resyncSeconds?: number;
  /** @default () => Date.now() */
  readonly now?: () => number;
}

/** What one round did. */
export interface BridgeRound {
  /** `new`: a new answer was applied; `unchanged`: 304 and nothing to do; `resync`: the last answer applied again. */
  readonly outcome: 'new' | 'unchanged' | 'resync';
  readonly applied: number;
  readonly pruned: number;
  /** Objects the Kubernetes API refused (a missing namespace, a webhook): applied again next round. */
  readonly failed: readonly string[];
}

export interface BridgeCounters {
  rounds: number;
  applied: number;
  pruned: number;
  applyFailures: number;
  /** Rounds that could not reach the control plane or got an answer they refused: the cluster was left alone. */
  controlPlaneFailures: number;
  invalidAnswers: number;
}

export class Bridge {
  private wanted: NodePolicyAnswer | undefined;
  private lastApplyComplete = true;
  private lastAppliedAt = 0;
  private reportedRevision: number | undefined;
  private readonly now: () => number;
  readonly counters: BridgeCounters = { rounds: 0, applied: 0, pruned: 0, applyFailures: 0, controlPlaneFailures: 0, invalidAnswers: 0 };

  constructor(private readonly options: BridgeOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The last answer the bridge applied (or is applying): what stays while the control plane is away. */
  get lastKnownGood(): NodePolicyAnswer | undefined {
    return this.wanted;
  }

  get pollIntervalSeconds(): number {
    return this.wanted?.pollIntervalSeconds ?? 10;
  }

  get heartbeatIntervalSeconds(): number {
    return this.wanted?.heartbeatIntervalSeconds ?? 60;
  }

  /**
   * One round. Throws when the control plane cannot be reached or its answer is refused, before anything in
   * the cluster changed; the Kubernetes API's refusals of single objects are counted and retried next round.
   */
  async step(): Promise<BridgeRound> {
    this.counters.rounds++;
    let fetched;
    try {
      fetched = await this.options.client.nodePolicies(this.options.cluster);
    } catch (error) {
      this.counters.controlPlaneFailures++;
      throw error;
    }
    if (fetched !== undefined) {
      let answer: NodePolicyAnswer;
      try {
        answer = checkNodePolicyAnswer(fetched.answer, this.options.cluster);
      } catch (error) {
        this.counters.invalidAnswers++;
        this.counters.controlPlaneFailures++;
        throw error;
      }
      this.wanted = answer;
      this.options.client.acceptNodePolicies(fetched.etag);
      return this.reconcile('new', answer);
    }
    const resyncMs = (this.options.resyncSeconds ?? 300) * 1000;
    if (this.wanted !== undefined && (!this.lastApplyComplete || this.now() - this.lastAppliedAt >= resyncMs))
      return this.reconcile('resync', this.wanted);
    return { outcome: 'unchanged', applied: 0, pruned: 0, failed: [] };
  }

  /** Applies every wanted object, then deletes the managed objects that are not wanted. */
  private async reconcile(outcome: BridgeRound['outcome'], answer: NodePolicyAnswer): Promise<BridgeRound> {
    const { kubernetes } = this.options;
    // Until this round completes, the next one applies again even on a 304.
    this.lastApplyComplete = false;
    const failed: string[] = [];
    let applied = 0;
    for (const object of answer.objects) {
      try {
        await kubernetes.apply(object);
        applied++;
      } catch (error) {
        failed.push(
          `${keyOf({ kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace })}: ${(error as Error).message}`,
        );
      }
    }
    const wantedKeys = new Set(answer.objects.map((o) => keyOf({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace })));
    let pruned = 0;
    for (const kind of KINDS) {
      for (const existing of await kubernetes.list(kind, MANAGED_SELECTOR)) {
        if (wantedKeys.has(keyOf(existing))) continue;
        await kubernetes.delete(existing);
        pruned++;
      }
    }
    this.counters.applied += applied;
    this.counters.pruned += pruned;
    this.counters.applyFailures += failed.length;
    this.lastApplyComplete = failed.length === 0;
    this.lastAppliedAt = this.now();
    if (this.lastApplyComplete && this.reportedRevision !== answer.revision) {
      // GET /v1/enforcers shows what the cluster runs; a failure here is retried with the next change or resync.
      await this.options.client
        .updateMetadata({
          kind: 'bridge',
          cluster: this.options.cluster,
          appliedRevision: String(answer.revision),
          objects: String(applied),
        })
        .then(() => (this.reportedRevision = answer.revision))
        .catch(() => undefined);
    }
    return { outcome, applied, pruned, failed };
  }
}
